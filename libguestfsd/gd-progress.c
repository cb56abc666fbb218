/* libguestfsd: progress messages.
 *
 * The protocol's timing rules: nothing in the first 2 s of a request (fast
 * calls stay quiet), then at most one message per 1/3 s, and once any has
 * been sent the final position == total always goes out so that a progress
 * bar can reach 100%.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <libguestfsd/guestfsd.h>

#include "gd-engine.h"

#define INITIAL_DELAY_US 2000000
#define PERIOD_US 333333

static void
send_progress (GdRequest *req, guint64 position, guint64 total)
{
  guint8 buf[GD_PROGRESS_SIZE];
  gd_put_be32 (buf, GD_PROGRESS_FLAG);
  gd_put_be32 (buf + 4, req->proc_nr);
  gd_put_be32 (buf + 8, req->serial);
  gd_put_be64 (buf + 12, position);
  gd_put_be64 (buf + 20, total);
  g_autoptr (GError) error = NULL;
  if (!gd_transport_write (req->conn->t, buf, sizeof buf, &error))
    {
      /* The handler finds out at its next transfer; the engine stops. */
      req->conn->broken = TRUE;
      g_printerr ("guestfsd: %s\n", error->message);
    }
}

void
gd_progress (GdRequest *req, guint64 position, guint64 total)
{
  if (req->conn->broken)
    return;
  gint64 now = g_get_monotonic_time ();
  if (!req->progress_sent)
    {
      if (now - req->start_us < INITIAL_DELAY_US)
        return;
    }
  else if (position != total && now - req->last_progress_us < PERIOD_US)
    return;
  send_progress (req, position, total);
  req->progress_sent = TRUE;
  req->last_progress_us = now;
}

void
gd_pulse_tick (GdRequest *req)
{
  gd_progress (req, 0, 1);
}

void
gd_pulse_end (GdRequest *req)
{
  gd_progress (req, 1, 1);
}
