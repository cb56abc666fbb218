/* libguestfsd handlers: confined children and streaming helper programs.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <archive.h>

#include "confine.h"

/* Longest failure report kept (the protocol caps messages at 64 KiB). */
#define REPORT_MAX 65536

/* ---- in a confined child ---------------------------------------------- */

/* Only ever set in a child, after fork. */
static int child_report_fd = -1;
static gboolean child_reported;

static void child_report (int errnum, const char *fmt, va_list ap, gboolean append_strerror)
    G_GNUC_PRINTF (2, 0);

static void
child_report (int errnum, const char *fmt, va_list ap, gboolean append_strerror)
{
  if (child_reported)
    return;
  child_reported = TRUE;
  if (child_report_fd < 0)
    return;
  char msg[4096];
  int n = vsnprintf (msg, sizeof msg, fmt, ap);
  if (n < 0)
    n = 0;
  if ((size_t) n >= sizeof msg)
    n = sizeof msg - 1;
  if (append_strerror)
    n += snprintf (msg + n, sizeof msg - n, ": %s", strerror (errnum));
  if ((size_t) n >= sizeof msg)
    n = sizeof msg - 1;
  char head[32];
  int h = snprintf (head, sizeof head, "%d\n", errnum);
  if (pwrite (child_report_fd, head, h, 0) == h)
    (void) !pwrite (child_report_fd, msg, n, h);
}

int
gdc_fail (int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  child_report (errnum, fmt, ap, FALSE);
  va_end (ap);
  return 1;
}

int
gdc_fail_errno (const char *fmt, ...)
{
  int errnum = errno;
  va_list ap;
  va_start (ap, fmt);
  child_report (errnum, fmt, ap, TRUE);
  va_end (ap);
  return 1;
}

void
gdc_note (int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  child_report (errnum, fmt, ap, FALSE);
  va_end (ap);
}

gboolean
gdc_noted (void)
{
  return child_reported;
}

gboolean
gdc_write_all (int fd, const void *buf, size_t len)
{
  return gd_write_all (fd, buf, len, NULL, NULL);
}

GPtrArray *
gdc_dir_names (int dfd)
{
  int fd = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      errno = e;
      return NULL;
    }
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  struct dirent *ent;
  while ((errno = 0, ent = readdir (d)) != NULL)
    {
      const char *n = ent->d_name;
      if (!(n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))))
        g_ptr_array_add (names, g_strdup (n));
    }
  int e = errno;
  closedir (d);
  if (e != 0)
    {
      g_ptr_array_unref (names);
      errno = e;
      return NULL;
    }
  return names;
}

/* ---- in the daemon ----------------------------------------------------- */

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

int
gdc_open_file (GdRequest *req, const char *path, struct stat *st, GError **error)
{
  int pfd = gd_open (req, path, O_PATH, 0, error);
  if (pfd < 0)
    return -1;
  struct stat sb;
  if (st == NULL)
    st = &sb;
  if (fstat (pfd, st) < 0)
    {
      gd_perror (error, "%s", path);
      close (pfd);
      return -1;
    }
  if (S_ISDIR (st->st_mode))
    {
      gd_error_errno (error, EISDIR, "%s: Is a directory", path);
      close (pfd);
      return -1;
    }
  if (!S_ISREG (st->st_mode))
    {
      gd_error_errno (error, EINVAL, "%s: not a regular file", path);
      close (pfd);
      return -1;
    }
  /* Reopening the O_PATH fd opens that very inode, wherever it is now. */
  g_autofree char *self = gd_fd_path (pfd);
  int fd = open (self, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    gd_perror (error, "%s", path);
  close (pfd);
  return fd;
}

int
gdc_create_file (GdRequest *req, const char *path, mode_t mode, GError **error)
{
  for (int tries = 0; tries < 4; tries++)
    {
      g_autoptr (GError) local = NULL;
      int pfd = gd_open (req, path, O_PATH, 0, &local);
      if (pfd >= 0)
        {
          struct stat st;
          if (fstat (pfd, &st) < 0)
            {
              gd_perror (error, "%s", path);
              close (pfd);
              return -1;
            }
          if (!S_ISREG (st.st_mode))
            {
              if (S_ISDIR (st.st_mode))
                gd_error_errno (error, EISDIR, "%s: Is a directory", path);
              else
                gd_error_errno (error, EINVAL, "%s: not a regular file", path);
              close (pfd);
              return -1;
            }
          g_autofree char *self = gd_fd_path (pfd);
          int fd = open (self, O_WRONLY | O_TRUNC | O_NOCTTY | O_CLOEXEC);
          if (fd < 0)
            gd_perror (error, "%s", path);
          close (pfd);
          return fd;
        }
      if (!g_error_matches (local, GD_ERRNO_ERROR, ENOENT))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return -1;
        }
      g_clear_error (&local);
      int fd = gd_open (req, path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, mode, &local);
      if (fd >= 0)
        return fd;
      if (!g_error_matches (local, GD_ERRNO_ERROR, EEXIST))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return -1;
        }
      /* Created meanwhile, or a dangling symlink: look again. */
    }
  /* A dangling symlink: create its target, inside the guest. */
  return gd_open (req, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, mode, error);
}

