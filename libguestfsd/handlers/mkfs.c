/* libguestfsd handlers: making filesystems (mkfs, mkfs_b).
 *
 * Each optional argument means what the API says whatever the tool calls
 * it: the block size is the cluster size for FAT (in sectors), exFAT and NTFS,
 * and XFS spells it -b size=N.  Options a filesystem has no use for are
 * refused with EINVAL rather than passed on to fail obscurely.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "fs-util.h"

typedef struct
{
  gboolean has_blocksize, has_features, has_inode, has_sectorsize, has_label;
  int blocksize;
  const char *features;
  int inode;
  int sectorsize;
  const char *label;
} MkfsOpts;

static gboolean
is_power_of_2 (long v)
{
  return v > 0 && (v & (v - 1)) == 0;
}

static gboolean
valid_fstype (const char *t)
{
  if (*t == '\0' || strlen (t) > 64)
    return FALSE;
  for (const char *p = t; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

static int
logical_sector_size (const char *node, GError **error)
{
  int fd = open (node, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      gd_perror (error, "%s", node);
      return -1;
    }
  int ss = 0;
  int r = ioctl (fd, BLKSSZGET, &ss);
  close (fd);
  if (r < 0 || ss <= 0)
    {
      gd_perror (error, "%s: BLKSSZGET", node);
      return -1;
    }
  return ss;
}

/* Some mkfs programs (mkntfs -Q, mkfs.fat, mkfs.f2fs) write only their own
 * structures, and a superblock left over from an earlier filesystem (btrfs
 * keeps one at 64 KiB) makes probing ambiguous: blkid then reports no type
 * at all.  Erase every signature but partition tables first. */
static gboolean
wipe_old_signatures (GdRequest *req, const char *node, GError **error)
{
  if (!gd_prog_exists ("wipefs"))
    return TRUE;
  g_autofree char *out = NULL;
  if (!gd_run (req, &out, error, "wipefs", "--noheadings", "--output", "TYPE,USAGE", node, NULL))
    return FALSE;
  g_autoptr (GPtrArray) types = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = gd_split_lines (out);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) f = g_strsplit_set (g_strstrip (*l), " \t", 2);
      if (f[0] == NULL || *f[0] == '\0' || (f[1] && strstr (f[1], "partition")))
        continue;
      if (!g_ptr_array_find_with_equal_func (types, f[0], g_str_equal, NULL))
        g_ptr_array_add (types, g_strdup (f[0]));
    }
  if (types->len == 0)
    return TRUE;
  g_ptr_array_add (types, NULL);
  g_autofree char *list = g_strjoinv (",", (char **) types->pdata);
  return gd_run (req, NULL, error, "wipefs", "--all", "--quiet", "--types", list, node, NULL);
}

#define ADD(...) g_ptr_array_add (argv, g_strdup_printf (__VA_ARGS__))

static gboolean
make_swap (GdRequest *req, const GdDevice *device, const MkfsOpts *o, GError **error)
{
  if (o->has_blocksize || o->has_features || o->has_inode || o->has_sectorsize)
    {
      gd_error_errno (error, EINVAL,
                      "swap: only the label can be set (use mkswap for more options)");
      return FALSE;
    }
  if (o->has_label && !gd_fs_check_label ("swap", o->label, error))
    return FALSE;
  if (o->has_label)
    return gd_run (req, NULL, error, "mkswap", "-f", "-L", o->label, device->node, NULL);
  return gd_run (req, NULL, error, "mkswap", "-f", device->node, NULL);
}

