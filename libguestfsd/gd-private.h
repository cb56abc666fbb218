/* libguestfsd: internal API shared by the engine, the generated stubs and
 * the handlers.  Never installed.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <glib.h>
#include <rpc/rpc.h>

#include "gd-groups.h"
#include "gd-types.h"
#include "gd_protocol.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------------
 * Errors.
 *
 * Handlers report failure with a GError in the GD_ERRNO_ERROR domain whose
 * code is an errno value (0 when no errno applies).  The engine sends the
 * errno's name and the message to the client, which prefixes the message
 * with the procedure name.  So messages never repeat the procedure name.
 */

#define GD_ERRNO_ERROR (gd_errno_error_quark ())
GQuark gd_errno_error_quark (void);

/* Message only, no errno name on the wire. */
void gd_error (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Message with errnum's name on the wire; strerror is not appended. */
void gd_error_errno (GError **error, int errnum, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
/* Like perror: appends ": <strerror(errno)>" and sends errno's name. */
void gd_perror (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* ENOTSUP: the optional group is not available on this system. */
void gd_error_unavailable (GError **error, const char *group);

/* The errno name sent on the wire ("EINVAL"); "" for 0. */
const char *gd_errno_name (int errnum);
/* The errno to send for any GError (GD_ERRNO_ERROR codes, GIO, file errors). */
int gd_error_get_errno (const GError *error);

/* ------------------------------------------------------------------------
 * The procedure table (generated).
 */

enum
{
  GD_PROC_FLAG_FILEIN = 1 << 0,
  GD_PROC_FLAG_FILEOUT = 1 << 1,
  GD_PROC_FLAG_PROGRESS = 1 << 2,
  GD_PROC_FLAG_CANCELLABLE = 1 << 3,
  GD_PROC_FLAG_DEPRECATED = 1 << 4,
  GD_PROC_FLAG_INTERNAL = 1 << 5,
  GD_PROC_FLAG_SECRET_ARGS = 1 << 6,
  GD_PROC_FLAG_NEEDS_ROOT = 1 << 7,
  GD_PROC_FLAG_UNGATED = 1 << 8,   /* runs even if its group is unavailable */
  GD_PROC_FLAG_READ_ONLY = 1 << 9, /* cannot change the guest ("ro" in proto/) */
};

typedef gboolean (*GdStubFunc) (GdRequest *req, void *args, void *ret, GError **error);

typedef struct
{
  guint32 nr;
  const char *name;
  guint nr_optargs;
  GdGroup group;
  guint flags;
  xdrproc_t xdr_args;
  size_t args_size;
  xdrproc_t xdr_ret;
  size_t ret_size;
  GdStubFunc stub;
  void (*handler) (void); /* NULL: no handler written yet */
} GdProcedure;

const GdProcedure *gd_procedure_lookup (guint32 nr);
const GdProcedure *gd_procedure_nth (size_t i);

/* ------------------------------------------------------------------------
 * The current request.
 */

GdConnection *gd_request_connection (GdRequest *req);
const char *gd_request_name (GdRequest *req);
guint64 gd_request_optargs (GdRequest *req);
#define gd_request_has_optarg(req, bit) ((gd_request_optargs (req) & (bit)) != 0)
/* Size in bytes of the FileIn data the client announced (0: unknown). */
guint64 gd_request_progress_hint (GdRequest *req);

/* Progress messages, rate-limited as the protocol says: the first after 2 s,
 * then at most every 1/3 s, and always the final position == total once any
 * has been sent. */
void gd_progress (GdRequest *req, guint64 position, guint64 total);
/* Pulse mode, for work of unknown length: call gd_pulse_tick() often; it
 * sends (0, 1) at the progress rate.  gd_pulse_end() sends (1, 1). */
void gd_pulse_tick (GdRequest *req);
void gd_pulse_end (GdRequest *req);

/* ------------------------------------------------------------------------
 * File transfers.
 *
 * FileIn: the handler calls gd_filein_receive() (or gd_filein_to_fd()) once
 * to consume the client's chunk stream.  If the handler fails without
 * having consumed it, the engine cancels the transfer before replying.
 *
 * FileOut: the handler calls gd_fileout_begin() when it knows it will
 * succeed (this sends the OK reply), then writes data.  Returning TRUE ends
 * the stream; returning FALSE after begin sends a cancel chunk.  A handler
 * that returns TRUE without calling begin sends an empty file.
 */

/* Called with each block of received data, in order. */
typedef gboolean (*GdReceiveFunc) (const void *data, size_t len, gpointer user_data,
                                   GError **error);

gboolean gd_filein_receive (GdRequest *req, GdReceiveFunc func, gpointer user_data, GError **error);
/* Receives into fd (file, device or pipe) with progress against the hint. */
gboolean gd_filein_to_fd (GdRequest *req, int fd, GError **error);

gboolean gd_fileout_begin (GdRequest *req, GError **error);
gboolean gd_fileout_write (GdRequest *req, const void *data, size_t len, GError **error);
/* Streams fd to its end.  total > 0 enables byte progress against it. */
gboolean gd_fileout_from_fd (GdRequest *req, int fd, guint64 total, GError **error);
/* TRUE once the client has cancelled the current FileOut transfer. */
gboolean gd_fileout_cancelled (GdRequest *req);

/* ------------------------------------------------------------------------
 * Connection state.
 */

const char *gd_conn_sysroot (GdConnection *conn); /* "/sysroot", or "/" */
gboolean gd_conn_live (GdConnection *conn);
gboolean gd_conn_network (GdConnection *conn);
gboolean gd_conn_verbose (GdConnection *conn);
/* Serving image files on a host (drives or a sysroot were given). */
gboolean gd_conn_host_mode (GdConnection *conn);
mode_t gd_conn_umask (GdConnection *conn);
void gd_conn_set_umask (GdConnection *conn, mode_t mask);

/* Per-connection state for handler families (inotify, augeas, ...), freed
 * with the connection, or explicitly by setting NULL. */
gpointer gd_conn_get_data (GdConnection *conn, const char *key);
void gd_conn_set_data (GdConnection *conn, const char *key, gpointer data, GDestroyNotify destroy);
/* Like gd_conn_set_data, but gd_umount_all (umount_all, internal_autosync,
 * the end of the connection) first drops the data, calling destroy: for
 * handles that keep guest files open (Augeas, hivex, journal) and would
 * keep a filesystem busy, as the original closes them in umount_all. */
void gd_conn_set_data_until_umount (GdConnection *conn, const char *key, gpointer data,
                                    GDestroyNotify destroy);

/* Debug log to stderr when verbose. */
void gd_log (GdConnection *conn, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* Ask the engine to stop serving after this request's reply. */
void gd_conn_request_exit (GdConnection *conn);

/* ------------------------------------------------------------------------
 * The sysroot.  Every guest path is resolved inside it with openat2
 * RESOLVE_IN_ROOT, so symlinks and ".." can never leave it.
 */

/* O_PATH fd of the sysroot as mounted now, owned by the engine: never
 * close it.  It is kept while the mount table is unchanged; after a mount
 * or unmount the next gd_* path call replaces it (handlers that mount or
 * unmount call gd_sysroot_changed() first, as it keeps the root busy). */
int gd_sysroot_fd (GdRequest *req, GError **error);
/* openat2 of a guest path inside the sysroot.  Errors say "PATH: strerror".
 * In host mode a device node of the guest is refused (EPERM) unless the
 * flags include O_PATH: it would be one of the host's devices. */
int gd_open (GdRequest *req, const char *path, int flags, mode_t mode, GError **error);
/* O_PATH|O_DIRECTORY fd of the parent of path (resolved in the sysroot) and
 * the last component in *name, for the *at() calls that must not follow a
 * final symlink (lstat, unlink, rename, mkdir, symlink, lchown ...).  When
 * the last component is "." or ".." (or the path is "/"), the fd is the
 * directory itself and *name is ".".
 *
 * Calls that follow a final symlink (stat, chmod, chown, open) must not use
 * the parent + name: the kernel would resolve an absolute link target from
 * the host's root.  Open the whole path with gd_open() (O_PATH) and operate
 * on the fd (fstat, fchownat(AT_EMPTY_PATH), or gd_fd_path() for chmod,
 * xattrs and utimes). */
int gd_open_parent (GdRequest *req, const char *path, char **name, GError **error);
/* Host path of a guest path, by concatenation: only for mount(8) targets
 * and messages, never for opening files. */
char *gd_sysroot_path (GdRequest *req, const char *path);
/* "/proc/self/fd/N": a name for an fd that syscalls taking paths follow. */
char *gd_fd_path (int fd);
/* Whether a filesystem is mounted on the sysroot (or below it). */
gboolean gd_is_root_mounted (GdConnection *conn);
/* Called by handlers that mount or unmount: drops cached sysroot fds. */
void gd_sysroot_changed (GdRequest *req);

/* ------------------------------------------------------------------------
 * Walking a tree.  Never follows symlinks, so a walk started from a
 * confined fd (gd_open) stays inside the guest.  relpath is prefix plus
 * the entry's path below the start ("prefix/a/b").
 */

typedef enum
{
  GD_WALK_FILE, /* any non-directory */
  GD_WALK_PRE,  /* a directory, before its entries */
  GD_WALK_POST, /* a directory, after its entries (GD_WALK_WANT_POST) */
} GdWalkPhase;

typedef enum
{
  GD_WALK_DEFAULT = 0,
  GD_WALK_SORTED = 1 << 0,    /* entries of each directory in strcmp order */
  GD_WALK_WANT_POST = 1 << 1, /* also call back after a directory's entries */
  /* The callback looks only at the file type in st->st_mode: where
   * readdir tells the type, entries are not stat'ed (the other fields of
   * *st are then zero).  A stat of a file whose inode is not cached is a
   * disk read, the bulk of a walk over a freshly mounted filesystem. */
  GD_WALK_TYPE_ONLY = 1 << 2,
} GdWalkFlags;

/* Return FALSE with *error set to stop the walk. */
typedef gboolean (*GdWalkFunc) (int dirfd, const char *name, const char *relpath,
                                const struct stat *st, GdWalkPhase phase, gpointer data,
                                GError **error);
gboolean gd_walk (int dirfd, const char *prefix, GdWalkFlags flags, GdWalkFunc func, gpointer data,
                  GError **error);

/* ------------------------------------------------------------------------
 * Devices.
 */

/* text with every /dev/NODE of ours replaced by the guest's name for it
 * (for messages and output of helper programs). */
char *gd_map_device_names (GdConnection *conn, const char *text);
/* The guest name for a host node (/dev/loop3p1 -> /dev/sda1); a copy of
 * node when it is not one of ours. */
char *gd_device_guest_name (GdConnection *conn, const char *node);
/* The node of partition partnum of a disk: /dev/sda1, but /dev/loop3p1
 * and /dev/nvme0n1p1 when the disk's name ends in a digit. */
char *gd_device_partition_node (const char *disk_node, guint partnum);
/* The canonical sysfs directory (/sys/devices/...) of a block device
 * node, or NULL. */
char *gd_device_sysfs_dir (const char *node);
/* The device-mapper name and UUID of node (each may be NULL; the UUID is
 * "" when it has none), or FALSE if node is not a device-mapper device. */
gboolean gd_device_dm_info (const char *node, char **name, char **uuid);
/* The name the original gives a device-mapper node (/dev/dm-3,
 * /dev/mapper/VG-LV): /dev/VG/LV for a logical volume, else
 * /dev/mapper/NAME; NULL if node is not a device-mapper device. */
char *gd_device_dm_name (const char *node);
/* Whether a HOST node, as a helper program prints it, is one of our
 * devices (a drive, a partition, or dm/md built on them).  Never pass it
 * to gd_device_lookup(), which reads /dev/sdX as the guest's name: in the
 * appliance the kernel's /dev/sdc1 may be the guest's /dev/sda1. */
gboolean gd_device_node_is_ours (GdConnection *conn, const char *node);
/* Whole disks in guest order, as GdDevice. */
GPtrArray *gd_list_disks (GdConnection *conn);
/* Partitions of all disks in guest order (disk order, then number). */
GPtrArray *gd_list_partitions (GdConnection *conn);
/* Resolve a device name the way a Device argument is resolved. */
GdDevice *gd_device_lookup (GdConnection *conn, const char *name, GError **error);
/* Makes the kernel's partitions of disk (and their /dev nodes) match the
 * table on the disk.  Every handler that changes a partition table calls
 * it before returning. */
gboolean gd_partitions_sync (const char *node, GError **error);
/* Waits (at most 30 s) for udev to make or remove the nodes and links of
 * devices just changed (/dev/VG/LV, /dev/mapper/NAME, /dev/md/NAME).
 * Does nothing without udevadm. */
void gd_udev_settle (void);

/* ------------------------------------------------------------------------
 * Helper programs.
 */

typedef enum
{
  GD_RUN_DEFAULT = 0,
  /* stderr goes where stdout goes. */
  GD_RUN_FOLD_STDERR = 1 << 1,
  /* A non-zero exit status is not an error (read *exit_status). */
  GD_RUN_ANY_STATUS = 1 << 2,
  /* Send pulse-mode progress while waiting. */
  GD_RUN_PULSE = 1 << 3,
} GdRunFlags;

typedef struct
{
  const char *const *argv;
  GdRunFlags flags;
  int stdin_fd;           /* -1: /dev/null */
  int stdout_fd;          /* -1: capture into *out */
  const char *const *env; /* extra "NAME=value" entries, or NULL */
  const char *stdin_data; /* written to stdin when stdin_fd is -1 */
  size_t stdin_len;
  /* The child's working directory: an fd from gd_open (O_PATH|O_DIRECTORY
   * is fine), so a host program can work on "." inside the guest; 0 or
   * -1 means "/". */
  int cwd_fd;
  /* gd_run_full: most bytes of stdout captured (0: no limit); a program
   * that prints more is killed and the error is E2BIG. */
  size_t max_out;
} GdRunOpts;

/* Runs argv (looked up in the daemon's PATH).  With out/err non-NULL the
 * output is returned; on a non-zero exit the error message is the
 * program's stderr (or stdout) and the errno is 0. */
gboolean gd_run_full (GdRequest *req, const GdRunOpts *opts, char **out, char **err,
                      int *exit_status, GError **error);
gboolean gd_runv (GdRequest *req, const char *const *argv, GdRunFlags flags, char **out,
                  GError **error);
gboolean gd_run (GdRequest *req, char **out, GError **error, const char *prog,
                 ...) G_GNUC_NULL_TERMINATED;
gboolean gd_prog_exists (const char *prog);
/* gd_run_full (GD_RUN_ANY_STATUS is added) for programs whose own message
 * is the whole error (lvm, mdadm, ldmtool): on a non-zero exit the message
 * is their stderr (or stdout), stripped and used as it is, after
 * "PREFIX: " when prefix is not NULL; when they said nothing, "WHAT
 * exited with status N" (what NULL: argv[0]). */
gboolean gd_run_verbatim (GdRequest *req, const GdRunOpts *opts, const char *prefix,
                          const char *what, char **out, GError **error);

/* Run func in a forked child that has chrooted into the sysroot (so it can
 * only see the guest), with stdin and stdout on the given fds (-1 keeps
 * /dev/null).  Returns the child's pid. */
typedef int (*GdChildFunc) (gpointer data);
pid_t gd_spawn_confined (GdRequest *req, GdChildFunc func, gpointer data, int stdin_fd,
                         int stdout_fd, GError **error);
/* Waits for a child; non-zero status or a signal is an error whose message
 * is what (e.g. "tar") + the status. */
gboolean gd_wait_child (pid_t pid, const char *what, GError **error);

/* A helper program that runs while the handler streams its stdin or
 * stdout (FileIn and FileOut through a program).  Started like
 * gd_run_full, but without waiting: stdin_fd (-1: /dev/null) and
 * stdout_fd are given to the child, stdin_data is not supported, and
 * stderr (and stdout when stdout_fd is -1) is kept for gd_child_wait. */
typedef struct _GdChild GdChild;
GdChild *gd_child_spawn (GdRequest *req, const GdRunOpts *opts, GError **error);
/* Waits for the child (after SIGKILL when kill_it) and frees it.  A
 * non-zero exit or a signal is an error carrying the program's stderr;
 * error may be NULL to ignore it. */
gboolean gd_child_wait (GdChild *child, gboolean kill_it, GError **error);

/* ------------------------------------------------------------------------
 * Mounts.
 */

typedef struct
{
  guint mnt_id;
  char *source; /* host node or "none" */
  char *target; /* guest path ("/", "/boot") */
  char *fstype;
  char *options;
} GdMountEntry;

/* Every mount of this mount namespace, in /proc/self/mountinfo's order
 * (parents first); target is the host path here. */
GPtrArray *gd_mountinfo_read (GError **error);
/* Filesystems mounted at or under the sysroot, shortest path first. */
GPtrArray *gd_mounts_list (GdConnection *conn, GError **error);
/* Undoes the \ooo escapes of blanks and backslashes in the kernel's
 * /proc/self/mountinfo and /proc/swaps. */
char *gd_unescape_octal (const char *s);
/* The host path of the guest directory mountpoint, resolved inside the
 * sysroot so that a symlink in the guest cannot send a mount elsewhere:
 * the target to give mount(8).  EINVAL unless mountpoint is absolute. */
char *gd_mountpoint_resolve (GdRequest *req, const char *mountpoint, GError **error);
/* Unmounts everything under the sysroot, deepest first. */
gboolean gd_umount_all (GdConnection *conn, GError **error);

/* ------------------------------------------------------------------------
 * Optional groups.
 */

gboolean gd_group_available (GdGroup group);
GdGroup gd_group_lookup (const char *name);
/* Whether the running kernel lists filesystem type fs in /proc/filesystems
 * (FALSE when that cannot be read). */
gboolean gd_kernel_has_filesystem (const char *fs);
/* The same, or a module for it loads (modprobe): the appliance's kernel
 * has some filesystems (btrfs ...) as modules nothing has loaded yet. */
gboolean gd_kernel_can_mount (const char *fs);

/* ------------------------------------------------------------------------
 * Support for the generated stubs.
 */

gboolean gd_check_pathname (GdRequest *req, const char *argname, const char *path, GError **error);
gboolean gd_check_filenames (GdRequest *req, const char *argname, char *const *names,
                             GError **error);
gboolean gd_check_root_mounted (GdRequest *req, GError **error);
GdDevice *gd_resolve_device (GdRequest *req, const char *name, GError **error);
GPtrArray *gd_resolve_device_list (GdRequest *req, u_int len, char **names, GError **error);
GdMountable *gd_resolve_mountable (GdRequest *req, const char *name, gboolean allow_path,
                                   GError **error);
GdDevOrPath *gd_resolve_dev_or_path (GdRequest *req, const char *name, GError **error);
/* For handlers whose Mountable must be a block device (a device or a
 * btrfs subvolume's): the device, or NULL with EINVAL for a path. */
const GdDevice *gd_mountable_device (const GdMountable *m, GError **error);
/* A NULL-terminated vector of the XDR list's own strings (not copied). */
char **gd_strv_borrow (u_int len, char **val);

typedef enum
{
  GD_MAP_NONE,
  GD_MAP_ALL,
  GD_MAP_KEYS,
  GD_MAP_VALUES,
} GdMapKind;

void gd_result_map_device (GdRequest *req, char **s);
gboolean gd_result_take_strv (GdRequest *req, char **list, gboolean hashtable, GdMapKind map,
                              u_int *len, char ***val, GError **error);

/* ------------------------------------------------------------------------
 * Small helpers.
 */

/* Splits command output into lines, dropping one trailing empty line. */
char **gd_split_lines (const char *text);
/* write(2) until all len bytes are written, retrying EINTR.  FALSE with
 * errno set, and *error "NAME: strerror" unless error is NULL (which
 * makes it safe in a forked child). */
gboolean gd_write_all (int fd, const void *buf, size_t len, const char *name, GError **error);
/* Removes trailing newlines in place; returns s. */
char *gd_chomp (char *s);
/* text with every occurrence of from replaced by to (a copy of text when
 * from is ""). */
char *gd_str_replace (const char *text, const char *from, const char *to);

G_END_DECLS