gboolean
gdc_pipe (int fds[2], GError **error)
{
  if (pipe2 (fds, O_CLOEXEC) < 0)
    {
      gd_perror (error, "pipe");
      return FALSE;
    }
  return TRUE;
}

/* Reads a memfd from its start (at most REPORT_MAX bytes). */
static char *
read_memfd (int fd)
{
  g_autoptr (GString) s = g_string_new (NULL);
  char buf[8192];
  off_t off = 0;
  while (s->len < REPORT_MAX)
    {
      ssize_t n = pread (fd, buf, sizeof buf, off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      g_string_append_len (s, buf, n);
      off += n;
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static int
new_memfd (const char *name, GError **error)
{
  int fd = memfd_create (name, MFD_CLOEXEC);
  if (fd < 0)
    gd_perror (error, "memfd_create");
  return fd;
}

typedef struct
{
  GdcFunc func;
  gpointer data;
  int report;
  int keep;
} Trampoline;

static int
trampoline (gpointer p)
{
  Trampoline *t = p;
  /* Hold nothing of the daemon's but what the function needs: a pipe end
   * kept open here by accident would hide an end of file or a broken pipe
   * from this child or its peers. */
  int lo = MIN (t->report, t->keep), hi = MAX (t->report, t->keep);
  if (lo < 3)
    lo = hi; /* keep is -1 */
  if (lo > 3)
    close_range (3, lo - 1, 0);
  if (hi > lo + 1)
    close_range (lo + 1, hi - 1, 0);
  close_range (hi + 1, ~0U, 0);
  child_report_fd = t->report;
  child_reported = FALSE;
  return t->func (t->data);
}

gboolean
gdc_spawn (GdRequest *req, const char *what, GdcFunc func, gpointer data, GdcFlags flags,
           int keep_fd, int stdin_fd, int stdout_fd, GdcChild *child, GError **error)
{
  *child = (GdcChild){ .pid = -1, .in = -1, .out = -1, .report = -1 };
  int child_in = stdin_fd, child_out = stdout_fd;
  int own_in = -1, own_out = -1; /* child ends we made, closed after fork */

  child->report = new_memfd ("guestfsd-report", error);
  if (child->report < 0)
    return FALSE;
  if (flags & GDC_STDIN_SOCKET)
    {
      int sv[2];
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        {
          gd_perror (error, "socketpair");
          goto failed;
        }
      /* The child only reads, the parent only writes. */
      shutdown (sv[0], SHUT_RD);
      shutdown (sv[1], SHUT_WR);
      child->in = sv[0];
      child_in = own_in = sv[1];
    }
  if (flags & GDC_STDOUT_PIPE)
    {
      int p[2];
      if (!gdc_pipe (p, error))
        goto failed;
      child->out = p[0];
      child_out = own_out = p[1];
    }

  Trampoline t = { func, data, child->report, keep_fd };
  child->pid = gd_spawn_confined (req, trampoline, &t, child_in, child_out, error);
  close_fd (&own_in);
  close_fd (&own_out);
  if (child->pid < 0)
    goto failed;
  child->what = g_strdup (what);
  return TRUE;

failed:
  close_fd (&own_in);
  close_fd (&own_out);
  close_fd (&child->in);
  close_fd (&child->out);
  close_fd (&child->report);
  return FALSE;
}

gboolean
gdc_wait (GdcChild *child, GError **error)
{
  close_fd (&child->in);
  close_fd (&child->out);
  g_autoptr (GError) status_error = NULL;
  gboolean ok = gd_wait_child (child->pid, child->what, &status_error);
  child->pid = -1;
  g_autofree char *report = read_memfd (child->report);
  if (*report)
    {
      /* "errno\nmessage" */
      char *msg = strchr (report, '\n');
      int errnum = atoi (report);
      gd_error_errno (error, errnum, "%s", msg ? msg + 1 : report);
      ok = FALSE;
    }
  else if (!ok)
    g_propagate_error (error, g_steal_pointer (&status_error));
  close_fd (&child->report);
  g_clear_pointer (&child->what, g_free);
  return ok;
}

void
gdc_abort (GdcChild *child)
{
  close_fd (&child->in);
  close_fd (&child->out);
  if (child->pid > 0)
    {
      kill (child->pid, SIGKILL);
      gd_wait_child (child->pid, child->what, NULL);
    }
  child->pid = -1;
  close_fd (&child->report);
  g_clear_pointer (&child->what, g_free);
}

gboolean
gdc_run (GdRequest *req, const char *what, GdcFunc func, gpointer data, int keep_fd, int stdin_fd,
         gboolean pulse, GByteArray **out, gsize max_out, GError **error)
{
  GdcChild child;
  if (!gdc_spawn (req, what, func, data, GDC_STDOUT_PIPE, keep_fd, stdin_fd, -1, &child, error))
    return FALSE;
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  gboolean too_big = FALSE;
  for (;;)
    {
      struct pollfd pfd = { .fd = child.out, .events = POLLIN };
      int r = poll (&pfd, 1, pulse ? 200 : -1);
      if (pulse)
        gd_pulse_tick (req);
      if (r < 0 && errno != EINTR)
        {
          gd_perror (error, "poll");
          gdc_abort (&child);
          return FALSE;
        }
      if (r <= 0)
        continue;
      guint8 tmp[65536];
      ssize_t n = read (child.out, tmp, sizeof tmp);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n <= 0)
        break;
      if (out == NULL)
        continue;
      if (buf->len + (gsize) n > max_out)
        {
          too_big = TRUE;
          break;
        }
      g_byte_array_append (buf, tmp, n);
    }
  if (too_big)
    {
      gdc_abort (&child);
      gd_error_errno (error, E2BIG, "%s: the result is larger than the protocol allows", what);
      return FALSE;
    }
  if (!gdc_wait (&child, error))
    return FALSE;
  if (pulse)
    gd_pulse_end (req);
  if (out)
    *out = g_steal_pointer (&buf);
  return TRUE;
}

static gboolean
send_to_socket (const void *data, size_t len, gpointer user_data, GError **error)
{
  int fd = GPOINTER_TO_INT (user_data);
  const char *p = data;
  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          gd_perror (error, "write");
          return FALSE;
        }
      p += n;
      len -= n;
    }
  return TRUE;
}

