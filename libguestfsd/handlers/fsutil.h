/* libguestfsd handlers: helpers shared by the file, directory and metadata
 * families (files.c, dirs.c, links.c, stat.c, attrs.c, xattrs.c, acl.c,
 * caps.c, fill.c, paths.c, mknod.c), and the check of arguments that must
 * not be negative, which every family uses.
 *
 * Everything here starts from gd_open / gd_open_parent, so it inherits
 * their confinement: a guest path never reaches the host outside the
 * sysroot.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <dirent.h>
#include <sys/stat.h>

#include "gd-private.h"

G_BEGIN_DECLS

/* A name for "entry name of directory dfd" that path-only syscalls
 * (lgetxattr, llistxattr ...) can use: "/proc/self/fd/D/name".  The kernel
 * resolves /proc/self/fd/D to the confined directory and looks name up in
 * it, so as long as the call does not follow a final symlink (the l*
 * variants) nothing outside the guest is reached.  name must be a single
 * component other than "..". */
char *gd_fs_at_path (int dfd, const char *name);

/* stat of a guest path, following a final symlink inside the guest
 * (follow) or not.  Errors say "PATH: strerror". */
gboolean gd_fs_stat (GdRequest *req, const char *path, gboolean follow, struct stat *st,
                     GError **error);

/* An O_PATH fd of the object a guest path names, with (follow) or without
 * following a final symlink: for fchownat(AT_EMPTY_PATH), fstat, and the
 * /proc/self/fd name of path-only calls. */
int gd_fs_open_path (GdRequest *req, const char *path, gboolean follow, GError **error);

/* Opens a guest file for its data (flags: O_RDONLY / O_WRONLY / O_RDWR,
 * optionally O_CREAT, O_TRUNC, O_APPEND, O_EXCL, O_NOFOLLOW).  Device
 * nodes in the guest are refused (EACCES): they name devices of the
 * machine the daemon runs on, not of the guest.  FIFOs are opened
 * non-blocking so a FIFO without a peer can never hang the daemon.
 * mode is masked with the connection's umask. */
int gd_fs_open_data (GdRequest *req, const char *path, int flags, mode_t mode, GError **error);

/* A guest directory opened for readdir (closedir closes it).  NULL with
 * "PATH: strerror" when it cannot be opened or is not a directory. */
DIR *gd_fs_opendir (GdRequest *req, const char *path, GError **error);

/* "name" or "." and ".." are the entries that must not be looked up
 * relative to a directory fd (".." of the guest's root is the host). */
gboolean gd_fs_is_dot_or_dotdot (const char *name);

/* dir + "/" + name without doubling the slash. */
char *gd_fs_join (const char *dir, const char *name);

/* The connection's umask. */
mode_t gd_fs_umask (GdRequest *req);

/* The check of a size, offset, count or mode argument that must not be
 * negative, for every handler family: FALSE with EINVAL "NAME is negative"
 * (or "PATH: NAME is negative" when path is not NULL) when v < 0. */
gboolean gd_fs_check_not_negative (const char *path, const char *name, int64_t v, GError **error);

G_END_DECLS
