/* fuzz-request: feeds arbitrary bytes, as a client would send them, to a
 * connection served over a socketpair.  The daemon must answer or hang up
 * without crashing, leaking or hanging.
 *
 * Built as a libFuzzer target with -Dfuzzing=true (clang), and always as
 * fuzz-replay, which runs the seed corpus in 'meson test'.
 *
 * The daemon serves no drives, so Device arguments are refused before
 * any handler runs.  In a private mount namespace (root) the sysroot is a
 * fresh small tmpfs for each input, so that the Pathname handlers of the
 * list below really run, confined to it; elsewhere it is an empty
 * directory and they are refused too.  Some procedures need neither
 * (lvm_remove_all, and in time debug sh ...) and would act on the host:
 * inputs that reach a procedure with a handler that is not on the list
 * are skipped.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gd-devices.h"
#include "gd-engine.h"
#include "fuzz-request.h"

/* Procedures whose handlers are harmless with no drives and nothing
 * mounted: they only answer, or refuse their arguments. */
static const char *const safe_procedures[] = {
  "available_all_groups",
  "blockdev_getsize64",
  "blockdev_getss",
  "download",
  "echo_daemon",
  "exists",
  "internal_exit",
  "internal_feature_available",
  "internal_write",
  "is_dir",
  "is_file",
  "list_devices",
  "list_partitions",
  "ls0",
  "mkdir",
  "mkfs",
  "mount",
  "mount_options",
  "mount_ro",
  "mount_vfs",
  "mountpoints",
  "mounts",
  "ping_daemon",
  "rm",
  "touch",
  "umount_all",
  "upload",
  NULL,
};

static GdConfig config;
static char *tmpdir;
static GHashTable *safe_set;
static gboolean use_tmpfs;

static void
cleanup (void)
{
  if (tmpdir)
    {
      g_autofree char *sysroot = g_build_filename (tmpdir, "sysroot", NULL);
      while (use_tmpfs && umount2 (sysroot, UMOUNT_NOFOLLOW) == 0)
        ;
      rmdir (sysroot);
      rmdir (tmpdir);
    }
}

static void
init_once (void)
{
  static gboolean done;
  if (done)
    return;
  done = TRUE;
  /* Mounts (ours, and any the daemon makes) stay in this process. */
  use_tmpfs = unshare (CLONE_NEWNS) == 0 && mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
  tmpdir = g_dir_make_tmp ("gdfuzz-XXXXXX", NULL);
  g_assert (tmpdir != NULL);
  char *sysroot = g_build_filename (tmpdir, "sysroot", NULL);
  g_assert (g_mkdir (sysroot, 0755) == 0);
  config.sysroot = sysroot;
  config.devices = gd_device_table_new ();
  safe_set = g_hash_table_new (g_str_hash, g_str_equal);
  for (const char *const *p = safe_procedures; *p; p++)
    g_hash_table_add (safe_set, (gpointer) *p);
  atexit (cleanup);
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static gboolean
procedure_is_safe (guint32 nr)
{
  const GdProcedure *p = gd_procedure_lookup (nr);
  return p == NULL || p->handler == NULL || g_hash_table_contains (safe_set, p->name);
}

/* Walks the input as the daemon frames it (requests and upload chunks
 * alike) and checks every message that could be dispatched. */
gboolean
fuzz_input_is_safe (const guint8 *data, size_t size)
{
  init_once ();
  guint64 pos = 0;
  while (pos + 4 <= size)
    {
      guint32 len = be32 (data + pos);
      pos += 4;
      if (len == GD_CANCEL_FLAG)
        continue;
      if (len >= GD_HEADER_SIZE && pos + GD_HEADER_SIZE <= size)
        {
          const guint8 *h = data + pos;
          if (be32 (h) == GD_PROGRAM && be32 (h + 4) == GD_PROTOCOL_VERSION &&
              be32 (h + 12) == GD_DIRECTION_CALL && be32 (h + 36) == GD_STATUS_OK &&
              !procedure_is_safe (be32 (h + 8)))
            return FALSE;
        }
      pos += len;
    }
  return TRUE;
}

typedef struct
{
  int fd;
  const guint8 *data;
  size_t size;
} Feeder;

/* The client side: writes the input, then reads (and drops) everything
 * the daemon sends until it hangs up. */
static gpointer
feeder (gpointer p)
{
  Feeder *f = p;
  size_t off = 0;
  gboolean writing = f->size > 0;
  if (!writing)
    shutdown (f->fd, SHUT_WR);
  for (;;)
    {
      struct pollfd pfd = { .fd = f->fd, .events = POLLIN | (writing ? POLLOUT : 0) };
      if (poll (&pfd, 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (pfd.revents & POLLIN)
        {
          guint8 buf[65536];
          ssize_t n = read (f->fd, buf, sizeof buf);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            break;
        }
      if (writing && (pfd.revents & (POLLOUT | POLLERR | POLLHUP)))
        {
          ssize_t n = send (f->fd, f->data + off, f->size - off, MSG_NOSIGNAL | MSG_DONTWAIT);
          if (n > 0)
            off += n;
          if ((n < 0 && errno != EAGAIN && errno != EINTR) || off == f->size)
            {
              writing = FALSE;
              shutdown (f->fd, SHUT_WR);
            }
        }
      else if (pfd.revents & (POLLERR | POLLHUP) && !(pfd.revents & POLLIN))
        break;
    }
  return NULL;
}

void
fuzz_serve (const guint8 *data, size_t size)
{
  init_once ();
  int sv[2];
  g_assert (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  Feeder f = { .fd = sv[1], .data = data, .size = size };
  GThread *th = g_thread_new ("feeder", feeder, &f);

  if (use_tmpfs)
    {
      while (umount2 (config.sysroot, UMOUNT_NOFOLLOW) == 0)
        ;
      if (mount ("gdfuzz", config.sysroot, "tmpfs", MS_NOSUID | MS_NODEV,
                 "size=8m,nr_inodes=1024") < 0)
        g_error ("mount tmpfs on %s: %s", config.sysroot, g_strerror (errno));
    }
  GdConnection *conn = gd_connection_new (&config, sv[0]);
  GError *error = NULL;
  gd_connection_serve (conn, &error);
  g_clear_error (&error);
  gd_connection_free (conn);

  shutdown (sv[0], SHUT_RDWR);
  g_thread_join (th);
  close (sv[0]);
  close (sv[1]);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (!fuzz_input_is_safe (data, size))
    return -1; /* not added to the corpus */
  fuzz_serve (data, size);
  return 0;
}
