/* libguestfsd handlers: btrfs.
 *
 * Most of these run btrfs-progs and parse what they print.  btrfs(8)
 * wants a path on the mounted filesystem; it never gets a host path built
 * from a guest path (a symlink in the guest could send it anywhere on the
 * host).  The guest path is resolved inside the sysroot with gd_open, and
 * the program works on "." from that directory (cwd_fd), or, for a
 * regular file, on /proc/self/fd/0 with the file as its stdin.
 *
 * Procedures taking a Mountable_or_Path accept a device (or a btrfsvol:
 * subvolume) that is not mounted: we mount it for the call as a detached
 * mount (fsopen/fsmount), which nobody else can see and which goes away
 * when its fd is closed, so no temporary directory is ever needed.
 *
 * Subvolume creation, snapshots and deletion use the btrfs ioctls on fds
 * from the sysroot directly: a snapshot names two guest paths, which no
 * single working directory could confine.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <linux/btrfs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

/* The inode number of the root directory of every btrfs subvolume. */
#define SUBVOL_ROOT_INO 256

/* ------------------------------------------------------------------------
 * What btrfs(8) works on.
 */

typedef struct
{
  int fd;          /* O_PATH of the guest object, or a detached mount */
  gboolean is_dir; /* a directory: btrfs runs in it on "."; else stdin */
  char *name;      /* the guest's name for it, for messages */
} Target;

