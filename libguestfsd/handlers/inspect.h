/* libguestfsd handlers: operating system inspection, shared by inspect*.c.
 *
 * inspect_os mounts each candidate filesystem read-only on the sysroot,
 * recognises operating system roots, and keeps what it found per
 * connection; the inspect_get_* calls answer from that.
 *
 * Mountables are kept in "host form": a device is its host node, a btrfs
 * subvolume is "btrfsvol:NODE/SUBVOL".  Strings taken from a guest's fstab
 * that name no device of ours are kept as the guest wrote them.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <sys/types.h>

#include "gd-private.h"

G_BEGIN_DECLS

/* A filesystem (or other block content) inspect_os may look at. */
typedef struct
{
  GdDevice *dev;   /* owned */
  char *type;      /* blkid TYPE, or NULL */
  char *uuid;      /* blkid UUID */
  char *label;     /* blkid LABEL */
  char *partuuid;  /* partition table entry UUID */
  char *partlabel; /* partition table entry name */
  guint64 start;   /* partitions: first byte on the disk */
  int disk_index;  /* index of the disk a partition is on, or -1 */
  dev_t rdev;      /* the device number, 0 when the node cannot be stat'ed */
} GdInspectCand;

/* One operating system found by inspect_os. */
typedef struct
{
  char *root; /* host form */
  /* What the client's spellings of the root are matched against: the
   * device number (the same for /dev/VG/LV, /dev/mapper/VG-LV and
   * /dev/dm-N) and the btrfs subvolume (NULL for a device). */
  dev_t rdev;
  char *volume;
  char *type;
  char *distro;
  char *product_name;
  char *product_variant;
  char *arch;
  char *hostname;
  char *package_format;
  char *package_management;
  int major, minor;
  char *windows_systemroot;
  char *windows_software_hive;
  char *windows_system_hive;
  char *windows_current_control_set;
  GPtrArray *mountpoints;    /* flat pairs: mountpoint, mountable (host form) */
  GPtrArray *filesystems;    /* mountables (host form) */
  GPtrArray *drive_mappings; /* flat pairs: letter, host node */
} GdInspectRoot;

/* What the checks of one mounted filesystem need. */
typedef struct
{
  GdRequest *req;
  GPtrArray *cands; /* GdInspectCand */
  GPtrArray *disks; /* GdDevice, guest order */
} GdInspectCtx;

GdInspectRoot *gd_inspect_root_new (const char *root);
void gd_inspect_root_free (GdInspectRoot *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdInspectRoot, gd_inspect_root_free)

/* Sets *field to a copy of value unless value is NULL or empty. */
void gd_inspect_set (char **field, const char *value);

/* ---- guest files (inspect-files.c), always through gd_open ---------- */

/* The whole regular file (at most max bytes, NUL-terminated), or NULL. */
char *gd_inspect_read (GdRequest *req, const char *path, gsize max, gsize *len);
/* The first line that is not empty or a # comment, stripped, or NULL. */
char *gd_inspect_read_first_line (GdRequest *req, const char *path);
gboolean gd_inspect_is_file (GdRequest *req, const char *path);
gboolean gd_inspect_is_dir (GdRequest *req, const char *path);
/* The path exists, even as a dangling symlink. */
gboolean gd_inspect_exists (GdRequest *req, const char *path);
/* The path with each component matched case-insensitively (an exact
 * match preferred), or NULL when some component does not exist. */
char *gd_inspect_case_path (GdRequest *req, const char *path);
/* "N[.M]" at the start of s: TRUE when at least N is there. */
gboolean gd_inspect_parse_version (const char *s, int *major, int *minor);
/* The architecture of a binary (ELF or PE), in file_architecture's
 * names, or NULL. */
char *gd_inspect_binary_arch (GdRequest *req, const char *path);

/* ---- operating systems -------------------------------------------- */

/* Each returns a filled root when the filesystem mounted on the sysroot
 * (known as mountable) is the root of that kind of system, else NULL. */
GdInspectRoot *gd_inspect_unix (GdInspectCtx *ctx, const char *mountable);
GdInspectRoot *gd_inspect_windows (GdInspectCtx *ctx, const char *mountable);
GdInspectRoot *gd_inspect_dos (GdInspectCtx *ctx, const char *mountable);

/* ---- mountables --------------------------------------------------- */

/* The candidate with this host node, or NULL.  Any name of the same
 * block device (/dev/VG/LV for /dev/dm-3) finds it. */
GdInspectCand *gd_inspect_find_node (GdInspectCtx *ctx, const char *node);
/* The device number of a block device node, or 0. */
dev_t gd_inspect_rdev (const char *node);
/* Mounts a mountable (host form) read-only on the guest path mountpoint. */
gboolean gd_inspect_mount (GdInspectCtx *ctx, const char *mountable, const char *mountpoint,
                           GError **error);

G_END_DECLS
