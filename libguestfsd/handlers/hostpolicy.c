/* libguestfsd handlers: what host mode refuses.
 *
 * 1. Calls that act on the whole host or show its state (dmesg, swapon,
 *    setcon ...): gd_host_mode_refuse, EPERM with the reason.
 *
 * 2. Mount requests.  In the appliance the virtual machine is the boundary: the filesystem
 * type and the options go to mount(8) as the client gave them, as the
 * original daemon does.  On a host the same request would mount the
 * host's own kernel interfaces (proc, sysfs, debugfs, bpf ...) or, through
 * options that name paths (overlay's lowerdir/upperdir, loop, ext4's
 * journal_path, xfs's logdev, btrfs's device=), read and write the host's
 * files and devices.  So in host mode:
 *
 * - the type, when given, must be one of the filesystems that live on a
 *   block device (what the guest's disks can hold and libguestfs mounts);
 * - the options are taken one at a time: no quotes, backslashes, spaces
 *   or control characters (mount(8) would unquote them, and a quote
 *   swallows the nodev,nosuid the daemon appends); none of the options
 *   that name a host path or device or change what is mounted (loop,
 *   offset, bind, move, remount, propagation, X-mount.* ...); no value
 *   with a '/' except btrfs's subvol (a path inside the filesystem); and
 *   no errors=panic (a damaged image would stop the host).
 *
 * Anything refused is EPERM with the type or option named.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "hostpolicy.h"

/* Filesystems on block devices.  Pseudo and virtual filesystems (proc,
 * sysfs, tmpfs, overlay, fuse, nfs, 9p, cgroup ...) are not here. */
static const char *const block_fstypes[] = {
  "adfs",    "affs",  "befs",    "bfs",     "btrfs",  "cramfs",   "efs",        "erofs",    "exfat",
  "ext2",    "ext3",  "ext4",    "ext4dev", "f2fs",   "fat",      "freevxfs",   "gfs2",     "hfs",
  "hfsplus", "hpfs",  "iso9660", "jfs",     "minix",  "msdos",    "nilfs2",     "ntfs",     "ntfs3",
  "ntfs-3g", "ocfs2", "omfs",    "qnx4",    "qnx6",   "reiserfs", "romfs",      "squashfs", "sysv",
  "udf",     "ufs",   "vfat",    "xfs",     "zonefs", "bcachefs", "exfat-fuse",
};

/* Options that name a host path or device, or change what is mounted or
 * how it is attached, whatever their value. */
static const char *const refused_keys[] = {
  /* another file or device becomes the source */
  "loop",
  "offset",
  "sizelimit",
  "encryption",
  "bind",
  "rbind",
  "move",
  "remount",
  "source",
  "helper",
  "lowerdir",
  "upperdir",
  "workdir",
  "datadir",
  "lowerdir+",
  "datadir+",
  /* a second device of the filesystem, opened by path or number */
  "journal_path",
  "journal_dev",
  "logdev",
  "rtdev",
  "device",
  "dev_path",
  /* propagation into the daemon's namespace */
  "shared",
  "rshared",
  "slave",
  "rslave",
  "private",
  "rprivate",
  "unbindable",
  "runbindable",
  "make-shared",
  "make-rshared",
  "make-slave",
  "make-rslave",
  "make-private",
  "make-rprivate",
  "make-unbindable",
  "make-runbindable",
};

/* Keys whose value is a path inside the filesystem itself. */
static const char *const inner_path_keys[] = { "subvol" };

static gboolean
in_list (const char *s, gsize len, const char *const *list, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (strlen (list[i]) == len && strncmp (list[i], s, len) == 0)
      return TRUE;
  return FALSE;
}

gboolean
gd_host_mode_refuse (GdRequest *req, GError **error, const char *fmt, ...)
{
  if (!gd_conn_host_mode (gd_request_connection (req)))
    return FALSE;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  gd_error_errno (error, EPERM,
                  "%s: refused in host mode (the daemon runs on the host, not in a "
                  "virtual machine of the guest's)",
                  msg);
  return TRUE;
}

gboolean
gd_mount_policy_fstype_allowed (const char *vfstype)
{
  return vfstype != NULL &&
         in_list (vfstype, strlen (vfstype), block_fstypes, G_N_ELEMENTS (block_fstypes));
}

gboolean
gd_mount_policy_check (GdRequest *req, const char *vfstype, const char *options, GError **error)
{
  if (!gd_conn_host_mode (gd_request_connection (req)))
    return TRUE;
  if (vfstype != NULL && *vfstype && strcmp (vfstype, "auto") != 0 &&
      !gd_mount_policy_fstype_allowed (vfstype))
    {
      gd_error_errno (error, EPERM,
                      "filesystem type '%s' refused in host mode: only filesystems that live on "
                      "the guest's disks can be mounted (not the host's proc, sysfs, debugfs, "
                      "tmpfs, overlay, network or FUSE filesystems)",
                      vfstype);
      return FALSE;
    }
  if (options == NULL)
    return TRUE;
  for (const char *p = options; *p; p++)
    {
      unsigned char c = *p;
      if (c == '"' || c == '\'' || c == '\\' || c <= ' ' || c == 0x7f)
        {
          gd_error_errno (error, EPERM,
                          "mount options refused in host mode: quotes, backslashes, spaces and "
                          "control characters are not allowed (%s)",
                          c == '"'    ? "a double quote"
                          : c == '\'' ? "a single quote"
                          : c == '\\' ? "a backslash"
                                      : "a space or control character");
          return FALSE;
        }
    }
  const char *item = options;
  while (*item)
    {
      const char *end = strchrnul (item, ',');
      gsize len = end - item;
      const char *eq = memchr (item, '=', len);
      gsize klen = eq ? (gsize) (eq - item) : len;
      g_autofree char *opt = g_strndup (item, len);
      const char *why = NULL;
      if (len == 0)
        ;
      else if (in_list (item, klen, refused_keys, G_N_ELEMENTS (refused_keys)))
        why = "it names a host path or device, or changes what is mounted or where";
      else if (klen >= 2 && (item[0] == 'X' || item[0] == 'x') && item[1] == '-')
        why = "X-/x- options are acted on by mount(8) on the host (X-mount.mkdir ...)";
      else if (g_str_has_prefix (opt, "verity."))
        why = "dm-verity options name host devices and files";
      else if (eq && memchr (eq, '/', end - eq) &&
               !in_list (item, klen, inner_path_keys, G_N_ELEMENTS (inner_path_keys)))
        why = "its value is a path, which would be the host's";
      else if (eq && klen == strlen ("errors") && strncmp (item, "errors", klen) == 0 &&
               strcmp (opt + klen + 1, "panic") == 0)
        why = "a damaged filesystem would panic the host's kernel";
      if (why)
        {
          gd_error_errno (error, EPERM, "mount option '%s' refused in host mode: %s", opt, why);
          return FALSE;
        }
      item = *end ? end + 1 : end;
    }
  return TRUE;
}