gboolean
gdc_filein_to_socket (GdRequest *req, int fd, GError **error)
{
  return gd_filein_receive (req, send_to_socket, GINT_TO_POINTER (fd), error);
}

/* ---- libarchive compression filters ------------------------------------ */

struct _GdcFilter
{
  const char *name;
  int (*read_add) (struct archive *);
  int (*write_add) (struct archive *);
  const char *compress_argv[4];
  const char *decompress_argv[4];
};

static const GdcFilter filters[] = {
  { "gzip",
    archive_read_support_filter_gzip,
    archive_write_add_filter_gzip,
    { "gzip", "-c", NULL },
    { "gzip", "-dc", NULL } },
  { "bzip2",
    archive_read_support_filter_bzip2,
    archive_write_add_filter_bzip2,
    { "bzip2", "-c", NULL },
    { "bzip2", "-dc", NULL } },
  { "xz",
    archive_read_support_filter_xz,
    archive_write_add_filter_xz,
    { "xz", "-c", NULL },
    { "xz", "-dc", NULL } },
  { "lzma",
    archive_read_support_filter_lzma,
    archive_write_add_filter_lzma,
    { "xz", "--format=lzma", "-c", NULL },
    { "xz", "--format=lzma", "-dc", NULL } },
  { "zstd",
    archive_read_support_filter_zstd,
    archive_write_add_filter_zstd,
    { "zstd", "-qc", NULL },
    { "zstd", "-qdc", NULL } },
  { "lz4",
    archive_read_support_filter_lz4,
    archive_write_add_filter_lz4,
    { "lz4", "-qc", NULL },
    { "lz4", "-qdc", NULL } },
  { "lzip",
    archive_read_support_filter_lzip,
    archive_write_add_filter_lzip,
    { "lzip", "-c", NULL },
    { "lzip", "-dc", NULL } },
  { "compress",
    archive_read_support_filter_compress,
    archive_write_add_filter_compress,
    { "compress", "-c", NULL },
    { "gzip", "-dc", NULL } },
  { "lzop",
    archive_read_support_filter_lzop,
    archive_write_add_filter_lzop,
    { "lzop", "-c", NULL },
    { "lzop", "-dc", NULL } },
};

