/* libguestfsd handlers: helpers shared by the data-on-devices family
 * (copydev.c, devio.c, discard.c, ntfsclone.c, scrub.c, tsk.c, upload.c,
 * zero.c), and compress.c (devdata_program_to_fileout).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gd-private.h"

G_BEGIN_DECLS

/* Size of the buffers that move bulk data: big enough that syscalls are
 * few, small enough that memory stays flat whatever the size copied. */
#define DEVDATA_BUFSIZE (2 * 1024 * 1024)

/* Opens a guest path that must name a regular file (after following
 * symlinks inside the guest).  A device node in a guest filesystem would
 * open one of the host's devices, and a FIFO would block: both are
 * refused (EINVAL), directories with EISDIR.  flags as for open(2);
 * O_CREAT creates a regular file.  O_CLOEXEC is added. */
int devdata_open_guest_file (GdRequest *req, const char *path, int flags, GError **error);

/* Opens a validated device.  Opening for writing a device that is
 * read-only (a read-only drive, or after blockdev_setro) fails with
 * EROFS instead of the EPERM each write would give. */
int devdata_open_device (const GdDevice *dev, int flags, GError **error);

/* Opens a Dev_or_Path argument with the two functions above. */
int devdata_open_dev_or_path (GdRequest *req, const GdDevOrPath *d, int flags, GError **error);
const char *devdata_dev_or_path_name (const GdDevOrPath *d);

/* Size in bytes of an open regular file or block device. */
gboolean devdata_fd_size (int fd, const char *name, guint64 *size, GError **error);

/* TRUE when all len bytes of buf are zero. */
gboolean devdata_is_zero (const void *buf, size_t len);

/* Full-length pread/pwrite (retrying short transfers and EINTR).
 * devdata_pread returns the bytes read, less than len only at the end of
 * the file or device, or -1 with the error set. */
gssize devdata_pread (int fd, void *buf, size_t len, guint64 offset, const char *name,
                      GError **error);
gboolean devdata_pwrite (int fd, const void *buf, size_t len, guint64 offset, const char *name,
                         GError **error);

/* To call after writing to a device.  When it is one of the whole disks,
 * the kernel's partitions are brought in line with whatever table the
 * disk now holds, as udev does in the appliance when a disk that was open
 * for writing is closed (and, like udev, not while a partition is in
 * use).  Failures are only logged. */
void devdata_device_written (GdRequest *req, const char *node);

/* FileOut through a helper program: runs argv with stdin_fd (-1:
 * /dev/null) as its stdin and its stdout streamed to the client.  A
 * failure of the program before much has been sent is reported as a
 * proper error reply. */
gboolean devdata_program_to_fileout (GdRequest *req, const char *const *argv, int stdin_fd,
                                     GError **error);

/* FileIn through a helper program: runs argv with the client's data on
 * its stdin. */
gboolean devdata_filein_to_program (GdRequest *req, const char *const *argv, GError **error);

/* For the programs that stream one inode of a filesystem (icat, ntfscat):
 * the node of the device the Mountable fs names (*node), and the inode
 * number as an argument (the caller's, g_free).  NULL with EINVAL for a
 * path or a negative inode. */
char *devdata_inode_arg (const GdMountable *fs, int64_t inode, const char **node, GError **error);

G_END_DECLS
