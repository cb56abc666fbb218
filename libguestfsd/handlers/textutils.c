/* libguestfsd handlers: head, tail, wc, hexdump, strings, equal.
 *
 * The output formats are those of the coreutils/util-linux/binutils
 * programs the original ran, so we run the same programs, reading the
 * guest file on stdin (an fd from gd_open): they never see a guest path.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confine.h"
#include "gd-actions.h"
#include "gd-private.h"

/* Runs argv with the guest file path on stdin; returns its stdout. */
static char *
run_on_file (GdRequest *req, const char *path, const char *const *argv, GError **error)
{
  int fd = gdc_open_file (req, path, NULL, error);
  if (fd < 0)
    return NULL;
  GdRunOpts opts = { .argv = argv,
                     .flags = GD_RUN_ANY_STATUS,
                     .stdin_fd = fd,
                     .stdout_fd = -1,
                     .max_out = GDC_MAX_RESULT };
  char *out = NULL;
  g_autofree char *err = NULL;
  int status;
  gboolean ok = gd_run_full (req, &opts, &out, &err, &status, error);
  close (fd);
  if (ok && status != 0)
    {
      gd_error (error, "%s: %s", path, *gd_chomp (err) ? err : "the program failed");
      ok = FALSE;
    }
  if (!ok)
    g_clear_pointer (&out, g_free);
  return out;
}

static gboolean
lines_of (GdRequest *req, const char *path, const char *const *argv, char ***ret, GError **error)
{
  g_autofree char *out = run_on_file (req, path, argv, error);
  if (out == NULL)
    return FALSE;
  *ret = gd_split_lines (out);
  return TRUE;
}

static gboolean
head_tail (GdRequest *req, const char *prog, int nrlines, const char *path, char ***ret,
           GError **error)
{
  if (nrlines == 0)
    {
      /* Still say when the file is not there. */
      int fd = gdc_open_file (req, path, NULL, error);
      if (fd < 0)
        return FALSE;
      close (fd);
      *ret = g_new0 (char *, 1);
      return TRUE;
    }
  /* head -n -N: all but the last N; tail -n +N: from line N on. */
  g_autofree char *n = NULL;
  if (nrlines > 0)
    n = g_strdup_printf ("%d", nrlines);
  else if (strcmp (prog, "head") == 0)
    n = g_strdup_printf ("-%u", -(unsigned) nrlines);
  else
    n = g_strdup_printf ("+%u", -(unsigned) nrlines);
  const char *argv[] = { prog, "-n", n, NULL };
  return lines_of (req, path, argv, ret, error);
}

gboolean
gd_do_head (GdRequest *req, const char *path, char ***ret, GError **error)
{
  return head_tail (req, "head", 10, path, ret, error);
}

gboolean
gd_do_head_n (GdRequest *req, int nrlines, const char *path, char ***ret, GError **error)
{
  return head_tail (req, "head", nrlines, path, ret, error);
}

gboolean
gd_do_tail (GdRequest *req, const char *path, char ***ret, GError **error)
{
  return head_tail (req, "tail", 10, path, ret, error);
}

gboolean
gd_do_tail_n (GdRequest *req, int nrlines, const char *path, char ***ret, GError **error)
{
  return head_tail (req, "tail", nrlines, path, ret, error);
}

static gboolean
wc (GdRequest *req, const char *flag, const char *path, int *ret, GError **error)
{
  const char *argv[] = { "wc", flag, NULL };
  g_autoptr (GError) local = NULL;
  g_autofree char *out = run_on_file (req, path, argv, &local);
  if (out == NULL)
    {
      /* "wc -l: /x: No such file or directory", as the original. */
      gd_error_errno (error, gd_error_get_errno (local), "wc %s: %s", flag, local->message);
      return FALSE;
    }
  char *end;
  gint64 n = g_ascii_strtoll (g_strstrip (out), &end, 10);
  if (*end || end == out)
    {
      gd_error (error, "%s: cannot parse the output of wc: %s", path, out);
      return FALSE;
    }
  if (n > G_MAXINT)
    {
      gd_error_errno (error, EOVERFLOW, "%s: the count %" G_GINT64_FORMAT " does not fit", path, n);
      return FALSE;
    }
  *ret = (int) n;
  return TRUE;
}

gboolean
gd_do_wc_l (GdRequest *req, const char *path, int *ret, GError **error)
{
  return wc (req, "-l", path, ret, error);
}

gboolean
gd_do_wc_w (GdRequest *req, const char *path, int *ret, GError **error)
{
  return wc (req, "-w", path, ret, error);
}

gboolean
gd_do_wc_c (GdRequest *req, const char *path, int *ret, GError **error)
{
  return wc (req, "-c", path, ret, error);
}

gboolean
gd_do_hexdump (GdRequest *req, const char *path, char **ret, GError **error)
{
  const char *argv[] = { "hexdump", "-C", NULL };
  *ret = run_on_file (req, path, argv, error);
  return *ret != NULL;
}

gboolean
gd_do_strings_e (GdRequest *req, const char *encoding, const char *path, char ***ret,
                 GError **error)
{
  if (strlen (encoding) != 1 || strchr ("sSbBlL", encoding[0]) == NULL)
    {
      gd_error_errno (error, EINVAL, "%s: unknown encoding (use one of s S b l B L)", encoding);
      return FALSE;
    }
  /* -a: scan the whole file, never parse it as an object file. */
  const char *argv[] = { "strings", "-a", "-e", encoding, NULL };
  return lines_of (req, path, argv, ret, error);
}

gboolean
gd_do_strings (GdRequest *req, const char *path, char ***ret, GError **error)
{
  return gd_do_strings_e (req, "s", path, ret, error);
}

/* ---- equal ------------------------------------------------------------- */

/* Reads up to len bytes; returns the count (short only at end of file). */
static gssize
read_full (int fd, guint8 *buf, size_t len)
{
  size_t got = 0;
  while (got < len)
    {
      ssize_t n = read (fd, buf + got, len - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      got += n;
    }
  return got;
}

gboolean
gd_do_equal (GdRequest *req, const char *file1, const char *file2, gboolean *ret, GError **error)
{
  struct stat st1, st2;
  int fd1 = gdc_open_file (req, file1, &st1, error);
  if (fd1 < 0)
    return FALSE;
  int fd2 = gdc_open_file (req, file2, &st2, error);
  if (fd2 < 0)
    {
      close (fd1);
      return FALSE;
    }
  gboolean ok = TRUE;
  if (st1.st_dev == st2.st_dev && st1.st_ino == st2.st_ino)
    *ret = TRUE;
  else if (st1.st_size != st2.st_size)
    *ret = FALSE;
  else
    {
      enum
      {
        BUF = 256 * 1024
      };
      g_autofree guint8 *b1 = g_malloc (BUF);
      g_autofree guint8 *b2 = g_malloc (BUF);
      *ret = TRUE;
      for (;;)
        {
          gssize n1 = read_full (fd1, b1, BUF);
          gssize n2 = n1 < 0 ? 0 : read_full (fd2, b2, BUF);
          if (n1 < 0 || n2 < 0)
            {
              gd_perror (error, "%s", n1 < 0 ? file1 : file2);
              ok = FALSE;
              break;
            }
          if (n1 != n2 || memcmp (b1, b2, n1) != 0)
            {
              *ret = FALSE;
              break;
            }
          if (n1 == 0)
            break;
        }
    }
  close (fd1);
  close (fd2);
  return ok;
}
