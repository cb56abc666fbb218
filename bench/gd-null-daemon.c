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
 * Transfers too, for the most a client allows: upload and upload_offset
 * have their chunks read and dropped; download_offset gets SIZE bytes of
 * zeros, 32 chunks per writev(2).  The guest path is ignored.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define LAUNCH_FLAG 0xf5f55ff5
#define CANCEL_FLAG 0xffffeeee
#define HEADER_SIZE 40
#define CHUNK 8192
#define PROC_UPLOAD 66
#define PROC_UPLOAD_OFFSET 273
#define PROC_DOWNLOAD_OFFSET 274

static uint8_t buf[1 << 20];
static size_t have, pos;
static int fd;

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

/* Makes n bytes available at buf + pos; 0 at end of stream. */
static int
need (size_t n)
{
  if (have - pos >= n)
    return 1;
  memmove (buf, buf + pos, have - pos);
  have -= pos;
  pos = 0;
  while (have < n)
    {
      ssize_t r = read (fd, buf + have, sizeof buf - have);
      if (r <= 0)
        return 0;
      have += r;
    }
  return 1;
}

static int
send_all (struct iovec *iov, int n)
{
  while (n > 0)
    {
      ssize_t w = writev (fd, iov, n);
      if (w < 0)
        return 0;
      while (n > 0 && (size_t) w >= iov->iov_len)
        {
          w -= iov->iov_len;
          iov++;
          n--;
        }
      if (n > 0)
        {
          iov->iov_base = (uint8_t *) iov->iov_base + w;
          iov->iov_len -= w;
        }
    }
  return 1;
}

/* Reads FileIn chunks up to the end (or cancel) chunk. */
static int
drop_upload (void)
{
  for (;;)
    {
      if (!need (4))
        return 0;
      uint32_t len = get32 (buf + pos);
      pos += 4;
      if (len == CANCEL_FLAG)
        continue;
      if (len < 8 || len > sizeof buf - 4 || !need (len))
        return 0;
      uint32_t cancel = get32 (buf + pos), dlen = get32 (buf + pos + 4);
      pos += len;
      if (cancel || dlen == 0)
        return 1;
    }
}

/* The OK reply, then size bytes of zeros as chunks, then the end chunk. */
static int
send_download (const uint8_t *reply, uint64_t size)
{
  static const uint8_t zeros[CHUNK];
  uint8_t hdr[12];
  put32 (hdr, 8 + CHUNK);
  put32 (hdr + 4, 0);
  put32 (hdr + 8, CHUNK);
  struct iovec iov[1 + 2 * 32 + 1];
  int n = 0;
  iov[n++] = (struct iovec){ (void *) reply, 4 + HEADER_SIZE };
  while (size > 0)
    {
      if (size < CHUNK)
        return 0; /* whole chunks only: enough for a benchmark */
      iov[n++] = (struct iovec){ hdr, 12 };
      iov[n++] = (struct iovec){ (void *) zeros, CHUNK };
      size -= CHUNK;
      if (n >= 2 * 32)
        {
          if (!send_all (iov, n))
            return 0;
          n = 0;
        }
    }
  static uint8_t end[12];
  put32 (end, 8);
  iov[n++] = (struct iovec){ end, 12 };
  return send_all (iov, n);
}

int
main (int argc, char **argv)
{
  fd = -1;
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

  for (;;)
    {
      if (!need (4))
        return 0;
      uint32_t len = get32 (buf + pos);
      if (len == CANCEL_FLAG)
        {
          pos += 4;
          continue;
        }
      if (len < HEADER_SIZE || len > sizeof buf - 4 || !need (4 + len))
        return 1;
      const uint8_t *msg = buf + pos + 4;
      uint32_t proc = get32 (msg + 8);
      uint8_t reply[4 + HEADER_SIZE];
      memcpy (reply + 4, msg, 20); /* prog, vers, proc, direction, serial */
      put32 (reply, HEADER_SIZE);
      put32 (reply + 4 + 12, 1);      /* REPLY */
      memset (reply + 4 + 20, 0, 20); /* progress hint, optargs, status OK */
      pos += 4 + len;
      if (proc == PROC_DOWNLOAD_OFFSET)
        {
          /* Arguments: path (XDR string), offset, size. */
          const uint8_t *a = msg + HEADER_SIZE;
          uint32_t slen = (get32 (a) + 3) & ~3u;
          uint64_t size = (uint64_t) get32 (a + 4 + slen + 8) << 32 | get32 (a + 4 + slen + 12);
          if (!send_download (reply, size))
            return 1;
          continue;
        }
      if ((proc == PROC_UPLOAD || proc == PROC_UPLOAD_OFFSET) && !drop_upload ())
        return 1;
      if (send (fd, reply, sizeof reply, MSG_NOSIGNAL) != sizeof reply)
        return 0;
    }
}