static gboolean
make_filesystem (GdRequest *req, const char *fstype, const GdDevice *device, const MkfsOpts *o,
                 GError **error)
{
  if (!valid_fstype (fstype))
    {
      gd_error_errno (error, EINVAL, "%s: invalid filesystem type", fstype);
      return FALSE;
    }
  if (!gd_fs_check_unused (device, error))
    return FALSE;
  if (strcmp (fstype, "swap") == 0)
    return make_swap (req, device, o, error);

  gboolean ext = gd_fs_is_ext (fstype), fat = gd_fs_is_fat (fstype);
  gboolean xfs = strcmp (fstype, "xfs") == 0, btrfs = strcmp (fstype, "btrfs") == 0;
  gboolean ntfs = strcmp (fstype, "ntfs") == 0, f2fs = strcmp (fstype, "f2fs") == 0;
  gboolean gfs = strcmp (fstype, "gfs") == 0 || strcmp (fstype, "gfs2") == 0;

  g_autofree char *prog = ext ? g_strdup ("mke2fs") : g_strconcat ("mkfs.", fstype, NULL);
  if (!gd_prog_exists (prog))
    {
      gd_error_errno (error, EINVAL, "%s: unknown filesystem type, or no %s program", fstype, prog);
      return FALSE;
    }

  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  ADD ("%s", prog);
  if (ext)
    {
      ADD ("-t");
      ADD ("%s", fstype);
      /* Whatever the device held before, and even if it is a whole disk. */
      ADD ("-F");
    }
  if (ntfs)
    ADD ("-Q"); /* no zeroing and bad-block scan: useless on virtual disks */
  if (xfs || btrfs || f2fs || strcmp (fstype, "reiserfs") == 0)
    ADD ("-f");
  if (strcmp (fstype, "jfs") == 0)
    ADD ("-q");
  if (fat)
    ADD ("-I"); /* allow a filesystem on a whole disk */
  if (gfs)
    {
      ADD ("-p");
      ADD ("lock_nolock");
      ADD ("-j");
      ADD ("1");
      ADD ("-O");
    }

  if (o->has_blocksize)
    {
      if (!is_power_of_2 (o->blocksize))
        {
          gd_error_errno (error, EINVAL, "%d: block size must be > 0 and a power of 2",
                          o->blocksize);
          return FALSE;
        }
      if (fat)
        {
          int ss = logical_sector_size (device->node, error);
          if (ss < 0)
            return FALSE;
          if (o->blocksize < ss || o->blocksize / ss > 128)
            {
              gd_error_errno (error, EINVAL,
                              "%d: the FAT cluster size must be 1 to 128 sectors of %d bytes",
                              o->blocksize, ss);
              return FALSE;
            }
          ADD ("-s");
          ADD ("%d", o->blocksize / ss);
        }
      else if (ntfs || strcmp (fstype, "exfat") == 0)
        {
          ADD ("-c");
          ADD ("%d", o->blocksize);
        }
      else if (btrfs)
        {
          gd_error_errno (error, EINVAL,
                          "blocksize cannot be set on btrfs filesystems (use mkfs_btrfs, or "
                          "the sectorsize argument)");
          return FALSE;
        }
      else if (xfs)
        {
          ADD ("-b");
          ADD ("size=%d", o->blocksize);
        }
      else if (f2fs)
        {
          if (o->blocksize != 4096)
            {
              gd_error_errno (error, EINVAL, "%d: f2fs only supports a block size of 4096",
                              o->blocksize);
              return FALSE;
            }
        }
      else
        {
          ADD ("-b");
          ADD ("%d", o->blocksize);
        }
    }

  if (o->has_features)
    {
      if (gfs)
        {
          gd_error_errno (error, EINVAL, "%s: extra features cannot be set", fstype);
          return FALSE;
        }
      ADD ("-O");
      ADD ("%s", o->features);
    }

  if (o->has_inode)
    {
      if (!ext)
        {
          gd_error_errno (error, EINVAL,
                          "%s: the inode size (-I) can only be set on ext2/3/4 filesystems",
                          fstype);
          return FALSE;
        }
      if (!is_power_of_2 (o->inode))
        {
          gd_error_errno (error, EINVAL, "%d: inode size must be > 0 and a power of 2", o->inode);
          return FALSE;
        }
      ADD ("-I");
      ADD ("%d", o->inode);
    }

  if (o->has_sectorsize)
    {
      if (!is_power_of_2 (o->sectorsize))
        {
          gd_error_errno (error, EINVAL, "%d: sector size must be > 0 and a power of 2",
                          o->sectorsize);
          return FALSE;
        }
      if (strcmp (fstype, "ufs") == 0)
        {
          ADD ("-S");
          ADD ("%d", o->sectorsize);
        }
      else if (xfs)
        {
          ADD ("-s");
          ADD ("size=%d", o->sectorsize);
        }
      else if (btrfs)
        {
          ADD ("--sectorsize");
          ADD ("%d", o->sectorsize);
        }
      else
        {
          gd_error_errno (error, EINVAL,
                          "%s: the sector size can only be set on ufs, xfs and "
                          "btrfs filesystems",
                          fstype);
          return FALSE;
        }
    }

  if (o->has_label)
    {
      if (!gd_fs_check_label (fstype, o->label, error))
        return FALSE;
      if (fat)
        ADD ("-n");
      else if (f2fs)
        ADD ("-l");
      else
        ADD ("-L");
      ADD ("%s", o->label);
    }

  ADD ("%s", device->node);
  g_ptr_array_add (argv, NULL);

  if (!wipe_old_signatures (req, device->node, error))
    return FALSE;
  g_autoptr (GError) run_error = NULL;
  GdRunOpts opts = { .argv = (const char *const *) argv->pdata,
                     .flags = GD_RUN_PULSE,
                     .stdin_fd = -1,
                     .stdout_fd = -1 };
  if (!gd_run_full (req, &opts, NULL, NULL, NULL, &run_error))
    {
      g_set_error_literal (error, GD_ERRNO_ERROR, gd_error_get_errno (run_error),
                           run_error->message);
      g_prefix_error (error, "%s: %s: ", fstype, device->guest);
      return FALSE;
    }
  return TRUE;
}

gboolean
gd_do_mkfs (GdRequest *req, const char *fstype, const GdDevice *device, int blocksize,
            const char *features, int inode, int sectorsize, const char *label, GError **error)
{
  MkfsOpts o = {
    .has_blocksize = gd_request_has_optarg (req, GD_MKFS_BLOCKSIZE_BITMASK),
    .has_features = gd_request_has_optarg (req, GD_MKFS_FEATURES_BITMASK),
    .has_inode = gd_request_has_optarg (req, GD_MKFS_INODE_BITMASK),
    .has_sectorsize = gd_request_has_optarg (req, GD_MKFS_SECTORSIZE_BITMASK),
    .has_label = gd_request_has_optarg (req, GD_MKFS_LABEL_BITMASK),
    .blocksize = blocksize,
    .features = features,
    .inode = inode,
    .sectorsize = sectorsize,
    .label = label,
  };
  return make_filesystem (req, fstype, device, &o, error);
}

gboolean
gd_do_mkfs_b (GdRequest *req, const char *fstype, int blocksize, const GdDevice *device,
              GError **error)
{
  MkfsOpts o = { .has_blocksize = TRUE, .blocksize = blocksize };
  return make_filesystem (req, fstype, device, &o, error);
}