#define N_FILTERS G_N_ELEMENTS (filters)

/* Bit i: filter i is in process, for reading / writing.  libarchive
 * answers ARCHIVE_WARN when it would fall back to an external program. */
static guint native_read_mask, native_write_mask;

static void
probe_filters (void)
{
  static gsize done;
  if (!g_once_init_enter (&done))
    return;
  for (guint i = 0; i < N_FILTERS; i++)
    {
      struct archive *a = archive_read_new ();
      if (filters[i].read_add (a) == ARCHIVE_OK)
        native_read_mask |= 1u << i;
      archive_read_free (a);
      a = archive_write_new ();
      if (filters[i].write_add (a) == ARCHIVE_OK)
        native_write_mask |= 1u << i;
      archive_write_free (a);
    }
  g_once_init_leave (&done, 1);
}

const GdcFilter *
gdc_filter_lookup (const char *name)
{
  for (guint i = 0; i < N_FILTERS; i++)
    if (strcmp (filters[i].name, name) == 0)
      return &filters[i];
  return NULL;
}

gboolean
gdc_filter_read_native (const GdcFilter *f)
{
  probe_filters ();
  return (native_read_mask & (1u << (f - filters))) != 0;
}

gboolean
gdc_filter_write_native (const GdcFilter *f)
{
  probe_filters ();
  return (native_write_mask & (1u << (f - filters))) != 0;
}

const char *const *
gdc_filter_compress_argv (const GdcFilter *f)
{
  return f->compress_argv;
}

const char *const *
gdc_filter_decompress_argv (const GdcFilter *f)
{
  return f->decompress_argv;
}

int
gdc_filter_read_add (struct archive *a, const GdcFilter *f)
{
  return f->read_add (a);
}

int
gdc_filter_write_add (struct archive *a, const GdcFilter *f)
{
  return f->write_add (a);
}

void
gdc_read_support_native_filters (struct archive *a)
{
  probe_filters ();
  for (guint i = 0; i < N_FILTERS; i++)
    if (native_read_mask & (1u << i))
      filters[i].read_add (a);
}
