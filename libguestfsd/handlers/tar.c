/* libguestfsd handlers: tar archives in and out.
 *
 * Both directions run libarchive in a child chrooted into the sysroot
 * (confine.h), so whatever the archive or the guest tree contains, every
 * path it touches is a guest path.  Compression is done in process by
 * libarchive where it can; otherwise (lzop, without liblzo2) by the host
 * program in a pipeline outside the chroot, since libarchive's fallback
 * would exec a program inside the guest.
 *
 * Extraction follows GNU tar's rules for hostile names: leading "/" is
 * dropped, and so is everything up to the last ".." component, so nothing
 * lands outside the target directory by name.  A symlink that the archive
 * itself created is never followed by a later member (GNU tar gets the
 * same effect by creating such links last); symlinks that were already in
 * the guest are followed, as GNU tar does, and the chroot keeps them
 * inside the guest.  Owners are restored by number: looking names up
 * inside the chroot would load the guest's NSS modules into our process.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "confine.h"
#include "gd-actions.h"
#include "gd-private.h"

#define SELINUX_XATTR "security.selinux"
#define ACL_XATTR_PREFIX "system.posix_acl_"

/* Which extended attributes of an entry travel: security.selinux with
 * selinux, POSIX ACLs (as xattrs) with acls, everything else with xattrs. */
static void
filter_xattrs (struct archive_entry *e, gboolean xattrs, gboolean selinux, gboolean acls)
{
  if (archive_entry_xattr_count (e) == 0)
    return;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gboolean dropped = FALSE;
  const char *name;
  const void *value;
  size_t size;
  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      gboolean keep;
      if (strcmp (name, SELINUX_XATTR) == 0)
        keep = selinux;
      else if (g_str_has_prefix (name, ACL_XATTR_PREFIX))
        keep = acls;
      else
        keep = xattrs;
      if (!keep)
        {
          dropped = TRUE;
          continue;
        }
      g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_add (values, g_bytes_new (value, size));
    }
  if (dropped)
    {
      archive_entry_xattr_clear (e);
      for (guint i = 0; i < names->len; i++)
        {
          gsize len;
          const void *v = g_bytes_get_data (g_ptr_array_index (values, i), &len);
          archive_entry_xattr_add_entry (e, g_ptr_array_index (names, i), v, len);
        }
    }
  g_ptr_array_unref (names);
  g_ptr_array_unref (values);
}

/* A member name for a message: very deep paths keep their end. */
static const char *
shown (const char *name)
{
  size_t len = strlen (name);
  return len > 400 ? name + len - 400 : name;
}

static gboolean
check_compress (const char *compress, const GdcFilter **filter, GError **error)
{
  *filter = NULL;
  if (compress == NULL || *compress == '\0' || strcmp (compress, "none") == 0)
    return TRUE;
  *filter = gdc_filter_lookup (compress);
  if (*filter == NULL)
    {
      gd_error_errno (error, EINVAL, "%s: unknown or unsupported compression type", compress);
      return FALSE;
    }
  return TRUE;
}

/* ---- tar_in ------------------------------------------------------------ */

typedef struct
{
  int dirfd;
  const char *directory;
  const GdcFilter *filter; /* in-process decompression, or NULL */
  gboolean auto_filters;   /* no compression named: accept any native one */
  gboolean xattrs, selinux, acls;
} TarIn;

/* GNU tar's safer name: no leading "/", nothing up to the last "..".
 * Returns the suffix of name to use ("" when nothing is left). */
static const char *
safer_name (const char *name, gboolean *changed)
{
  const char *p = name;
  const char *start = name;
  while (*p)
    {
      const char *end = strchrnul (p, '/');
      if (end - p == 2 && p[0] == '.' && p[1] == '.')
        start = *end ? end + 1 : end;
      p = *end ? end + 1 : end;
    }
  while (*start == '/')
    start++;
  *changed = start != name;
  return start;
}

