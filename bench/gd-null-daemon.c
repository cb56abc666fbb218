/* gd-null-daemon: the cheapest possible daemon, for the small-call floor.
 *
 *   gd-null-daemon --channel fd:N [anything else is ignored]
 *
 * Sends the launch flag, then answers every request with an empty OK reply
 * in one write, without looking at the procedure.  Only calls that return
 * nothing (ping_daemon, internal_autosync) can be made through it: it
 * shows how much of a round trip the client and the kernel cost, with no
 * daemon work at all.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LAUNCH_FLAG 0xf5f55ff5
#define CANCEL_FLAG 0xffffeeee
#define HEADER_SIZE 40

static void
put32 (uint8_t *p, uint32_t v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static uint32_t
get32 (const uint8_t *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

int
main (int argc, char **argv)
{
  int fd = -1;
  for (int i = 1; i < argc; i++)
    if ((strcmp (argv[i], "--channel") == 0 || strcmp (argv[i], "-c") == 0) && i + 1 < argc &&
        strncmp (argv[i + 1], "fd:", 3) == 0)
      fd = atoi (argv[i + 1] + 3);
  if (fd < 0)
    {
      fprintf (stderr, "gd-null-daemon: needs --channel fd:N\n");
      return 1;
    }
  uint8_t flag[4];
  put32 (flag, LAUNCH_FLAG);
  if (send (fd, flag, 4, MSG_NOSIGNAL) != 4)
    return 1;

  static uint8_t buf[1 << 20];
  size_t have = 0;
  for (;;)
    {
      ssize_t r = read (fd, buf + have, sizeof buf - have);
      if (r <= 0)
        return 0;
      have += r;
      size_t pos = 0;
      while (have - pos >= 4)
        {
          uint32_t len = get32 (buf + pos);
          if (len == CANCEL_FLAG)
            {
              pos += 4;
              continue;
            }
          if (len < HEADER_SIZE || len > sizeof buf - 4)
            return 1;
          if (have - pos < 4 + len)
            break;
          uint8_t reply[4 + HEADER_SIZE];
          memcpy (reply + 4, buf + pos + 4, 20); /* prog, vers, proc, direction, serial */
          put32 (reply, HEADER_SIZE);
          put32 (reply + 4 + 12, 1);      /* REPLY */
          memset (reply + 4 + 20, 0, 20); /* progress hint, optargs, status OK */
          if (send (fd, reply, sizeof reply, MSG_NOSIGNAL) != sizeof reply)
            return 0;
          pos += 4 + len;
        }
      memmove (buf, buf + pos, have - pos);
      have -= pos;
    }
}