static void
target_clear (Target *t)
{
  if (t->fd >= 0)
    close (t->fd);
  t->fd = -1;
  g_clear_pointer (&t->name, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Target, target_clear)

#define TARGET_INIT                                                                                \
  {                                                                                                \
    .fd = -1                                                                                       \
  }

/* A guest path: a directory, or (unless want_dir) a regular file. */
static gboolean
open_target (GdRequest *req, const char *path, gboolean want_dir, Target *t, GError **error)
{
  t->fd = gd_open (req, path, O_PATH | (want_dir ? O_DIRECTORY : 0), 0, error);
  if (t->fd < 0)
    return FALSE;
  t->name = g_strdup (path);
  struct stat st;
  if (fstat (t->fd, &st) < 0)
    {
      gd_perror (error, "%s", path);
      return FALSE;
    }
  t->is_dir = S_ISDIR (st.st_mode);
  if (!t->is_dir && !S_ISREG (st.st_mode))
    {
      gd_error_errno (error, EINVAL, "%s: not a regular file or directory", path);
      return FALSE;
    }
  return TRUE;
}

static const char *
target_arg (const Target *t)
{
  return t->is_dir ? "." : "/proc/self/fd/0";
}

static char *
mountable_name (const GdMountable *m)
{
  if (m->type == GD_MOUNTABLE_BTRFSVOL)
    return g_strdup_printf ("btrfsvol:%s/%s", m->device->guest, m->volume);
  return g_strdup (m->device->guest);
}

/* What the kernel said about a failed fsconfig, if anything. */
static char *
fs_context_messages (int fsfd)
{
  GString *s = g_string_new (NULL);
  char buf[1024];
  ssize_t n;
  while ((n = read (fsfd, buf, sizeof buf - 1)) > 0)
    {
      buf[n] = '\0';
      gd_chomp (buf);
      /* "e btrfs: ...", "w ...", "i ...": the level, a space, the text. */
      const char *text = (n > 2 && buf[1] == ' ') ? buf + 2 : buf;
      g_string_append_printf (s, "%s%s", s->len ? "; " : "", text);
    }
  return g_string_free (s, FALSE);
}

/* Mounts a btrfs device or subvolume where nobody can see it: the mount
 * is not attached anywhere and disappears with its fd. */
static gboolean
mount_detached (GdRequest *req, const GdMountable *m, gboolean readonly, Target *t, GError **error)
{
  t->name = mountable_name (m);
  int fsfd = fsopen ("btrfs", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    {
      gd_perror (error, "%s: cannot mount it as btrfs", t->name);
      return FALSE;
    }
  gboolean ok = fsconfig (fsfd, FSCONFIG_SET_STRING, "source", m->device->node, 0) == 0;
  if (ok && m->type == GD_MOUNTABLE_BTRFSVOL)
    ok = fsconfig (fsfd, FSCONFIG_SET_STRING, "subvol", m->volume, 0) == 0;
  if (ok && readonly)
    ok = fsconfig (fsfd, FSCONFIG_SET_FLAG, "ro", NULL, 0) == 0;
  if (ok)
    ok = fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0;
  if (ok)
    {
      t->fd = fsmount (fsfd, FSMOUNT_CLOEXEC,
                       MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC |
                           (readonly ? MOUNT_ATTR_RDONLY : 0));
      ok = t->fd >= 0;
    }
  if (!ok)
    {
      int saved = errno;
      g_autofree char *why = fs_context_messages (fsfd);
      gd_error_errno (error, saved, "%s: cannot mount it as btrfs: %s%s%s%s", t->name,
                      g_strerror (saved), *why ? " (" : "", why, *why ? ")" : "");
    }
  close (fsfd);
  t->is_dir = TRUE;
  if (ok)
    gd_log (gd_request_connection (req), "%s: mounted for this call (detached)", t->name);
  return ok;
}

/* A Mountable_or_Path: a directory of the mounted guest, or a device or
 * subvolume mounted for the call. */
static gboolean
open_fs_target (GdRequest *req, const GdMountable *fs, gboolean readonly, Target *t, GError **error)
{
  if (fs->type == GD_MOUNTABLE_PATH)
    return open_target (req, fs->path, TRUE, t, error);
  return mount_detached (req, fs, readonly, t, error);
}

/* ------------------------------------------------------------------------
 * Running btrfs-progs.
 */

/* btrfs-progs messages name what it was given: our "." or
 * /proc/self/fd/0, the host's device nodes, the sysroot's host path.  Put
 * the guest's names in their place. */
static char *
guest_names (GdRequest *req, const char *msg, const Target *t)
{
  g_autofree char *a = NULL;
  if (t != NULL && t->name != NULL)
    {
      /* A "." standing alone ("on '.'", "on .:"), not a full stop. */
      static GRegex *dot_re;
      if (g_once_init_enter (&dot_re))
        g_once_init_leave (&dot_re, g_regex_new ("(?<=^|[\\s'\"])\\.(?=$|[\\s'\":,])",
                                                 G_REGEX_MULTILINE, 0, NULL));
      g_autofree char *a1 = g_regex_replace_literal (dot_re, msg, -1, 0, t->name, 0, NULL);
      a = gd_str_replace (a1 ? a1 : msg, "/proc/self/fd/0", t->name);
    }
  else
    a = g_strdup (msg);
  const char *sysroot = gd_conn_sysroot (gd_request_connection (req));
  g_autofree char *b = strcmp (sysroot, "/") != 0 ? gd_str_replace (a, sysroot, "") : g_strdup (a);
  return gd_map_device_names (gd_request_connection (req), b);
}

/* The message of a failed run ("prog: its stderr") as the user should
 * read it: guest names, no "ERROR: " prefixes, and starting with subject
 * (what it is about) unless it names it already. */
static char *
tidy_message (GdRequest *req, const char *raw, const Target *t, const char *subject)
{
  g_autofree char *msg = guest_names (req, raw, t);
  /* The scrub wrapper (host mode) is btrfs to the user. */
  if (g_str_has_prefix (msg, "unshare: "))
    {
      char *b = g_strconcat ("btrfs: ", msg + strlen ("unshare: "), NULL);
      g_free (msg);
      msg = b;
    }
  g_autofree char *a = gd_str_replace (msg, "\nERROR: ", "\n");
  g_autofree char *b = gd_str_replace (a, ": ERROR: ", ": ");
  if (subject != NULL && strstr (b, subject) == NULL)
    return g_strdup_printf ("%s: %s", subject, b);
  return g_steal_pointer (&b);
}

/* Runs a program on t (may be NULL); a failure's message names subject
 * (default: t's name). */
static gboolean
run_opts (GdRequest *req, const Target *t, const char *subject, GdRunOpts *opts, char **out,
          GError **error)
{
  if (subject == NULL && t != NULL)
    subject = t->name;
  if (t != NULL)
    {
      if (t->is_dir)
        opts->cwd_fd = t->fd;
      else
        opts->stdin_fd = t->fd;
    }
  g_autoptr (GError) local = NULL;
  if (gd_run_full (req, opts, out, NULL, NULL, &local))
    return TRUE;
  g_autofree char *msg = tidy_message (req, local->message, t, subject);
  gd_error_errno (error, gd_error_get_errno (local), "%s", msg);
  return FALSE;
}

/* Runs argv (NULL-terminated GPtrArray) on t (may be NULL). */
static gboolean
run (GdRequest *req, const Target *t, const char *subject, GPtrArray *argv, GdRunFlags flags,
     char **out, GError **error)
{
  if (argv->len == 0 || g_ptr_array_index (argv, argv->len - 1) != NULL)
    g_ptr_array_add (argv, NULL);
  GdRunOpts opts = {
    .argv = (const char *const *) argv->pdata,
    .flags = flags,
    .stdin_fd = -1,
    .stdout_fd = -1,
    .cwd_fd = -1,
  };
  return run_opts (req, t, subject, &opts, out, error);
}

static GPtrArray *args_new (const char *first, ...) G_GNUC_NULL_TERMINATED;

/* An argument vector whose strings the array owns. */
static GPtrArray *
args_new (const char *first, ...)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
  va_list ap;
  va_start (ap, first);
  for (const char *s = first; s; s = va_arg (ap, const char *))
    g_ptr_array_add (a, g_strdup (s));
  va_end (ap);
  return a;
}

static void
args_add (GPtrArray *a, const char *s)
{
  g_ptr_array_add (a, g_strdup (s));
}

static void args_add_printf (GPtrArray *a, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
args_add_printf (GPtrArray *a, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_ptr_array_add (a, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

/* "btrfs A B ... <target>": the common shape. */
static gboolean btrfs_on (GdRequest *req, const Target *t, GdRunFlags flags, char **out,
                          GError **error, const char *first, ...) G_GNUC_NULL_TERMINATED;

static gboolean
btrfs_on (GdRequest *req, const Target *t, GdRunFlags flags, char **out, GError **error,
          const char *first, ...)
{
  g_autoptr (GPtrArray) argv = args_new ("btrfs", NULL);
  va_list ap;
  va_start (ap, first);
  for (const char *s = first; s; s = va_arg (ap, const char *))
    args_add (argv, s);
  va_end (ap);
  args_add (argv, target_arg (t));
  return run (req, t, NULL, argv, flags, out, error);
}

/* "btrfs A B ... ." on the directory (or file) path of the guest. */
static gboolean
btrfs_on_path (GdRequest *req, const char *path, gboolean want_dir, GdRunFlags flags, char **out,
               GError **error, const char *a1, const char *a2, const char *a3)
{
  g_auto (Target) t = TARGET_INIT;
  if (!open_target (req, path, want_dir, &t, error))
    return FALSE;
  return btrfs_on (req, &t, flags, out, error, a1, a2, a3, NULL);
}

/* ------------------------------------------------------------------------
 * Parsing helpers.
 */

static gboolean
parse_u64 (const char *s, guint64 *v)
{
  if (s == NULL || !g_ascii_isdigit (*s))
    return FALSE;
  char *end;
  errno = 0;
  guint64 n = g_ascii_strtoull (s, &end, 10);
  if (errno != 0 || *end != '\0')
    return FALSE;
  *v = n;
  return TRUE;
}

static void
bad_output (GError **error, const char *what, const char *line)
{
  gd_error_errno (error, EIO, "unexpected output from %s: \"%s\"", what, line);
}

/* "0/5", "1/100" or "100" (level 0): the 64-bit qgroup id the kernel uses. */
static gboolean
parse_qgroupid (const char *s, guint64 *id, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (s, "/", -1);
  guint n = g_strv_length (parts);
  guint64 level = 0, sub = 0;
  gboolean ok = (n == 1 && parse_u64 (parts[0], &sub)) ||
                (n == 2 && parse_u64 (parts[0], &level) && parse_u64 (parts[1], &sub));
  if (!ok || level >= (1 << 16) || sub >= (G_GUINT64_CONSTANT (1) << 48))
    {
      gd_error_errno (error, EINVAL, "%s: not a qgroup id (LEVEL/ID, e.g. 0/257)", s);
      return FALSE;
    }
  *id = (level << 48) | sub;
  return TRUE;
}

static gboolean
check_qgroupid (const char *s, GError **error)
{
  guint64 id;
  return parse_qgroupid (s, &id, error);
}

/* ------------------------------------------------------------------------
 * mkfs.btrfs.
 */

typedef struct
{
  gboolean alloc_start; /* --alloc-start (removed in btrfs-progs 5) */
  gboolean leafsize;    /* --leafsize (removed in 6.0: same as --nodesize) */
  gboolean force;       /* -f */
} MkfsFeatures;

static MkfsFeatures
mkfs_features (GdRequest *req)
{
  static MkfsFeatures features;
  static gsize done;
  if (g_once_init_enter (&done))
    {
      g_autofree char *help = NULL;
      const char *argv[] = { "mkfs.btrfs", "--help", NULL };
      GdRunOpts opts = { .argv = argv,
                         .flags = GD_RUN_ANY_STATUS | GD_RUN_FOLD_STDERR,
                         .stdin_fd = -1,
                         .stdout_fd = -1 };
      if (gd_run_full (req, &opts, &help, NULL, NULL, NULL))
        {
          g_auto (GStrv) lines = g_strsplit (help, "\n", -1);
          for (char **l = lines; *l; l++)
            {
              if (strstr (*l, "--alloc-start") && !strstr (*l, "removed"))
                features.alloc_start = TRUE;
              if (strstr (*l, "--leafsize") && !strstr (*l, "removed"))
                features.leafsize = TRUE;
              if (strstr (*l, "--force"))
                features.force = TRUE;
            }
        }
      else
        features.force = TRUE;
      g_once_init_leave (&done, 1);
    }
  return features;
}

gboolean
gd_do_mkfs_btrfs (GdRequest *req, GdDevice *const *devices, int64_t allocstart, int64_t bytecount,
                  const char *datatype, int leafsize, const char *label, const char *metadata,
                  int nodesize, int sectorsize, GError **error)
{
  if (devices[0] == NULL)
    {
      gd_error_errno (error, EINVAL, "list of devices must be non-empty");
      return FALSE;
    }
  gboolean has_alloc = gd_request_has_optarg (req, GD_MKFS_BTRFS_ALLOCSTART_BITMASK);
  gboolean has_bytes = gd_request_has_optarg (req, GD_MKFS_BTRFS_BYTECOUNT_BITMASK);
  gboolean has_leaf = gd_request_has_optarg (req, GD_MKFS_BTRFS_LEAFSIZE_BITMASK);
  gboolean has_node = gd_request_has_optarg (req, GD_MKFS_BTRFS_NODESIZE_BITMASK);
  gboolean has_sector = gd_request_has_optarg (req, GD_MKFS_BTRFS_SECTORSIZE_BITMASK);
  if ((has_alloc && !gd_fs_check_not_negative (NULL, "allocstart", allocstart, error)) ||
      (has_bytes && !gd_fs_check_not_negative (NULL, "bytecount", bytecount, error)) ||
      (has_leaf && !gd_fs_check_not_negative (NULL, "leafsize", leafsize, error)) ||
      (has_node && !gd_fs_check_not_negative (NULL, "nodesize", nodesize, error)) ||
      (has_sector && !gd_fs_check_not_negative (NULL, "sectorsize", sectorsize, error)))
    return FALSE;

  MkfsFeatures f = mkfs_features (req);
  g_autoptr (GPtrArray) argv = args_new ("mkfs.btrfs", NULL);
  if (f.force)
    args_add (argv, "-f");
  if (has_alloc)
    {
      /* The allocation offset stopped doing anything in btrfs-progs 4.x
       * and the option is gone from current releases. */
      if (f.alloc_start)
        args_add_printf (argv, "--alloc-start=%" G_GINT64_FORMAT, allocstart);
      else
        gd_log (gd_request_connection (req), "mkfs.btrfs: allocstart ignored (no such option)");
    }
  if (has_bytes)
    args_add_printf (argv, "--byte-count=%" G_GINT64_FORMAT, bytecount);
  if (gd_request_has_optarg (req, GD_MKFS_BTRFS_DATATYPE_BITMASK))
    args_add_printf (argv, "--data=%s", datatype);
  if (has_leaf)
    {
      /* The leaf size always was the node size; current releases only
       * know the latter. */
      if (f.leafsize)
        args_add_printf (argv, "--leafsize=%d", leafsize);
      else if (has_node && nodesize != leafsize)
        {
          gd_error_errno (error, EINVAL,
                          "leafsize (%d) and nodesize (%d) are the same setting: they must agree",
                          leafsize, nodesize);
          return FALSE;
        }
      else if (!has_node)
        args_add_printf (argv, "--nodesize=%d", leafsize);
    }
  if (gd_request_has_optarg (req, GD_MKFS_BTRFS_LABEL_BITMASK))
    args_add_printf (argv, "--label=%s", label);
  if (gd_request_has_optarg (req, GD_MKFS_BTRFS_METADATA_BITMASK))
    args_add_printf (argv, "--metadata=%s", metadata);
  if (has_node)
    args_add_printf (argv, "--nodesize=%d", nodesize);
  if (has_sector)
    args_add_printf (argv, "--sectorsize=%d", sectorsize);
  args_add (argv, "--");
  for (GdDevice *const *d = devices; *d; d++)
    args_add (argv, (*d)->node);
  return run (req, NULL, NULL, argv, GD_RUN_PULSE, NULL, error);
}

/* ------------------------------------------------------------------------
 * Filesystem-wide operations on a mounted filesystem.
 */

gboolean
gd_do_btrfs_filesystem_resize (GdRequest *req, const char *mountpoint, int64_t size, GError **error)
{
  g_autofree char *sz = NULL;
  if (gd_request_has_optarg (req, GD_BTRFS_FILESYSTEM_RESIZE_SIZE_BITMASK))
    {
      /* btrfs reads "-N" as "shrink by N". */
      if (!gd_fs_check_not_negative (NULL, "size", size, error))
        return FALSE;
      sz = g_strdup_printf ("%" G_GINT64_FORMAT, size);
    }
  else
    sz = g_strdup ("max");
  return btrfs_on_path (req, mountpoint, TRUE, GD_RUN_DEFAULT, NULL, error, "filesystem", "resize",
                        sz);
}

gboolean
gd_do_btrfs_filesystem_sync (GdRequest *req, const char *fs, GError **error)
{
  return btrfs_on_path (req, fs, FALSE, GD_RUN_DEFAULT, NULL, error, "filesystem", "sync", NULL);
}

gboolean
gd_do_btrfs_filesystem_balance (GdRequest *req, const char *fs, GError **error)
{
  /* --full-balance: without it btrfs waits 10 s for a Ctrl-C first. */
  return btrfs_on_path (req, fs, TRUE, GD_RUN_PULSE, NULL, error, "balance", "start",
                        "--full-balance");
}

gboolean
gd_do_btrfs_filesystem_defragment (GdRequest *req, const char *path, gboolean flush,
                                   const char *compress, GError **error)
{
  g_auto (Target) t = TARGET_INIT;
  if (gd_request_has_optarg (req, GD_BTRFS_FILESYSTEM_DEFRAGMENT_COMPRESS_BITMASK) &&
      strcmp (compress, "zlib") != 0 && strcmp (compress, "lzo") != 0 &&
      strcmp (compress, "zstd") != 0)
    {
      gd_error_errno (error, EINVAL, "compress: \"%s\": unknown method (zlib, lzo or zstd)",
                      compress);
      return FALSE;
    }
  if (!open_target (req, path, FALSE, &t, error))
    return FALSE;
  g_autoptr (GPtrArray) argv = args_new ("btrfs", "filesystem", "defragment", NULL);
  /* A directory: its files, recursively (btrfs does not follow
   * symlinks there). */
  if (t.is_dir)
    args_add (argv, "-r");
  if (gd_request_has_optarg (req, GD_BTRFS_FILESYSTEM_DEFRAGMENT_FLUSH_BITMASK) && flush)
    args_add (argv, "-f");
  if (gd_request_has_optarg (req, GD_BTRFS_FILESYSTEM_DEFRAGMENT_COMPRESS_BITMASK))
    args_add_printf (argv, "-c%s", compress);
  args_add (argv, target_arg (&t));
  return run (req, &t, NULL, argv, GD_RUN_PULSE, NULL, error);
}

/* Every "devid N size S used U path P" line of `btrfs filesystem show`;
 * ENODEV when btrfs says some are missing. */
static gboolean
parse_filesystem_show (const char *out, GPtrArray *paths, GError **error)
{
  g_auto (GStrv) lines = gd_split_lines (out);
  for (char **l = lines; *l; l++)
    {
      const char *line = g_strchug (*l);
      if (strstr (line, "devices missing") || strstr (line, "<missing disk>"))
        {
          gd_error_errno (error, ENODEV, "some devices of this btrfs filesystem are missing");
          return FALSE;
        }
      if (!g_str_has_prefix (line, "devid "))
        continue;
      const char *p = strstr (line, " path ");
      if (p == NULL)
        {
          bad_output (error, "btrfs filesystem show", line);
          return FALSE;
        }
      g_ptr_array_add (paths, g_strdup (p + strlen (" path ")));
    }
  if (paths->len == 0)
    {
      gd_error_errno (error, EIO, "btrfs filesystem show listed no devices");
      return FALSE;
    }
  return TRUE;
}

gboolean
gd_do_btrfs_filesystem_show (GdRequest *req, const GdDevice *device, char ***ret, GError **error)
{
  g_autofree char *out = NULL;
  g_autoptr (GPtrArray) argv = args_new ("btrfs", "filesystem", "show", device->node, NULL);
  if (!run (req, NULL, device->guest, argv, GD_RUN_DEFAULT, &out, error))
    return FALSE;
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  if (!parse_filesystem_show (out, paths, error))
    return FALSE;
  g_ptr_array_add (paths, NULL);
  *ret = (char **) g_ptr_array_free (g_steal_pointer (&paths), FALSE);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Subvolumes (ioctls on confined fds).
 */

/* A writable-ioctl fd on the directory an O_PATH fd names. */
static int
reopen_dir (int pfd, const char *path, GError **error)
{
  int fd = openat (pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    gd_perror (error, "%s", path);
  return fd;
}

static void
ioctl_error (GError **error, int err, const char *path, const char *what)
{
  if (err == ENOTTY || err == EOPNOTSUPP)
    gd_error_errno (error, EINVAL, "%s: not on a btrfs filesystem", path);
  else
    gd_error_errno (error, err, "%s: %s: %s", path, what, g_strerror (err));
}

/* Creates a subvolume or a snapshot (of src_fd) called name in the
 * directory dfd. */
static gboolean
create_subvol (GdRequest *req, int dfd, const char *name, int src_fd, gboolean ro,
               const char *qgroupid, gboolean has_qgroupid, const char *path, GError **error)
{
  (void) req;
  if (strlen (name) > BTRFS_SUBVOL_NAME_MAX || strlen (name) > NAME_MAX)
    {
      gd_error_errno (error, ENAMETOOLONG, "%s: %s", path, g_strerror (ENAMETOOLONG));
      return FALSE;
    }
  struct btrfs_ioctl_vol_args_v2 args;
  memset (&args, 0, sizeof args);
  g_strlcpy (args.name, name, sizeof args.name);
  g_autofree struct btrfs_qgroup_inherit *inherit = NULL;
  if (has_qgroupid)
    {
      guint64 id;
      if (!parse_qgroupid (qgroupid, &id, error))
        return FALSE;
      size_t size = sizeof (*inherit) + sizeof (__u64);
      inherit = g_malloc0 (size);
      inherit->num_qgroups = 1;
      inherit->qgroups[0] = id;
      args.flags |= BTRFS_SUBVOL_QGROUP_INHERIT;
      args.size = size;
      args.qgroup_inherit = inherit;
    }
  if (ro)
    args.flags |= BTRFS_SUBVOL_RDONLY;
  unsigned long op = BTRFS_IOC_SUBVOL_CREATE_V2;
  if (src_fd >= 0)
    {
      args.fd = src_fd;
      op = BTRFS_IOC_SNAP_CREATE_V2;
    }
  if (ioctl (dfd, op, &args) < 0)
    {
      int err = errno;
      ioctl_error (error, err, path,
                   src_fd >= 0 ? "cannot create the snapshot" : "cannot create the subvolume");
      return FALSE;
    }
  return TRUE;
}

gboolean
gd_do_btrfs_subvolume_create (GdRequest *req, const char *dest, const char *qgroupid,
                              GError **error)
{
  g_autofree char *name = NULL;
  int pfd = gd_open_parent (req, dest, &name, error);
  if (pfd < 0)
    return FALSE;
  gboolean ok = FALSE;
  int dfd = -1;
  if (gd_fs_is_dot_or_dotdot (name))
    gd_error_errno (error, EEXIST, "%s: %s", dest, g_strerror (EEXIST));
  else if ((dfd = reopen_dir (pfd, dest, error)) >= 0)
    ok = create_subvol (req, dfd, name, -1, FALSE, qgroupid,
                        gd_request_has_optarg (req, GD_BTRFS_SUBVOLUME_CREATE_QGROUPID_BITMASK),
                        dest, error);
  if (dfd >= 0)
    close (dfd);
  close (pfd);
  return ok;
}

gboolean
gd_do_btrfs_subvolume_snapshot (GdRequest *req, const char *source, const char *dest, gboolean ro,
                                const char *qgroupid, GError **error)
{
  int sfd = gd_open (req, source, O_RDONLY | O_DIRECTORY, 0, error);
  if (sfd < 0)
    return FALSE;
  struct stat st;
  if (fstat (sfd, &st) == 0 && st.st_ino != SUBVOL_ROOT_INO)
    {
      close (sfd);
      gd_error_errno (error, EINVAL, "%s: not a btrfs subvolume", source);
      return FALSE;
    }

  /* As btrfs does: into an existing directory, under the source's name;
   * otherwise dest names the snapshot. */
  g_autofree char *name = NULL;
  int pfd = gd_open (req, dest, O_PATH | O_DIRECTORY, 0, NULL);
  if (pfd >= 0)
    {
      name = g_path_get_basename (source);
      if (strcmp (name, "/") == 0 || gd_fs_is_dot_or_dotdot (name))
        {
          close (pfd);
          close (sfd);
          gd_error_errno (error, EINVAL,
                          "%s: an existing directory, and %s has no name to give the snapshot "
                          "in it: name the snapshot in dest",
                          dest, source);
          return FALSE;
        }
    }
  else
    {
      pfd = gd_open_parent (req, dest, &name, error);
      if (pfd < 0)
        {
          close (sfd);
          return FALSE;
        }
    }
  gboolean ok = FALSE;
  int dfd = reopen_dir (pfd, dest, error);
  if (dfd >= 0)
    ok = create_subvol (req, dfd, name, sfd, ro, qgroupid,
                        gd_request_has_optarg (req, GD_BTRFS_SUBVOLUME_SNAPSHOT_QGROUPID_BITMASK),
                        dest, error);
  if (dfd >= 0)
    close (dfd);
  close (pfd);
  close (sfd);
  return ok;
}

gboolean
gd_do_btrfs_subvolume_delete (GdRequest *req, const char *subvolume, GError **error)
{
  g_autofree char *name = NULL;
  int pfd = gd_open_parent (req, subvolume, &name, error);
  if (pfd < 0)
    return FALSE;
  gboolean ok = FALSE;
  int dfd = -1;
  struct stat st;
  if (gd_fs_is_dot_or_dotdot (name))
    gd_error_errno (error, EINVAL, "%s: cannot delete the subvolume a path ends in with . or ..",
                    subvolume);
  else if (fstatat (pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    gd_perror (error, "%s", subvolume);
  else if (!S_ISDIR (st.st_mode) || st.st_ino != SUBVOL_ROOT_INO)
    gd_error_errno (error, EINVAL, "%s: not a btrfs subvolume", subvolume);
  else if ((dfd = reopen_dir (pfd, subvolume, error)) >= 0)
    {
      struct btrfs_ioctl_vol_args args;
      memset (&args, 0, sizeof args);
      g_strlcpy (args.name, name, sizeof args.name);
      if (ioctl (dfd, BTRFS_IOC_SNAP_DESTROY, &args) == 0)
        ok = TRUE;
      else
        ioctl_error (error, errno, subvolume, "cannot delete the subvolume");
    }
  if (dfd >= 0)
    close (dfd);
  close (pfd);
  return ok;
}

/* "ID 256 gen 30 top level 5 path test1" (more columns may come between:
 * "cgen", "parent", "uuid" ...; the path is last and may hold spaces). */
static gboolean
parse_subvolume_list (const char *out, GArray *list, GError **error)
{
  g_auto (GStrv) lines = gd_split_lines (out);
  for (char **l = lines; *l; l++)
    {
      const char *line = *l;
      if (!g_str_has_prefix (line, "ID "))
        continue;
      gd_btrfssubvolume v = { 0 };
      g_auto (GStrv) w = g_strsplit (line, " ", 3);
      const char *tl = strstr (line, " top level ");
      const char *p = tl ? strstr (tl, " path ") : NULL;
      g_autofree char *tlnum = NULL;
      if (tl)
        {
          const char *s = tl + strlen (" top level ");
          tlnum = g_strndup (s, strspn (s, "0123456789"));
        }
      if (g_strv_length (w) < 2 || !parse_u64 (w[1], &v.btrfssubvolume_id) || tlnum == NULL ||
          !parse_u64 (tlnum, &v.btrfssubvolume_top_level_id) || p == NULL)
        {
          bad_output (error, "btrfs subvolume list", line);
          return FALSE;
        }
      p += strlen (" path ");
      /* With -a, paths outside the mounted subvolume start so. */
      if (g_str_has_prefix (p, "<FS_TREE>/"))
        p += strlen ("<FS_TREE>/");
      v.btrfssubvolume_path = g_strdup (p);
      g_array_append_val (list, v);
    }
  return TRUE;
}

static void
subvolume_clear (gpointer p)
{
  g_free (((gd_btrfssubvolume *) p)->btrfssubvolume_path);
}

gboolean
gd_do_btrfs_subvolume_list (GdRequest *req, const GdMountable *fs, gd_btrfssubvolume_list *ret,
                            GError **error)
{
  g_auto (Target) t = TARGET_INIT;
  if (!open_fs_target (req, fs, TRUE, &t, error))
    return FALSE;
  g_autofree char *out = NULL;
  if (!btrfs_on (req, &t, GD_RUN_DEFAULT, &out, error, "subvolume", "list", NULL))
    return FALSE;
  g_autoptr (GArray) list = g_array_new (FALSE, TRUE, sizeof (gd_btrfssubvolume));
  g_array_set_clear_func (list, subvolume_clear);
  if (!parse_subvolume_list (out, list, error))
    return FALSE;
  ret->gd_btrfssubvolume_list_len = list->len;
  g_array_set_clear_func (list, NULL);
  ret->gd_btrfssubvolume_list_val =
      (gd_btrfssubvolume *) g_array_free (g_steal_pointer (&list), FALSE);
  return TRUE;
}

/* "ID 5 (FS_TREE)" or "ID 256 gen 7 top level 5 path sub1". */
static gboolean
parse_get_default (const char *out, int64_t *ret, GError **error)
{
  g_auto (GStrv) lines = gd_split_lines (out);
  for (char **l = lines; *l; l++)
    {
      if (!g_str_has_prefix (*l, "ID "))
        continue;
      g_auto (GStrv) w = g_strsplit (*l, " ", 3);
      guint64 id;
      if (g_strv_length (w) < 2 || !parse_u64 (w[1], &id) || id > G_MAXINT64)
        break;
      *ret = (int64_t) id;
      return TRUE;
    }
  bad_output (error, "btrfs subvolume get-default", out);
  return FALSE;
}

gboolean
gd_do_btrfs_subvolume_get_default (GdRequest *req, const GdMountable *fs, int64_t *ret,
                                   GError **error)
{
  g_auto (Target) t = TARGET_INIT;
  if (!open_fs_target (req, fs, TRUE, &t, error))
    return FALSE;
  g_autofree char *out = NULL;
  if (!btrfs_on (req, &t, GD_RUN_DEFAULT, &out, error, "subvolume", "get-default", NULL))
    return FALSE;
  return parse_get_default (out, ret, error);
}

gboolean
gd_do_btrfs_subvolume_set_default (GdRequest *req, int64_t id, const char *fs, GError **error)
{
  if (!gd_fs_check_not_negative (NULL, "id", id, error))
    return FALSE;
  g_autofree char *ids = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  return btrfs_on_path (req, fs, TRUE, GD_RUN_DEFAULT, NULL, error, "subvolume", "set-default",
                        ids);
}

/* The first line is the subvolume's path; then "\tKey: \tvalue" lines.
 * "Snapshot(s):" is followed by one more-indented line per snapshot: they
 * become one comma-separated value.  Values may hold colons (times). */
static gboolean
parse_subvolume_show (const char *out, GPtrArray *kv, GError **error)
{
  g_auto (GStrv) lines = gd_split_lines (out);
  if (lines[0] == NULL)
    {
      bad_output (error, "btrfs subvolume show", out);
      return FALSE;
    }
  GString *list = NULL; /* collecting the lines of a list key */
  guint list_indent = 0;
  for (char **l = lines + 1; *l; l++)
    {
      const char *line = *l;
      guint indent = strspn (line, "\t ");
      if (line[indent] == '\0')
        continue;
      if (list != NULL)
        {
          if (indent > list_indent)
            {
              g_autofree char *item = g_strstrip (g_strdup (line));
              g_string_append_printf (list, "%s%s", list->len ? "," : "", item);
              continue;
            }
          g_ptr_array_add (kv, g_string_free (list, FALSE));
          list = NULL;
        }
      const char *colon = strchr (line, ':');
      if (colon == NULL)
        {
          bad_output (error, "btrfs subvolume show", line);
          return FALSE;
        }
      char *key = g_strstrip (g_strndup (line + indent, colon - line - indent));
      char *value = g_strstrip (g_strdup (colon + 1));
      g_ptr_array_add (kv, key);
      if (*value == '\0' && strcmp (key, "Snapshot(s)") == 0)
        {
          g_free (value);
          list = g_string_new (NULL);
          list_indent = indent;
        }
      else
        g_ptr_array_add (kv, value);
    }
  if (list != NULL)
    g_ptr_array_add (kv, g_string_free (list, FALSE));
  return TRUE;
}

gboolean
gd_do_btrfs_subvolume_show (GdRequest *req, const char *subvolume, char ***ret, GError **error)
{
  g_autofree char *out = NULL;
  if (!btrfs_on_path (req, subvolume, TRUE, GD_RUN_DEFAULT, &out, error, "subvolume", "show", NULL))
    return FALSE;
  g_autoptr (GPtrArray) kv = g_ptr_array_new_with_free_func (g_free);
  if (!parse_subvolume_show (out, kv, error))
    return FALSE;
  g_ptr_array_add (kv, NULL);
  *ret = (char **) g_ptr_array_free (g_steal_pointer (&kv), FALSE);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Devices.
 */

static gboolean
device_op (GdRequest *req, const char *op, GdDevice *const *devices, const char *fs, GError **error)
{
  if (devices[0] == NULL)
    return TRUE; /* nothing to do, as documented */
  g_auto (Target) t = TARGET_INIT;
  if (!open_target (req, fs, TRUE, &t, error))
    return FALSE;
  g_autoptr (GPtrArray) argv = args_new ("btrfs", "device", op, "--", NULL);
  for (GdDevice *const *d = devices; *d; d++)
    args_add (argv, (*d)->node);
  args_add (argv, target_arg (&t));
  return run (req, &t, NULL, argv, GD_RUN_PULSE, NULL, error);
}

gboolean
gd_do_btrfs_device_add (GdRequest *req, GdDevice *const *devices, const char *fs, GError **error)
{
  return device_op (req, "add", devices, fs, error);
}

gboolean
gd_do_btrfs_device_delete (GdRequest *req, GdDevice *const *devices, const char *fs, GError **error)
{
  return device_op (req, "delete", devices, fs, error);
}

gboolean
gd_do_btrfs_replace (GdRequest *req, const GdDevice *srcdev, const GdDevice *targetdev,
                     const char *mntpoint, GError **error)
{
  g_auto (Target) t = TARGET_INIT;
  if (!open_target (req, mntpoint, TRUE, &t, error))
    return FALSE;
  /* -B: wait until it is done; -f: the target is overwritten whatever
   * it holds (btrfs still refuses a mounted one). */
  g_autoptr (GPtrArray) argv = args_new ("btrfs", "replace", "start", "-B", "-f", "--",
                                         srcdev->node, targetdev->node, ".", NULL);
  return run (req, &t, NULL, argv, GD_RUN_PULSE, NULL, error);
}

/* ------------------------------------------------------------------------
 * Unmounted devices: btrfstune, btrfs check, btrfs rescue, btrfs-image.
 */

static gboolean
on_device (GdRequest *req, GdRunFlags flags, GError **error, const char *prog, const char *a1,
           const char *a2, const char *a3, const GdDevice *device)
{
  g_autoptr (GPtrArray) argv = args_new (prog, a1, a2, a3, NULL);
  args_add (argv, "--");
  args_add (argv, device->node);
  return run (req, NULL, device->guest, argv, flags, NULL, error);
}

static gboolean
tune_seeding (GdRequest *req, const GdDevice *device, gboolean seeding, GError **error)
{
  /* Clearing the flag asks for confirmation unless forced. */
  if (seeding)
    return on_device (req, GD_RUN_DEFAULT, error, "btrfstune", "-S", "1", NULL, device);
  return on_device (req, GD_RUN_DEFAULT, error, "btrfstune", "-f", "-S", "0", device);
}

gboolean
gd_do_btrfs_set_seeding (GdRequest *req, const GdDevice *device, gboolean seeding, GError **error)
{
  return tune_seeding (req, device, seeding, error);
}

gboolean
gd_do_btrfstune_seeding (GdRequest *req, const GdDevice *device, gboolean seeding, GError **error)
{
  return tune_seeding (req, device, seeding, error);
}

gboolean
gd_do_btrfstune_enable_extended_inode_refs (GdRequest *req, const GdDevice *device, GError **error)
{
  return on_device (req, GD_RUN_DEFAULT, error, "btrfstune", "-r", NULL, NULL, device);
}

gboolean
gd_do_btrfstune_enable_skinny_metadata_extent_refs (GdRequest *req, const GdDevice *device,
                                                    GError **error)
{
  return on_device (req, GD_RUN_DEFAULT, error, "btrfstune", "-x", NULL, NULL, device);
}

gboolean
gd_do_btrfs_fsck (GdRequest *req, const GdDevice *device, int64_t superblock, gboolean repair,
                  GError **error)
{
  g_autoptr (GPtrArray) argv = args_new ("btrfs", "check", NULL);
  if (gd_request_has_optarg (req, GD_BTRFS_FSCK_SUPERBLOCK_BITMASK))
    {
      if (!gd_fs_check_not_negative (NULL, "superblock", superblock, error))
        return FALSE;
      args_add_printf (argv, "--super=%" G_GINT64_FORMAT, superblock);
    }
  /* btrfs check counts down 10 s before it repairs anything. */
  if (gd_request_has_optarg (req, GD_BTRFS_FSCK_REPAIR_BITMASK) && repair)
    args_add (argv, "--repair");
  args_add (argv, "--");
  args_add (argv, device->node);
  return run (req, NULL, device->guest, argv, GD_RUN_PULSE, NULL, error);
}

gboolean
gd_do_btrfs_rescue_chunk_recover (GdRequest *req, const GdDevice *device, GError **error)
{
  return on_device (req, GD_RUN_PULSE, error, "btrfs", "rescue", "chunk-recover", "-y", device);
}

gboolean
gd_do_btrfs_rescue_super_recover (GdRequest *req, const GdDevice *device, GError **error)
{
  return on_device (req, GD_RUN_PULSE, error, "btrfs", "rescue", "super-recover", "-y", device);
}

gboolean
gd_do_btrfs_image (GdRequest *req, GdDevice *const *source, const char *image, int compresslevel,
                   GError **error)
{
  if (source[0] == NULL)
    {
      gd_error_errno (error, EINVAL, "list of source devices must be non-empty");
      return FALSE;
    }
  gboolean has_level = gd_request_has_optarg (req, GD_BTRFS_IMAGE_COMPRESSLEVEL_BITMASK);
  if (has_level && (compresslevel < 0 || compresslevel > 9))
    {
      gd_error_errno (error, EINVAL, "compresslevel must be 0 to 9 (%d)", compresslevel);
      return FALSE;
    }
  /* The image is written through stdout ("-"): btrfs-image never sees a
   * guest path. */
  int fd = gd_fs_open_data (req, image, O_WRONLY | O_CREAT | O_TRUNC, 0666, error);
  if (fd < 0)
    return FALSE;
  g_autoptr (GPtrArray) argv = args_new ("btrfs-image", NULL);
  if (has_level)
    {
      args_add (argv, "-c");
      args_add_printf (argv, "%d", compresslevel);
    }
  args_add (argv, "--");
  for (GdDevice *const *d = source; *d; d++)
    args_add (argv, (*d)->node);
  args_add (argv, "-");
  g_ptr_array_add (argv, NULL);
  GdRunOpts opts = {
    .argv = (const char *const *) argv->pdata,
    .flags = GD_RUN_PULSE,
    .stdin_fd = -1,
    .stdout_fd = fd,
    .cwd_fd = -1,
  };
  gboolean ok = run_opts (req, NULL, NULL, &opts, NULL, error);
  if (ok && fsync (fd) < 0)
    {
      gd_perror (error, "%s", image);
      ok = FALSE;
    }
  close (fd);
  return ok;
}

/* ------------------------------------------------------------------------
 * Quotas.
 */

gboolean
gd_do_btrfs_quota_enable (GdRequest *req, const GdMountable *fs, gboolean enable, GError **error)
{
  g_auto (Target) t = TARGET_INIT;
  if (!open_fs_target (req, fs, FALSE, &t, error))
    return FALSE;
  return btrfs_on (req, &t, GD_RUN_DEFAULT, NULL, error, "quota", enable ? "enable" : "disable",
                   NULL);
}

gboolean
gd_do_btrfs_quota_rescan (GdRequest *req, const GdMountable *fs, GError **error)
{
  g_auto (Target) t = TARGET_INIT;
  if (!open_fs_target (req, fs, FALSE, &t, error))
    return FALSE;
  g_autoptr (GError) busy = NULL;
  if (btrfs_on (req, &t, GD_RUN_DEFAULT, NULL, &busy, "quota", "rescan", NULL))
    return TRUE;
  if (strstr (busy->message, "in progress") == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&busy));
      return FALSE;
    }
  /* The kernel is already rescanning (enabling quotas starts one, and it
   * counts what ours would): wait for it instead of failing at random. */
  return btrfs_on (req, &t, GD_RUN_DEFAULT, NULL, error, "quota", "rescan", "-w", NULL);
}

gboolean
gd_do_btrfs_qgroup_limit (GdRequest *req, const char *subvolume, int64_t size, GError **error)
{
  if (!gd_fs_check_not_negative (NULL, "size", size, error))
    return FALSE;
  g_autofree char *sz = g_strdup_printf ("%" G_GINT64_FORMAT, size);
  return btrfs_on_path (req, subvolume, TRUE, GD_RUN_DEFAULT, NULL, error, "qgroup", "limit", sz);
}

gboolean
gd_do_btrfs_qgroup_create (GdRequest *req, const char *qgroupid, const char *subvolume,
                           GError **error)
{
  if (!check_qgroupid (qgroupid, error))
    return FALSE;
  return btrfs_on_path (req, subvolume, TRUE, GD_RUN_DEFAULT, NULL, error, "qgroup", "create",
                        qgroupid);
}

gboolean
gd_do_btrfs_qgroup_destroy (GdRequest *req, const char *qgroupid, const char *subvolume,
                            GError **error)
{
  if (!check_qgroupid (qgroupid, error))
    return FALSE;
  return btrfs_on_path (req, subvolume, TRUE, GD_RUN_DEFAULT, NULL, error, "qgroup", "destroy",
                        qgroupid);
}

static gboolean
qgroup_relation (GdRequest *req, const char *op, const char *src, const char *dst, const char *path,
                 GError **error)
{
  if (!check_qgroupid (src, error) || !check_qgroupid (dst, error))
    return FALSE;
  g_auto (Target) t = TARGET_INIT;
  if (!open_target (req, path, TRUE, &t, error))
    return FALSE;
  return btrfs_on (req, &t, GD_RUN_DEFAULT, NULL, error, "qgroup", op, src, dst, NULL);
}

gboolean
gd_do_btrfs_qgroup_assign (GdRequest *req, const char *src, const char *dst, const char *path,
                           GError **error)
{
  return qgroup_relation (req, "assign", src, dst, path, error);
}

gboolean
gd_do_btrfs_qgroup_remove (GdRequest *req, const char *src, const char *dst, const char *path,
                           GError **error)
{
  return qgroup_relation (req, "remove", src, dst, path, error);
}

/* Rows "0/5 4096 4096 [path]" under a header: old releases print
 * "qgroupid rfer excl", current ones "Qgroupid Referenced Exclusive Path";
 * --raw makes the sizes bytes. */
static gboolean
parse_qgroup_show (const char *out, GArray *list, GError **error)
{
  g_auto (GStrv) lines = gd_split_lines (out);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) w = g_strsplit_set (g_strstrip (*l), " \t", -1);
      /* Collapse runs of blanks. */
      GPtrArray *words = g_ptr_array_new ();
      for (char **x = w; *x; x++)
        if (**x)
          g_ptr_array_add (words, *x);
      gboolean is_row = words->len > 0 && g_ascii_isdigit (*(char *) words->pdata[0]) &&
                        strchr (words->pdata[0], '/') != NULL;
      gd_btrfsqgroup q = { 0 };
      gboolean ok = is_row && words->len >= 3 && parse_u64 (words->pdata[1], &q.btrfsqgroup_rfer) &&
                    parse_u64 (words->pdata[2], &q.btrfsqgroup_excl);
      if (ok)
        q.btrfsqgroup_id = g_strdup (words->pdata[0]);
      g_ptr_array_free (words, TRUE);
      if (!is_row)
        continue;
      if (!ok)
        {
          bad_output (error, "btrfs qgroup show", *l);
          return FALSE;
        }
      g_array_append_val (list, q);
    }
  return TRUE;
}

static void
qgroup_clear (gpointer p)
{
  g_free (((gd_btrfsqgroup *) p)->btrfsqgroup_id);
}

gboolean
gd_do_btrfs_qgroup_show (GdRequest *req, const char *path, gd_btrfsqgroup_list *ret, GError **error)
{
  g_autofree char *out = NULL;
  if (!btrfs_on_path (req, path, TRUE, GD_RUN_DEFAULT, &out, error, "qgroup", "show", "--raw"))
    return FALSE;
  g_autoptr (GArray) list = g_array_new (FALSE, TRUE, sizeof (gd_btrfsqgroup));
  g_array_set_clear_func (list, qgroup_clear);
  if (!parse_qgroup_show (out, list, error))
    return FALSE;
  ret->gd_btrfsqgroup_list_len = list->len;
  g_array_set_clear_func (list, NULL);
  ret->gd_btrfsqgroup_list_val = (gd_btrfsqgroup *) g_array_free (g_steal_pointer (&list), FALSE);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Scrub.
 *
 * btrfs scrub keeps its state (the counters `scrub status` reports once
 * a scrub is over) in /var/lib/btrfs.  On a host that would be the
 * host's own directory, shared with everything else on it; so in host
 * mode each connection gets a directory of its own, which btrfs sees as
 * /var/lib in a mount namespace made for it.
 *
 * scrub start and resume wait for the scrub to finish (-B): a scrub left
 * running in the background would keep the filesystem busy (umount fails)
 * and its errors would go unreported.
 */

#define SCRUB_STATE_KEY "btrfs.scrub-state"

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  if (d != NULL)
    {
      const char *e;
      while ((e = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *p = g_build_filename (dir, e, NULL);
          struct stat st;
          if (lstat (p, &st) == 0 && S_ISDIR (st.st_mode))
            remove_tree (p);
          else
            unlink (p);
        }
    }
  rmdir (dir);
}

static void
scrub_state_free (gpointer p)
{
  remove_tree (p);
  g_free (p);
}

static const char *
scrub_state_dir (GdRequest *req, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  const char *dir = gd_conn_get_data (conn, SCRUB_STATE_KEY);
  if (dir != NULL)
    return dir;
  g_autoptr (GError) local = NULL;
  g_autofree char *d = g_dir_make_tmp ("guestfsd-btrfs-XXXXXX", &local);
  if (d == NULL)
    {
      gd_error_errno (error, gd_error_get_errno (local), "%s", local->message);
      return NULL;
    }
  g_autofree char *sub = g_build_filename (d, "btrfs", NULL);
  if (mkdir (sub, 0700) < 0)
    {
      gd_perror (error, "%s", sub);
      remove_tree (d);
      return NULL;
    }
  gd_conn_set_data (conn, SCRUB_STATE_KEY, g_strdup (d), scrub_state_free);
  return gd_conn_get_data (conn, SCRUB_STATE_KEY);
}

static gboolean
scrub (GdRequest *req, const char *path, const char *op, GdRunFlags flags, char **out,
       GError **error)
{
  g_auto (Target) t = TARGET_INIT;
  if (!open_target (req, path, TRUE, &t, error))
    return FALSE;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  if (gd_conn_host_mode (gd_request_connection (req)) &&
      g_file_test ("/var/lib", G_FILE_TEST_IS_DIR))
    {
      const char *dir = scrub_state_dir (req, error);
      if (dir == NULL)
        return FALSE;
      const char *wrap[] = { "unshare",
                             "--mount",
                             "--propagation",
                             "private",
                             "--",
                             "sh",
                             "-c",
                             "mount -n --bind -- \"$0\" /var/lib && exec \"$@\"",
                             dir };
      for (guint i = 0; i < G_N_ELEMENTS (wrap); i++)
        args_add (argv, wrap[i]);
    }
  args_add (argv, "btrfs");
  args_add (argv, "scrub");
  args_add (argv, op);
  gboolean waits = strcmp (op, "start") == 0 || strcmp (op, "resume") == 0;
  if (waits)
    args_add (argv, "-B");
  else if (strcmp (op, "status") == 0)
    args_add (argv, "-R");
  args_add (argv, ".");
  if (!waits)
    return run (req, &t, NULL, argv, flags, out, error);

  g_ptr_array_add (argv, NULL);
  GdRunOpts opts = {
    .argv = (const char *const *) argv->pdata,
    .flags = flags | GD_RUN_ANY_STATUS,
    .stdin_fd = -1,
    .stdout_fd = -1,
    .cwd_fd = t.fd,
  };
  g_autofree char *o = NULL, *e = NULL;
  int status = -1;
  if (!gd_run_full (req, &opts, &o, &e, &status, error))
    return FALSE;
  /* 3: the scrub ran to its end and found errors it could not correct.
   * The scrub itself worked: scrub_status reports them. */
  if (status == 0 || status == 3)
    return TRUE;
  gd_chomp (e);
  gd_chomp (o);
  g_autofree char *raw = g_strconcat ("btrfs: ", *e ? e : o, NULL);
  g_autofree char *msg = tidy_message (req, raw, &t, t.name);
  gd_error (error, "%s", msg);
  return FALSE;
}

gboolean
gd_do_btrfs_scrub_start (GdRequest *req, const char *path, GError **error)
{
  return scrub (req, path, "start", GD_RUN_PULSE, NULL, error);
}

gboolean
gd_do_btrfs_scrub_resume (GdRequest *req, const char *path, GError **error)
{
  return scrub (req, path, "resume", GD_RUN_PULSE, NULL, error);
}

gboolean
gd_do_btrfs_scrub_cancel (GdRequest *req, const char *path, GError **error)
{
  return scrub (req, path, "cancel", GD_RUN_DEFAULT, NULL, error);
}

/* "\tname: value" counters of `btrfs scrub status -R`, summed over the
 * devices if it lists several. */
static gboolean
parse_scrub_status (const char *out, gd_btrfsscrub *s, GError **error)
{
  static const struct
  {
    const char *name;
    size_t offset;
  } fields[] = {
#define F(n) { #n, G_STRUCT_OFFSET (gd_btrfsscrub, btrfsscrub_##n) }
    F (data_extents_scrubbed), F (tree_extents_scrubbed),
    F (data_bytes_scrubbed),   F (tree_bytes_scrubbed),
    F (read_errors),           F (csum_errors),
    F (verify_errors),         F (no_csum),
    F (csum_discards),         F (super_errors),
    F (malloc_errors),         F (uncorrectable_errors),
    F (unverified_errors),     F (corrected_errors),
    F (last_physical),
#undef F
  };
  memset (s, 0, sizeof *s);
  g_auto (GStrv) lines = gd_split_lines (out);
  for (char **l = lines; *l; l++)
    {
      char *line = g_strstrip (*l);
      char *colon = strchr (line, ':');
      if (colon == NULL)
        continue;
      *colon = '\0';
      const char *value = colon + 1;
      while (*value == ' ' || *value == '\t')
        value++;
      for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
        {
          if (strcmp (line, fields[i].name) != 0)
            continue;
          guint64 v;
          if (!parse_u64 (value, &v))
            {
              *colon = ':';
              bad_output (error, "btrfs scrub status", line);
              return FALSE;
            }
          guint64 *field = G_STRUCT_MEMBER_P (s, fields[i].offset);
          /* last_physical is a position, not a count. */
          if (strcmp (fields[i].name, "last_physical") == 0)
            *field = MAX (*field, v);
          else
            *field += v;
        }
    }
  return TRUE;
}

gboolean
gd_do_btrfs_scrub_status (GdRequest *req, const char *path, gd_btrfsscrub *ret, GError **error)
{
  g_autofree char *out = NULL;
  if (!scrub (req, path, "status", GD_RUN_DEFAULT, &out, error))
    return FALSE;
  return parse_scrub_status (out, ret, error);
}

/* ------------------------------------------------------------------------
 * Balance.
 */

gboolean
gd_do_btrfs_balance_pause (GdRequest *req, const char *path, GError **error)
{
  return btrfs_on_path (req, path, TRUE, GD_RUN_DEFAULT, NULL, error, "balance", "pause", NULL);
}

gboolean
gd_do_btrfs_balance_cancel (GdRequest *req, const char *path, GError **error)
{
  return btrfs_on_path (req, path, TRUE, GD_RUN_DEFAULT, NULL, error, "balance", "cancel", NULL);
}

gboolean
gd_do_btrfs_balance_resume (GdRequest *req, const char *path, GError **error)
{
  return btrfs_on_path (req, path, TRUE, GD_RUN_PULSE, NULL, error, "balance", "resume", NULL);
}

/* "No balance found on '.'", or "Balance on '.' is running" (paused,
 * "running, cancel requested" ...) then "N out of about M chunks balanced
 * (K considered), P% left". */
static gboolean
parse_balance_status (const char *out, gd_btrfsbalance *b, GError **error)
{
  memset (b, 0, sizeof *b);
  g_auto (GStrv) lines = gd_split_lines (out);
  g_autofree char *status = NULL;
  for (char **l = lines; *l; l++)
    {
      const char *line = g_strstrip (*l);
      const char *is;
      guint64 balanced, total, considered, left;
      if (g_str_has_prefix (line, "No balance found"))
        status = g_strdup ("none");
      else if (g_str_has_prefix (line, "Balance on ") && (is = strstr (line, " is ")) != NULL)
        status = g_strdup (is + strlen (" is "));
      else if (sscanf (line,
                       "%" G_GUINT64_FORMAT " out of about %" G_GUINT64_FORMAT
                       " chunks balanced (%" G_GUINT64_FORMAT " considered), %" G_GUINT64_FORMAT
                       "%% left",
                       &balanced, &total, &considered, &left) == 4)
        {
          b->btrfsbalance_balanced = balanced;
          b->btrfsbalance_total = total;
          b->btrfsbalance_considered = considered;
          b->btrfsbalance_left = left;
        }
    }
  if (status == NULL)
    {
      bad_output (error, "btrfs balance status", out);
      return FALSE;
    }
  b->btrfsbalance_status = g_steal_pointer (&status);
  return TRUE;
}

gboolean
gd_do_btrfs_balance_status (GdRequest *req, const char *path, gd_btrfsbalance *ret, GError **error)
{
  g_auto (Target) t = TARGET_INIT;
  if (!open_target (req, path, TRUE, &t, error))
    return FALSE;
  /* Its exit status says whether a balance is running. */
  g_autofree char *out = NULL;
  g_autoptr (GPtrArray) argv = args_new ("btrfs", "balance", "status", ".", NULL);
  g_ptr_array_add (argv, NULL);
  GdRunOpts opts = {
    .argv = (const char *const *) argv->pdata,
    .flags = GD_RUN_ANY_STATUS,
    .stdin_fd = -1,
    .stdout_fd = -1,
    .cwd_fd = -1,
  };
  g_autofree char *err = NULL;
  int status = 0;
  opts.cwd_fd = t.fd;
  if (!gd_run_full (req, &opts, &out, &err, &status, error))
    return FALSE;
  g_autoptr (GError) local = NULL;
  if (parse_balance_status (out, ret, &local))
    return TRUE;
  if (status != 0 && err != NULL && *gd_chomp (err))
    {
      g_autofree char *raw = g_strconcat ("btrfs: ", err, NULL);
      g_autofree char *msg = tidy_message (req, raw, &t, t.name);
      gd_error (error, "%s", msg);
    }
  else
    g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}