/* "./a//b/" -> "a/b", for comparing member paths. */
static char *
normalize (const char *path)
{
  GString *s = g_string_new (NULL);
  const char *p = path;
  while (*p)
    {
      const char *end = strchrnul (p, '/');
      size_t len = end - p;
      if (len > 0 && !(len == 1 && p[0] == '.'))
        {
          if (s->len)
            g_string_append_c (s, '/');
          g_string_append_len (s, p, len);
        }
      p = *end ? end + 1 : end;
    }
  return g_string_free (s, FALSE);
}

/* Whether some proper prefix of path (normalized) is in links. */
static const char *
through_link (GHashTable *links, const char *path)
{
  if (g_hash_table_size (links) == 0)
    return NULL;
  g_autofree char *copy = g_strdup (path);
  for (char *slash = strchr (copy, '/'); slash; slash = strchr (slash + 1, '/'))
    {
      *slash = '\0';
      const char *hit = g_hash_table_lookup (links, copy);
      *slash = '/';
      if (hit)
        return hit;
    }
  return NULL;
}

/* Members whose names are longer than this are extracted from inside
 * their parent directory: libarchive loses track of very deep paths when
 * it restores owners. */
#define DEEP_NAME 2048

/* Opens (creating what is missing, like tar) the parent directory of
 * path below dirfd; *base is the last component.  Symlinks already in the
 * guest are followed, as for any member (the chroot keeps them in). */
