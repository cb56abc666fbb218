/* libguestfsd handlers: disk usage.
 *
 * "du -s -k" in C: the allocated blocks of the path and (for a directory)
 * everything below it, without following symlinks, counting a file with
 * several hard links once, rounded up to KiB.  Pulse progress while it
 * walks.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

typedef struct
{
  GdRequest *req;
  guint64 blocks; /* 512-byte units */
  GHashTable *seen;
} Du;

typedef struct
{
  dev_t dev;
  ino_t ino;
} FileId;

static guint
file_id_hash (gconstpointer p)
{
  const FileId *id = p;
  return g_int64_hash (&(gint64){ (gint64) id->ino }) ^ (guint) id->dev;
}

static gboolean
file_id_equal (gconstpointer a, gconstpointer b)
{
  const FileId *x = a, *y = b;
  return x->dev == y->dev && x->ino == y->ino;
}

static void
count (Du *du, const struct stat *st)
{
  if (!S_ISDIR (st->st_mode) && st->st_nlink > 1)
    {
      FileId id = { st->st_dev, st->st_ino };
      if (g_hash_table_contains (du->seen, &id))
        return;
      g_hash_table_add (du->seen, g_memdup2 (&id, sizeof id));
    }
  du->blocks += st->st_blocks;
}

static gboolean
du_visit (int dirfd, const char *name, const char *relpath, const struct stat *st,
          GdWalkPhase phase, gpointer data, GError **error)
{
  (void) dirfd;
  (void) name;
  (void) relpath;
  (void) error;
  Du *du = data;
  if (phase != GD_WALK_POST)
    count (du, st);
  gd_pulse_tick (du->req);
  return TRUE;
}

gboolean
gd_do_du (GdRequest *req, const char *path, int64_t *ret, GError **error)
{
  /* Like du, the path itself is not followed if it is a symlink. */
  g_autofree char *name = NULL;
  int pfd = gd_open_parent (req, path, &name, error);
  if (pfd < 0)
    return FALSE;
  Du du = { .req = req, .seen = g_hash_table_new_full (file_id_hash, file_id_equal, g_free, NULL) };
  gboolean ok = FALSE;
  struct stat st;
  if (fstatat (pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      gd_perror (error, "%s", path);
      goto out;
    }
  count (&du, &st);
  if (S_ISDIR (st.st_mode))
    {
      int dfd = openat (pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dfd < 0)
        {
          gd_perror (error, "%s", path);
          goto out;
        }
      ok = gd_walk (dfd, path, GD_WALK_DEFAULT, du_visit, &du, error);
      close (dfd);
      if (!ok)
        goto out;
    }
  ok = TRUE;
  gd_pulse_end (req);
  *ret = (int64_t) ((du.blocks * 512 + 1023) / 1024);
out:
  close (pfd);
  g_hash_table_unref (du.seen);
  return ok;
}
