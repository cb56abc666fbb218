/* libguestfsd handlers: helpers shared by the data-on-devices family.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devdata.h"
#include "fsutil.h"

/* Refuses what a guest path must not be for us to read or write it.  On
 * a host only regular files: a FIFO or a device there belongs to the
 * host, not to an image.  In the appliance and with -r on a live system,
 * anything open(2) takes, as the original does (/dev/null, /dev/zero). */
static gboolean
check_regular (GdRequest *req, int fd, const char *path, GError **error)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      gd_perror (error, "%s", path);
      return FALSE;
    }
  if (S_ISREG (st.st_mode))
    return TRUE;
  if (S_ISDIR (st.st_mode))
    gd_error_errno (error, EISDIR, "%s: Is a directory", path);
  else if (!gd_conn_host_mode (gd_request_connection (req)))
    return TRUE;
  else
    gd_error_errno (error, EINVAL, "%s: not a regular file", path);
  return FALSE;
}

int
devdata_open_guest_file (GdRequest *req, const char *path, int flags, GError **error)
{
  /* Look first with O_PATH (which opens nothing), then reopen that very
   * inode through /proc, so what is opened for I/O is what was checked. */
  int pfd = -1;
  for (int tries = 0; tries < 4; tries++)
    {
      g_autoptr (GError) lookup = NULL;
      pfd = gd_open (req, path, O_PATH, 0, &lookup);
      if (pfd >= 0)
        break;
      if (!(flags & O_CREAT) || !g_error_matches (lookup, GD_ERRNO_ERROR, ENOENT))
        {
          g_propagate_error (error, g_steal_pointer (&lookup));
          return -1;
        }
      /* Does not exist: create it, never opening anything already there. */
      g_autoptr (GError) create = NULL;
      int fd = gd_open (req, path, (flags & ~O_TRUNC) | O_CREAT | O_EXCL | O_NOCTTY, 0666, &create);
      if (fd >= 0)
        return fd;
      if (!g_error_matches (create, GD_ERRNO_ERROR, EEXIST))
        {
          g_propagate_error (error, g_steal_pointer (&create));
          return -1;
        }
      if (tries == 2)
        {
          /* Still ENOENT then EEXIST: the name is a dangling symlink.
           * Create its target, as open(2) would, and check afterwards. */
          fd = gd_open (req, path, (flags & ~O_TRUNC) | O_CREAT | O_NOCTTY | O_NONBLOCK, 0666,
                        error);
          if (fd < 0)
            return -1;
          if (!check_regular (req, fd, path, error))
            {
              close (fd);
              return -1;
            }
          fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
          return fd;
        }
    }
  if (pfd < 0)
    {
      gd_error_errno (error, EAGAIN, "%s: the file keeps changing", path);
      return -1;
    }
  if (!check_regular (req, pfd, path, error))
    {
      close (pfd);
      return -1;
    }
  g_autofree char *proc = gd_fd_path (pfd);
  int fd = open (proc, (flags & ~(O_CREAT | O_EXCL)) | O_NOCTTY | O_CLOEXEC);
  int saved = errno;
  close (pfd);
  if (fd < 0)
    {
      errno = saved;
      gd_perror (error, "%s", path);
    }
  return fd;
}

int
devdata_open_device (const GdDevice *dev, int flags, GError **error)
{
  int fd = open (dev->node, (flags & ~(O_CREAT | O_TRUNC | O_EXCL)) | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    {
      gd_perror (error, "%s", dev->guest);
      return -1;
    }
  int ro = 0;
  if ((flags & O_ACCMODE) != O_RDONLY && ioctl (fd, BLKROGET, &ro) == 0 && ro)
    {
      close (fd);
      gd_error_errno (error, EROFS, "%s: the device is read-only", dev->guest);
      return -1;
    }
  return fd;
}

int
devdata_open_dev_or_path (GdRequest *req, const GdDevOrPath *d, int flags, GError **error)
{
  if (d->device != NULL)
    return devdata_open_device (d->device, flags, error);
  return devdata_open_guest_file (req, d->path, flags, error);
}

const char *
devdata_dev_or_path_name (const GdDevOrPath *d)
{
  return d->device ? d->device->guest : d->path;
}

gboolean
devdata_fd_size (int fd, const char *name, guint64 *size, GError **error)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      gd_perror (error, "%s", name);
      return FALSE;
    }
  if (S_ISBLK (st.st_mode))
    {
      if (ioctl (fd, BLKGETSIZE64, size) < 0)
        {
          gd_perror (error, "%s: BLKGETSIZE64", name);
          return FALSE;
        }
      return TRUE;
    }
  *size = st.st_size > 0 ? (guint64) st.st_size : 0;
  return TRUE;
}

gboolean
devdata_is_zero (const void *buf, size_t len)
{
  /* Once the first 16 bytes are known to be zero, the buffer is all zero
   * exactly when it equals itself shifted by 16: one fast memcmp. */
  const unsigned char *p = buf;
  size_t head = MIN (len, (size_t) 16);
  for (size_t i = 0; i < head; i++)
    if (p[i] != 0)
      return FALSE;
  return len <= 16 || memcmp (p, p + 16, len - 16) == 0;
}