static int
open_parent (int dirfd, const char *path, char **base)
{
  g_auto (GStrv) comps = g_strsplit (path, "/", -1);
  GPtrArray *keep = g_ptr_array_new ();
  for (char **c = comps; *c; c++)
    if (**c && strcmp (*c, ".") != 0)
      g_ptr_array_add (keep, *c);
  int fd = fcntl (dirfd, F_DUPFD_CLOEXEC, 3);
  for (guint i = 0; fd >= 0 && i + 1 < keep->len; i++)
    {
      const char *c = g_ptr_array_index (keep, i);
      int sub = openat (fd, c, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (sub < 0 && errno == ENOENT && mkdirat (fd, c, 0777) == 0)
        sub = openat (fd, c, O_PATH | O_DIRECTORY | O_CLOEXEC);
      int saved = errno;
      close (fd);
      errno = saved;
      fd = sub;
    }
  if (fd >= 0 && keep->len > 0)
    *base = g_strdup (g_ptr_array_index (keep, keep->len - 1));
  else if (fd >= 0)
    {
      close (fd);
      fd = -1;
      errno = EINVAL;
    }
  g_ptr_array_unref (keep);
  return fd;
}

static void
drain_stdin (void)
{
  char buf[65536];
  ssize_t n;
  while ((n = read (0, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    ;
}

static int
tar_in_child (gpointer p)
{
  TarIn *t = p;
  if (fchdir (t->dirfd) < 0)
    return gdc_fail_errno ("%s", t->directory);

  struct archive *in = archive_read_new ();
  archive_read_support_format_tar (in);
  archive_read_support_format_gnutar (in);
  if (t->filter)
    gdc_filter_read_add (in, t->filter);
  else if (t->auto_filters)
    gdc_read_support_native_filters (in);
  if (archive_read_open_fd (in, 0, 65536) != ARCHIVE_OK)
    return gdc_fail (archive_errno (in), "%s", archive_error_string (in));

  int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
              ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
  if (geteuid () == 0)
    flags |= ARCHIVE_EXTRACT_OWNER;
  if (t->xattrs || t->selinux)
    flags |= ARCHIVE_EXTRACT_XATTR;
  if (t->acls)
    flags |= ARCHIVE_EXTRACT_ACL;
  struct archive *out = archive_write_disk_new ();
  archive_write_disk_set_options (out, flags);

  /* Symlinks this archive made: normalized path -> the member's name. */
  GHashTable *links = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gboolean fatal = FALSE;
  for (;;)
    {
      struct archive_entry *e;
      int r = archive_read_next_header (in, &e);
      if (r == ARCHIVE_EOF)
        break;
      if (r == ARCHIVE_RETRY)
        continue;
      if (r == ARCHIVE_FATAL)
        {
          gdc_fail (archive_errno (in), "%s", archive_error_string (in));
          fatal = TRUE;
          break;
        }
      if (r == ARCHIVE_FAILED)
        {
          gdc_note (archive_errno (in), "%s", archive_error_string (in));
          continue;
        }

      const char *orig = archive_entry_pathname (e);
      if (orig == NULL)
        continue;
      gboolean changed;
      const char *name = safer_name (orig, &changed);
      if (*name == '\0')
        continue;
      g_autofree char *name_copy = g_strdup (name);
      if (changed)
        archive_entry_copy_pathname (e, name_copy);
      const char *hardlink = archive_entry_hardlink (e);
      g_autofree char *hardlink_copy = NULL;
      if (hardlink)
        {
          const char *h = safer_name (hardlink, &changed);
          hardlink_copy = g_strdup (h);
          if (changed)
            archive_entry_copy_hardlink (e, hardlink_copy);
        }

      g_autofree char *norm = normalize (name_copy);
      const char *via = through_link (links, norm);
      if (via == NULL && hardlink_copy)
        {
          g_autofree char *hnorm = normalize (hardlink_copy);
          via = through_link (links, hnorm);
        }
      if (via)
        {
          gdc_note (ELOOP, "%s: cannot extract through the symlink %s made by this archive",
                    shown (orig), shown (via));
          continue;
        }

      filter_xattrs (e, t->xattrs, t->selinux, t->acls);
      if (!t->acls)
        archive_entry_acl_clear (e);

      /* A very deep member: extracted from its parent directory, and a
       * directory's own attributes set here at once (libarchive's
       * deferred fixups would apply them by the short name, from the
       * wrong place). */
      int deep = -1;
      g_autofree char *base = NULL;
      gboolean deep_dir = FALSE;
      if (strlen (name_copy) > DEEP_NAME)
        {
          deep = open_parent (t->dirfd, name_copy, &base);
          if (deep < 0 || fchdir (deep) < 0)
            {
              gdc_note (errno, "%s: %s", shown (orig), strerror (errno));
              if (deep >= 0)
                close (deep);
              continue;
            }
          archive_entry_copy_pathname (e, base);
          if (hardlink_copy)
            {
              g_autofree char *abs = g_build_filename (t->directory, hardlink_copy, NULL);
              archive_entry_copy_hardlink (e, abs);
            }
          /* The name was made safe above; the link target is now given
           * from the guest's root. */
          int deep_flags = flags & ~ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
          deep_dir = archive_entry_filetype (e) == AE_IFDIR;
          if (deep_dir)
            deep_flags &= ~(ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
                            ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL);
          archive_write_disk_set_options (out, deep_flags);
        }

      r = archive_write_header (out, e);
      if (r < ARCHIVE_OK)
        {
          gdc_note (archive_errno (out), "%s: %s", shown (orig), archive_error_string (out));
          if (r == ARCHIVE_FATAL)
            {
              fatal = TRUE;
              break;
            }
        }
      if (r >= ARCHIVE_WARN && archive_entry_size (e) > 0)
        {
          const void *buf;
          size_t size;
          la_int64_t offset;
          while ((r = archive_read_data_block (in, &buf, &size, &offset)) == ARCHIVE_OK)
            if (archive_write_data_block (out, buf, size, offset) < ARCHIVE_OK)
              {
                gdc_note (archive_errno (out), "%s: %s", shown (orig), archive_error_string (out));
                break;
              }
          if (r < ARCHIVE_WARN && r != ARCHIVE_OK)
            {
              gdc_fail (archive_errno (in), "%s", archive_error_string (in));
              fatal = TRUE;
              break;
            }
        }
      r = archive_write_finish_entry (out);
      if (r < ARCHIVE_OK)
        gdc_note (archive_errno (out), "%s: %s", shown (orig), archive_error_string (out));
      if (deep >= 0)
        {
          if (deep_dir)
            {
              if ((flags & ARCHIVE_EXTRACT_OWNER) &&
                  fchownat (deep, base, archive_entry_uid (e), archive_entry_gid (e),
                            AT_SYMLINK_NOFOLLOW) < 0)
                gdc_note (errno, "%s: chown: %s", shown (orig), strerror (errno));
              if (fchmodat (deep, base, archive_entry_perm (e), 0) < 0)
                gdc_note (errno, "%s: chmod: %s", shown (orig), strerror (errno));
              struct timespec ts[2] = {
                { archive_entry_atime (e), archive_entry_atime_nsec (e) },
                { archive_entry_mtime (e), archive_entry_mtime_nsec (e) },
              };
              if (!archive_entry_atime_is_set (e))
                ts[0] = ts[1];
              if (utimensat (deep, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
                gdc_note (errno, "%s: setting times: %s", shown (orig), strerror (errno));
            }
          archive_write_disk_set_options (out, flags);
          if (fchdir (t->dirfd) < 0)
            {
              gdc_fail_errno ("%s", t->directory);
              fatal = TRUE;
              close (deep);
              break;
            }
          close (deep);
        }

      if (archive_entry_filetype (e) == AE_IFLNK)
        g_hash_table_insert (links, g_strdup (norm), g_strdup (orig));
      else if (g_hash_table_contains (links, norm))
        {
          /* A directory member keeps an existing link to a directory. */
          struct stat st;
          if (lstat (norm, &st) == 0 && !S_ISLNK (st.st_mode))
            g_hash_table_remove (links, norm);
        }
    }
  /* Directory modes and times are applied last. */
  if (archive_write_close (out) < ARCHIVE_OK)
    gdc_note (archive_errno (out), "%s", archive_error_string (out));
  archive_write_free (out);
  archive_read_free (in);
  g_hash_table_unref (links);
  if (!fatal)
    /* Let the sender finish: trailing blocks after the end of the archive. */
    drain_stdin ();
  return gdc_noted () ? 1 : 0;
}

/* Whichever error explains the failure best: the child's, unless the
 * transfer itself failed for another reason than the child going away. */
static gboolean
pick_error (gboolean xfer_ok, GError *xfer_error, gboolean child_ok, GError *child_error,
            GError **error)
{
  if (!xfer_ok && !g_error_matches (xfer_error, GD_ERRNO_ERROR, EPIPE))
    {
      g_propagate_error (error, xfer_error);
      if (child_error)
        g_error_free (child_error);
      return FALSE;
    }
  if (!child_ok)
    {
      g_propagate_error (error, child_error);
      if (xfer_error)
        g_error_free (xfer_error);
      return FALSE;
    }
  if (!xfer_ok)
    {
      g_propagate_error (error, xfer_error);
      return FALSE;
    }
  return TRUE;
}

/* Starts the confined child and, beside it, the host program that
 * (de)compresses for it; on failure neither runs. */
static gboolean
spawn_with_filter (GdRequest *req, GdcFunc func, gpointer data, int dirfd, int child_in,
                   int child_out, const char *const *prog_argv, int prog_in, int prog_out,
                   GdcChild *child, GdChild **prog, GError **error)
{
  if (!gdc_spawn (req, "tar", func, data, GDC_DEFAULT, dirfd, child_in, child_out, child, error))
    return FALSE;
  GdRunOpts opts = { .argv = prog_argv, .stdin_fd = prog_in, .stdout_fd = prog_out };
  *prog = gd_child_spawn (req, &opts, error);
  if (*prog == NULL)
    {
      gdc_abort (child);
      return FALSE;
    }
  return TRUE;
}

static gboolean
tar_in (GdRequest *req, const char *directory, const char *compress, gboolean xattrs,
        gboolean selinux, gboolean acls, GError **error)
{
  const GdcFilter *filter;
  if (!check_compress (compress, &filter, error))
    return FALSE;
  int dirfd = gd_open (req, directory, O_PATH | O_DIRECTORY, 0, error);
  if (dirfd < 0)
    return FALSE;

  TarIn t = { .dirfd = dirfd,
              .directory = directory,
              .auto_filters = filter == NULL,
              .xattrs = xattrs,
              .selinux = selinux,
              .acls = acls };
  GdcChild child;
  GdChild *prog = NULL;
  int wfd = -1;
  gboolean ok = FALSE;
  GError *xfer_error = NULL, *child_error = NULL;
  gboolean xfer_ok, child_ok;

  if (filter && !gdc_filter_read_native (filter))
    {
      /* client -> socket -> host decompressor -> pipe -> confined child */
      int sv[2], p[2];
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        {
          gd_perror (error, "socketpair");
          goto out;
        }
      if (!gdc_pipe (p, error))
        {
          close (sv[0]);
          close (sv[1]);
          goto out;
        }
      gboolean started = spawn_with_filter (req, tar_in_child, &t, dirfd, p[0], -1,
                                            gdc_filter_decompress_argv (filter), sv[1], p[1],
                                            &child, &prog, error);
      close (sv[1]);
      close (p[0]);
      close (p[1]);
      if (!started)
        {
          close (sv[0]);
          goto out;
        }
      wfd = sv[0];
    }
  else
    {
      t.filter = filter;
      if (!gdc_spawn (req, "tar", tar_in_child, &t, GDC_STDIN_SOCKET, dirfd, -1, -1, &child, error))
        goto out;
      wfd = child.in;
      child.in = -1;
    }

  xfer_ok = gdc_filein_to_socket (req, wfd, &xfer_error);
  close (wfd);
  if (prog != NULL && !gd_child_wait (prog, FALSE, xfer_ok ? &xfer_error : NULL))
    xfer_ok = FALSE;
  child_ok = gdc_wait (&child, &child_error);
  ok = pick_error (xfer_ok, xfer_error, child_ok, child_error, error);

out:
  close (dirfd);
  return ok;
}

gboolean
gd_do_tar_in (GdRequest *req, const char *directory, const char *compress, gboolean xattrs,
              gboolean selinux, gboolean acls, GError **error)
{
  return tar_in (req, directory, compress, xattrs, selinux, acls, error);
}

gboolean
gd_do_tgz_in (GdRequest *req, const char *directory, GError **error)
{
  return tar_in (req, directory, "gzip", FALSE, FALSE, FALSE, error);
}

gboolean
gd_do_txz_in (GdRequest *req, const char *directory, GError **error)
{
  return tar_in (req, directory, "xz", FALSE, FALSE, FALSE, error);
}

/* ---- tar_out ----------------------------------------------------------- */

typedef struct
{
  int dirfd;
  const char *directory;
  const GdcFilter *filter; /* in-process compression, or NULL */
  gboolean numericowner;
  char *const *excludes;
  gboolean xattrs, selinux, acls;
  GHashTable *users, *groups; /* id -> name, from the daemon's side */
  locale_t utf8;              /* C.UTF-8, made before the chroot, or 0 */
} TarOut;

/* uid/gid -> name maps read from the appliance's files (not through NSS:
 * the child runs in the guest and must not load modules). */
static GHashTable *
read_id_names (const char *file)
{
  GHashTable *h = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (file, &text, NULL, NULL))
    return h;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) f = g_strsplit (*l, ":", 4);
      if (g_strv_length (f) < 3 || *f[0] == '\0' || *f[0] == '+' || *f[0] == '-')
        continue;
      char *end;
      guint64 id = g_ascii_strtoull (f[2], &end, 10);
      if (*end || end == f[2] || id > G_MAXUINT32)
        continue;
      gpointer key = GUINT_TO_POINTER ((guint) id);
      if (!g_hash_table_contains (h, key)) /* the first entry wins, as getpwuid */
        g_hash_table_insert (h, key, g_strdup (f[0]));
    }
  return h;
}

static const char *
lookup_id (void *private_data, la_int64_t id)
{
  if (id < 0 || id > G_MAXUINT32)
    return NULL;
  return g_hash_table_lookup (private_data, GUINT_TO_POINTER ((guint) id));
}

static gboolean
write_data (struct archive *w, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      la_ssize_t n = archive_write_data (w, p, len);
      if (n <= 0)
        {
          gdc_fail (archive_errno (w), "%s", archive_error_string (w));
          return FALSE;
        }
      p += n;
      len -= n;
    }
  return TRUE;
}

/* The holes of a sparse file: the pax writer knows the file's map and
 * drops these bytes instead of storing them. */
static gboolean
write_zeros (struct archive *w, la_int64_t len)
{
  static const char zeros[65536];
  while (len > 0)
    {
      size_t n = MIN ((la_int64_t) sizeof zeros, len);
      if (!write_data (w, zeros, n))
        return FALSE;
      len -= n;
    }
  return TRUE;
}

/* One tar_out run: the writer and what every entry needs. */
typedef struct
{
  TarOut *t;
  struct archive *w, *disk, *match;
  struct archive_entry_linkresolver *resolver;
  gboolean fatal;
} TarWalk;

static gboolean
copy_file_data (TarWalk *tw, const char *name, const char *path, struct archive_entry *e)
{
  int fd = open (name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  la_int64_t size = archive_entry_size (e), done = 0;
  if (fd < 0)
    gdc_note (errno, "%s: %s", path, g_strerror (errno));
  else
    {
      static char buf[65536];
      while (done < size)
        {
          ssize_t n = read (fd, buf, MIN ((la_int64_t) sizeof buf, size - done));
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            gdc_note (errno, "%s: %s", path, g_strerror (errno));
          if (n <= 0)
            break;
          if (!write_data (tw->w, buf, n))
            {
              close (fd);
              return FALSE;
            }
          done += n;
        }
      close (fd);
    }
  /* A file that shrank while read (or could not be read) is padded with
   * zeros, as GNU tar does, to keep the archive well formed. */
  return write_zeros (tw->w, size - done);
}

/* Writes name (in the working directory; path is its name in the
 * archive, "." or "./a/b") and, for a directory, everything below it,
 * depth first in the order the directory lists its entries: GNU tar's
 * order, which extraction relies on to give directories their times back
 * (a directory's time is set once nothing more is extracted into it).
 * Files are reached from the working directory, so that names longer
 * than PATH_MAX still work. */
static void
tar_add (TarWalk *tw, const char *name, const char *path)
{
  struct stat st;
  if (lstat (name, &st) < 0)
    {
      gdc_note (errno, "%s: %s", path, g_strerror (errno));
      return;
    }
  if (S_ISSOCK (st.st_mode))
    {
      /* GNU tar: "socket ignored", a warning, not a failure. */
      fprintf (stderr, "tar: %s: socket ignored\n", path);
      return;
    }
  struct archive_entry *entry = archive_entry_new ();
  archive_entry_copy_pathname (entry, path);
  if (tw->match != NULL && archive_match_path_excluded (tw->match, entry) > 0)
    {
      archive_entry_free (entry);
      return;
    }
  /* libarchive reads the link target, xattrs and ACLs through the source
   * path, relative to the working directory. */
  archive_entry_copy_sourcepath (entry, name);
  int r = archive_read_disk_entry_from_file (tw->disk, entry, -1, &st);
  if (r < ARCHIVE_WARN)
    {
      gdc_note (archive_errno (tw->disk), "%s: %s", path, archive_error_string (tw->disk));
      archive_entry_free (entry);
      return;
    }
  filter_xattrs (entry, tw->t->xattrs, tw->t->selinux, tw->t->acls);
  /* With an ACL, libarchive's header mode has the group:: entry's bits
   * where GNU tar has the mask's (st_mode): libarchive writes the ACL's
   * user::, group:: and other:: entries from the mode, so "fixing" the
   * mode would change the ACL restored on extraction.  A listing differs
   * (docs/differences.md); the extracted files do not. */

  struct archive_entry *e = entry, *spare = NULL;
  archive_entry_linkify (tw->resolver, &e, &spare);
  /* The tar strategy never defers an entry: e is entry, maybe turned into
   * a hard link with no data. */
  if (e != NULL)
    {
      r = archive_write_header (tw->w, e);
      /* ARCHIVE_WARN: a name that is not UTF-8 (guest names are bytes) is
       * stored as it is. */
      if (r < ARCHIVE_WARN)
        {
          gdc_note (archive_errno (tw->w), "%s: %s", path, archive_error_string (tw->w));
          if (r == ARCHIVE_FATAL)
            tw->fatal = TRUE;
        }
      else
        {
          if (archive_entry_size (e) > 0 && archive_entry_hardlink (e) == NULL &&
              S_ISREG (st.st_mode) && !copy_file_data (tw, name, path, e))
            tw->fatal = TRUE;
          if (!tw->fatal && archive_write_finish_entry (tw->w) == ARCHIVE_FATAL)
            {
              gdc_fail (archive_errno (tw->w), "%s", archive_error_string (tw->w));
              tw->fatal = TRUE;
            }
        }
    }
  archive_entry_free (entry);
  if (tw->fatal || !S_ISDIR (st.st_mode))
    return;

  int parent = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int dfd = open (name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (parent < 0 || dfd < 0 || fchdir (dfd) < 0)
    {
      gdc_note (errno, "%s: %s", path, g_strerror (errno));
      if (parent >= 0)
        close (parent);
      if (dfd >= 0)
        close (dfd);
      return;
    }
  g_autoptr (GPtrArray) names = gdc_dir_names (dfd);
  if (names == NULL)
    gdc_note (errno, "%s: %s", path, g_strerror (errno));
  close (dfd);
  for (guint i = 0; names != NULL && i < names->len && !tw->fatal; i++)
    {
      g_autofree char *sub = g_strconcat (path, "/", (char *) names->pdata[i], NULL);
      tar_add (tw, names->pdata[i], sub);
    }
  if (fchdir (parent) < 0)
    {
      gdc_fail (errno, "%s: back to the parent: %s", path, g_strerror (errno));
      tw->fatal = TRUE;
    }
  close (parent);
}

static int
tar_out_child (gpointer p)
{
  TarOut *t = p;
  if (fchdir (t->dirfd) < 0)
    return gdc_fail_errno ("%s", t->directory);
  /* Names go into pax records as UTF-8 (GNU tar's "path" keyword), not as
   * bytes marked with a hdrcharset keyword GNU tar does not know. */
  if (t->utf8 != (locale_t) 0)
    uselocale (t->utf8);

  struct archive *w = archive_write_new ();
  /* GNU tar's own format, as the original's tar produced.  Extended
   * attributes and ACLs need pax records. */
  if (t->xattrs || t->selinux || t->acls)
    {
      archive_write_set_format_pax_restricted (w);
      /* Only the SCHILY.xattr records GNU tar reads (libarchive would add
       * LIBARCHIVE.xattr copies GNU tar warns about). */
      archive_write_set_format_option (w, "pax", "xattrheader", "SCHILY");
    }
  else
    archive_write_set_format_gnutar (w);
  if (t->filter && gdc_filter_write_add (w, t->filter) != ARCHIVE_OK)
    return gdc_fail (0, "%s", archive_error_string (w));
  /* Like tar piping into a compressor: the tar stream is padded to its
   * 10 KiB record, the compressed stream is not padded at all. */
  if (t->filter)
    archive_write_set_bytes_in_last_block (w, 1);
  if (archive_write_open_fd (w, 1) != ARCHIVE_OK)
    return gdc_fail (archive_errno (w), "%s", archive_error_string (w));

  struct archive *disk = archive_read_disk_new ();
  archive_read_disk_set_symlink_physical (disk);
  int behavior = ARCHIVE_READDISK_NO_FFLAGS | ARCHIVE_READDISK_NO_SPARSE;
  if (!t->xattrs && !t->selinux && !t->acls)
    behavior |= ARCHIVE_READDISK_NO_XATTR;
  if (!t->acls)
    behavior |= ARCHIVE_READDISK_NO_ACL;
  archive_read_disk_set_behavior (disk, behavior);
  if (!t->numericowner)
    {
      archive_read_disk_set_uname_lookup (disk, t->users, lookup_id, NULL);
      archive_read_disk_set_gname_lookup (disk, t->groups, lookup_id, NULL);
    }
  TarWalk tw = { .t = t, .w = w, .disk = disk };
  if (t->excludes && *t->excludes)
    {
      tw.match = archive_match_new ();
      for (char *const *x = t->excludes; *x; x++)
        if (archive_match_exclude_pattern (tw.match, *x) != ARCHIVE_OK)
          return gdc_fail (EINVAL, "%s: %s", *x, archive_error_string (tw.match));
    }
  tw.resolver = archive_entry_linkresolver_new ();
  archive_entry_linkresolver_set_strategy (tw.resolver, archive_format (w));

  tar_add (&tw, ".", ".");
  if (!tw.fatal && archive_write_close (w) != ARCHIVE_OK)
    gdc_fail (archive_errno (w), "%s", archive_error_string (w));
  return gdc_noted () ? 1 : 0;
}

static gboolean
tar_out (GdRequest *req, const char *directory, const char *compress, gboolean numericowner,
         char *const *excludes, gboolean xattrs, gboolean selinux, gboolean acls, GError **error)
{
  const GdcFilter *filter;
  if (!check_compress (compress, &filter, error))
    return FALSE;
  int dirfd = gd_open (req, directory, O_PATH | O_DIRECTORY, 0, error);
  if (dirfd < 0)
    return FALSE;

  TarOut t = { .dirfd = dirfd,
               .directory = directory,
               .numericowner = numericowner,
               .excludes = excludes,
               .xattrs = xattrs,
               .selinux = selinux,
               .acls = acls };
  t.utf8 = newlocale (LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  if (!numericowner)
    {
      t.users = read_id_names ("/etc/passwd");
      t.groups = read_id_names ("/etc/group");
    }
  GdcChild child;
  GdChild *prog = NULL;
  int rfd = -1;
  gboolean ok = FALSE, prog_ok;
  GError *prog_error = NULL;

  if (filter && !gdc_filter_write_native (filter))
    {
      /* confined child -> pipe -> host compressor -> pipe -> client */
      int a[2], b[2];
      if (!gdc_pipe (a, error))
        goto out;
      if (!gdc_pipe (b, error))
        {
          close (a[0]);
          close (a[1]);
          goto out;
        }
      gboolean started =
          spawn_with_filter (req, tar_out_child, &t, dirfd, -1, a[1],
                             gdc_filter_compress_argv (filter), a[0], b[1], &child, &prog, error);
      close (a[0]);
      close (a[1]);
      close (b[1]);
      if (!started)
        {
          close (b[0]);
          goto out;
        }
      rfd = b[0];
    }
  else
    {
      t.filter = filter;
      if (!gdc_spawn (req, "tar", tar_out_child, &t, GDC_STDOUT_PIPE, dirfd, -1, -1, &child, error))
        goto out;
      rfd = child.out;
      child.out = -1;
    }

  if (!gd_fileout_from_fd (req, rfd, 0, error))
    {
      close (rfd);
      gdc_abort (&child);
      if (prog != NULL)
        gd_child_wait (prog, TRUE, NULL);
      goto out;
    }
  close (rfd);
  prog_ok = prog == NULL || gd_child_wait (prog, FALSE, &prog_error);
  ok = gdc_wait (&child, error);
  if (ok && !prog_ok)
    {
      g_propagate_error (error, g_steal_pointer (&prog_error));
      ok = FALSE;
    }
  g_clear_error (&prog_error);

out:
  close (dirfd);
  if (t.utf8 != (locale_t) 0)
    freelocale (t.utf8);
  if (t.users)
    g_hash_table_unref (t.users);
  if (t.groups)
    g_hash_table_unref (t.groups);
  return ok;
}

gboolean
gd_do_tar_out (GdRequest *req, const char *directory, const char *compress, gboolean numericowner,
               char *const *excludes, gboolean xattrs, gboolean selinux, gboolean acls,
               GError **error)
{
  return tar_out (req, directory, compress, numericowner, excludes, xattrs, selinux, acls, error);
}

gboolean
gd_do_tgz_out (GdRequest *req, const char *directory, GError **error)
{
  return tar_out (req, directory, "gzip", FALSE, NULL, FALSE, FALSE, FALSE, error);
}

gboolean
gd_do_txz_out (GdRequest *req, const char *directory, GError **error)
{
  return tar_out (req, directory, "xz", FALSE, NULL, FALSE, FALSE, FALSE, error);
}
