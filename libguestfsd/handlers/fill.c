/* libguestfsd handlers: files of repeated bytes, directories of empty
 * files.  Long operations send progress.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

#define FILL_BLOCK (1024 * 1024)

/* Writes len bytes of the repeated pattern to a new (or truncated) file. */
static gboolean
fill_with (GdRequest *req, const char *pattern, size_t patlen, guint64 len, const char *path,
           GError **error)
{
  /* One block holding the pattern repeated, starting at its first byte:
   * block boundaries are multiples of the block size, which is itself a
   * multiple of the pattern length, so every block is the same. */
  size_t block = FILL_BLOCK - FILL_BLOCK % patlen;
  if (block == 0)
    block = patlen;
  g_autofree char *buf = g_malloc (block);
  for (size_t i = 0; i < block; i++)
    buf[i] = pattern[i % patlen];

  int fd = gd_fs_open_data (req, path, O_WRONLY | O_CREAT | O_TRUNC, 0666, error);
  if (fd < 0)
    return FALSE;
  guint64 done = 0;
  gboolean ok = TRUE;
  while (ok && done < len)
    {
      size_t n = MIN (block, len - done);
      ok = gd_write_all (fd, buf, n, path, error);
      done += n;
      gd_progress (req, done, len);
    }
  if (close (fd) < 0 && ok)
    {
      gd_perror (error, "%s", path);
      ok = FALSE;
    }
  return ok;
}

gboolean
gd_do_fill (GdRequest *req, int c, int len, const char *path, GError **error)
{
  if (c < 0 || c > 255)
    {
      gd_error_errno (error, EINVAL, "%d: c must be in the range [0..255]", c);
      return FALSE;
    }
  if (len < 0)
    {
      gd_error_errno (error, EINVAL, "%d: len must be >= 0", len);
      return FALSE;
    }
  char byte = (char) c;
  return fill_with (req, &byte, 1, len, path, error);
}

gboolean
gd_do_fill_pattern (GdRequest *req, const char *pattern, int len, const char *path, GError **error)
{
  if (len < 0)
    {
      gd_error_errno (error, EINVAL, "%d: len must be >= 0", len);
      return FALSE;
    }
  size_t patlen = strlen (pattern);
  if (patlen == 0)
    {
      if (len > 0)
        {
          gd_error_errno (error, EINVAL, "the pattern must not be empty");
          return FALSE;
        }
      pattern = "\0";
      patlen = 1;
    }
  return fill_with (req, pattern, patlen, len, path, error);
}

gboolean
gd_do_fill_dir (GdRequest *req, const char *dir, int nr, GError **error)
{
  if (nr < 0)
    {
      gd_error_errno (error, EINVAL, "%d: nr must be >= 0", nr);
      return FALSE;
    }
  int dfd = gd_open (req, dir, O_PATH | O_DIRECTORY, 0, error);
  if (dfd < 0)
    return FALSE;
  mode_t mode = 0666 & ~gd_fs_umask (req);
  gboolean ok = TRUE;
  for (int i = 0; ok && i < nr; i++)
    {
      char name[16];
      g_snprintf (name, sizeof name, "%08d", i);
      /* A new name is created here directly; anything already there goes
       * through the confined data open, which follows a symlink inside the
       * guest and refuses device nodes. */
      int fd = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, mode);
      if (fd < 0 && errno == EEXIST)
        {
          g_autofree char *p = gd_fs_join (dir, name);
          fd = gd_fs_open_data (req, p, O_WRONLY | O_CREAT | O_TRUNC, 0666, error);
          if (fd < 0)
            {
              ok = FALSE;
              break;
            }
        }
      else if (fd < 0)
        {
          gd_perror (error, "%s/%s", dir, name);
          ok = FALSE;
          break;
        }
      close (fd);
      gd_progress (req, i + 1, nr);
    }
  close (dfd);
  return ok;
}