gssize
devdata_pread (int fd, void *buf, size_t len, guint64 offset, const char *name, GError **error)
{
  size_t done = 0;
  while (done < len)
    {
      ssize_t n = pread (fd, (char *) buf + done, len - done, offset + done);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          gd_perror (error, "%s: read", name);
          return -1;
        }
      if (n == 0)
        break;
      done += n;
    }
  return done;
}

gboolean
devdata_pwrite (int fd, const void *buf, size_t len, guint64 offset, const char *name,
                GError **error)
{
  size_t done = 0;
  while (done < len)
    {
      ssize_t n = pwrite (fd, (const char *) buf + done, len - done, offset + done);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          gd_perror (error, "%s: write", name);
          return FALSE;
        }
      if (n == 0)
        {
          gd_error_errno (error, ENOSPC, "%s: write: %s", name, g_strerror (ENOSPC));
          return FALSE;
        }
      done += n;
    }
  return TRUE;
}

void
devdata_device_written (GdRequest *req, const char *node)
{
  GdConnection *conn = gd_request_connection (req);
  g_autoptr (GPtrArray) disks = gd_list_disks (conn);
  gboolean whole = FALSE;
  for (guint i = 0; i < disks->len && !whole; i++)
    whole = strcmp (((GdDevice *) disks->pdata[i])->node, node) == 0;
  if (!whole)
    return;
  /* An exclusive open fails while a partition is mounted or otherwise
   * held: then the kernel's view must not change under its user. */
  int fd = open (node, O_RDONLY | O_EXCL | O_CLOEXEC);
  if (fd < 0)
    {
      gd_log (conn, "%s: in use, partitions not re-read: %s", node, g_strerror (errno));
      return;
    }
  close (fd);
  g_autoptr (GError) error = NULL;
  if (!gd_partitions_sync (node, &error))
    gd_log (conn, "%s: re-reading partitions: %s", node, error->message);
}

gboolean
devdata_program_to_fileout (GdRequest *req, const char *const *argv, int stdin_fd, GError **error)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    {
      gd_perror (error, "pipe");
      return FALSE;
    }
  GdRunOpts opts = { .argv = argv, .stdin_fd = stdin_fd, .stdout_fd = p[1] };
  GdChild *child = gd_child_spawn (req, &opts, error);
  close (p[1]);
  if (child == NULL)
    {
      close (p[0]);
      return FALSE;
    }
  g_autoptr (GError) stream_error = NULL;
  gboolean streamed = gd_fileout_from_fd (req, p[0], 0, &stream_error);
  /* Closing our end first stops a program we no longer listen to. */
  close (p[0]);
  g_autoptr (GError) child_error = NULL;
  gboolean exited_ok = gd_child_wait (child, !streamed, &child_error);
  if (!streamed)
    {
      g_propagate_error (error, g_steal_pointer (&stream_error));
      return FALSE;
    }
  if (!exited_ok)
    {
      g_propagate_error (error, g_steal_pointer (&child_error));
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  int sock;
  gboolean peer_gone;
} SockSink;

static gboolean
sock_sink_write (const void *data, size_t len, gpointer user_data, GError **error)
{
  SockSink *sink = user_data;
  const char *p = data;
  while (len > 0)
    {
      /* A socket rather than a pipe: MSG_NOSIGNAL spares an embedding
       * process the SIGPIPE when the program exits early. */
      ssize_t n = send (sink->sock, p, len, MSG_NOSIGNAL);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          sink->peer_gone = errno == EPIPE || errno == ECONNRESET;
          gd_perror (error, "write to the helper program");
          return FALSE;
        }
      p += n;
      len -= n;
    }
  return TRUE;
}

gboolean
devdata_filein_to_program (GdRequest *req, const char *const *argv, GError **error)
{
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    {
      gd_perror (error, "socketpair");
      return FALSE;
    }
  GdRunOpts opts = { .argv = argv, .stdin_fd = sv[1], .stdout_fd = -1 };
  GdChild *child = gd_child_spawn (req, &opts, error);
  close (sv[1]);
  if (child == NULL)
    {
      close (sv[0]);
      return FALSE;
    }
  SockSink sink = { .sock = sv[0] };
  g_autoptr (GError) stream_error = NULL;
  gboolean streamed = gd_filein_receive (req, sock_sink_write, &sink, &stream_error);
  close (sv[0]); /* end of input for the program */
  /* When the program stopped reading, its own error says why; when the
   * client cancelled, the program has an incomplete input: stop it. */
  g_autoptr (GError) child_error = NULL;
  gboolean exited_ok = gd_child_wait (child, !streamed && !sink.peer_gone, &child_error);
  if (!exited_ok && (streamed || sink.peer_gone))
    {
      g_propagate_error (error, g_steal_pointer (&child_error));
      return FALSE;
    }
  if (!streamed)
    {
      g_propagate_error (error, g_steal_pointer (&stream_error));
      return FALSE;
    }
  return TRUE;
}

char *
devdata_inode_arg (const GdMountable *fs, int64_t inode, const char **node, GError **error)
{
  const GdDevice *dev = gd_mountable_device (fs, error);
  if (dev == NULL || !gd_fs_check_not_negative (NULL, "inode", inode, error))
    return NULL;
  *node = dev->node;
  return g_strdup_printf ("%" G_GINT64_FORMAT, inode);
}
