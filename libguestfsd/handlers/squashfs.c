/* libguestfsd handlers: squashfs images.
 *
 * mksquashfs runs on the guest directory as its working directory and
 * writes the image to a private temporary directory of the daemon; the
 * image is then streamed to the client.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

static const char *const compressors[] = { "gzip", "lzma", "lzo", "lz4", "xz", "zstd", NULL };

gboolean
gd_do_mksquashfs (GdRequest *req, const char *path, const char *compress, char *const *excludes,
                  GError **error)
{
  gboolean has_compress = gd_request_has_optarg (req, GD_MKSQUASHFS_COMPRESS_BITMASK);
  gboolean has_excludes = gd_request_has_optarg (req, GD_MKSQUASHFS_EXCLUDES_BITMASK) &&
                          excludes != NULL && excludes[0] != NULL;
  if (has_compress && !g_strv_contains (compressors, compress))
    {
      gd_error_errno (error, EINVAL,
                      "%s: unknown compression (use gzip, lzma, lzo, lz4, xz or zstd)", compress);
      return FALSE;
    }

  int dirfd = gd_open (req, path, O_PATH | O_DIRECTORY, 0, error);
  if (dirfd < 0)
    return FALSE;

  gboolean ok = FALSE;
  int fd = -1;
  g_autoptr (GError) tmp_error = NULL;
  g_autofree char *tmpdir = g_dir_make_tmp ("guestfsd-squashfs.XXXXXX", &tmp_error);
  g_autofree char *image = NULL, *exclude_file = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  GdRunOpts opts;
  struct stat st;
  if (tmpdir == NULL)
    {
      gd_error_errno (error, EIO, "%s", tmp_error->message);
      goto out;
    }
  image = g_build_filename (tmpdir, "image.sqsh", NULL);
  exclude_file = g_build_filename (tmpdir, "excludes", NULL);

  g_ptr_array_add (argv, "mksquashfs");
  g_ptr_array_add (argv, ".");
  g_ptr_array_add (argv, image);
  g_ptr_array_add (argv, "-noappend");
  g_ptr_array_add (argv, "-no-progress");
  if (has_compress)
    {
      g_ptr_array_add (argv, "-comp");
      g_ptr_array_add (argv, (gpointer) compress);
    }
  if (has_excludes)
    {
      g_autofree char *joined = g_strjoinv ("\n", (char **) excludes);
      g_autofree char *text = g_strconcat (joined, "\n", NULL);
      if (!g_file_set_contents (exclude_file, text, -1, &tmp_error))
        {
          gd_error_errno (error, EIO, "%s", tmp_error->message);
          goto out;
        }
      g_ptr_array_add (argv, "-wildcards");
      g_ptr_array_add (argv, "-ef");
      g_ptr_array_add (argv, exclude_file);
    }
  g_ptr_array_add (argv, NULL);

  opts = (GdRunOpts){ .argv = (const char *const *) argv->pdata,
                      .flags = GD_RUN_PULSE,
                      .stdin_fd = -1,
                      .stdout_fd = -1,
                      .cwd_fd = dirfd };
  if (!gd_run_full (req, &opts, NULL, NULL, NULL, error))
    goto out;

  fd = open (image, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      gd_perror (error, "%s", image);
      goto out;
    }
  ok = gd_fileout_from_fd (req, fd, st.st_size, error);

out:
  if (fd >= 0)
    close (fd);
  close (dirfd);
  if (tmpdir)
    {
      unlink (image);
      unlink (exclude_file);
      rmdir (tmpdir);
    }
  return ok;
}
