/* fuzz-request: feeds arbitrary bytes, as a client would send them, to a
 * connection served over a socketpair.  The daemon must answer or hang up
 * without crashing, leaking or hanging.
 *
 * Two targets share this file (tests/fuzz/README.md says why and how to
 * run them):
 *  - "request" (fuzz-request): the framing, the engine and the drive
 *    procedures.  The daemon serves one drive, /dev/sda: a loop device
 *    over a 16 MiB image made once per process (two MBR partitions, an
 *    ext4 with a few files on sda1, nothing on sda2), and is in host mode,
 *    as guestfsd --drive is.
 *  - "files" (fuzz-files): the file and directory families only, on a
 *    sysroot holding a small tree (text, binary, empty and sparse files,
 *    directories, symlinks inside and pointing out, a hard link, a fifo,
 *    xattrs), and no drive: no helper program for partitions or
 *    filesystems runs, so it does hundreds of inputs a second.
 *
 * Everything runs as root in a private mount namespace the process makes
 * itself (unshare at the first input); elsewhere the sysroot is an empty
 * directory, there is no drive, and the handlers refuse most inputs.
 *
 * Each input starts from the same state: whatever the previous one
 * mounted is unmounted, the sysroot is a fresh tmpfs (8 MiB, 1024 inodes)
 * filled with the tree, and in the request target the drive is written
 * back to its first contents after an input that could have changed it
 * (a procedure of the drive list below that is not read-only), and the
 * kernel's partitions are brought back in step.
 *
 * Only the procedures listed run: inputs that reach any other handler are
 * skipped (some would act on the host, e.g. lvm_remove_all or debug sh,
 * or are not worth their time here).  Raw writes to the drive
 * (pwrite_device, zero_device ...) are not listed, and an input that
 * uploads to a /dev name (the protocol's file transfers need fuzzing
 * too) mounts nothing: every filesystem the kernel mounts here was made
 * by mkfs, not by the fuzzer, because crafted filesystems aim at the host
 * kernel, not at us (libblkid, e2fsprogs and our own parsers do see the
 * fuzzer's bytes).
 *
 * Built as libFuzzer targets with -Dfuzzing=true (clang), and always as
 * fuzz-replay, which runs the corpora in 'meson test'.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gd-devices.h"
#include "gd-engine.h"
#include "gd-partscan.h"
#include "fuzz-request.h"

#ifndef FUZZ_TARGET_DEFAULT
#define FUZZ_TARGET_DEFAULT FUZZ_TARGET_REQUEST
#endif

/* Harmless with or without drives: the engine's own procedures and some
 * that only answer or refuse. */
static const char *const base_procedures[] = {
  "available_all_groups",       "echo_daemon", "internal_exit",
  "internal_feature_available", "ping_daemon", NULL,
};

/* The file and directory families: they act inside the sysroot only. */
static const char *const file_procedures[] = {
  "acl_delete_def_file",
  "acl_get_file",
  "acl_set_file",
  "base64_in",
  "base64_out",
  "case_sensitive_path",
  "checksum",
  "checksums_out",
  "chmod",
  "chown",
  "copy_attributes",
  "cp",
  "cp_a",
  "cp_r",
  "cpio_out",
  "download",
  "download_offset",
  "du",
  "equal",
  "exists",
  "fallocate",
  "fallocate64",
  "file",
  "file_architecture",
  "filesize",
  "fill",
  "fill_dir",
  "fill_pattern",
  "find0",
  "get_umask",
  "getxattr",
  "getxattrs",
  "glob_expand",
  "grep",
  "head",
  "head_n",
  "hexdump",
  "internal_lstatnslist",
  "internal_lxattrlist",
  "internal_readlinklist",
  "internal_write",
  "internal_write_append",
  "is_blockdev",
  "is_chardev",
  "is_dir",
  "is_fifo",
  "is_file",
  "is_socket",
  "is_symlink",
  "is_zero",
  "lchown",
  "lgetxattr",
  "lgetxattrs",
  "ll",
  "llz",
  "ln",
  "ln_f",
  "ln_s",
  "ln_sf",
  "lremovexattr",
  "lsetxattr",
  "lstatns",
  "ls0",
  "mkdir",
  "mkdir_mode",
  "mkdir_p",
  "mkdtemp",
  "mkfifo",
  "mknod",
  "mknod_b",
  "mknod_c",
  "mktemp",
  "mv",
  "pread",
  "pwrite",
  "readdir",
  "readlink",
  "realpath",
  "removexattr",
  "rename",
  "rm",
  "rm_f",
  "rm_rf",
  "rmdir",
  "setxattr",
  "statns",
  "statvfs",
  "strings",
  "strings_e",
  "tail",
  "tail_n",
  "tar_in",
  "tar_out",
  "tgz_in",
  "tgz_out",
  "touch",
  "truncate",
  "truncate_size",
  "txz_in",
  "txz_out",
  "umask",
  "upload",
  "upload_offset",
  "utimens",
  "wc_c",
  "wc_l",
  "wc_w",
  "write_file",
  "zfile",
  NULL,
};

/* The drive, its partitions and filesystems (request target only). */
static const char *const drive_procedures[] = {
  "blkid",
  "blockdev_flushbufs",
  "blockdev_getbsz",
  "blockdev_getro",
  "blockdev_getsize64",
  "blockdev_getss",
  "blockdev_getsz",
  "blockdev_rereadpt",
  "checksum_device",
  "df",
  "df_h",
  "e2fsck",
  "get_e2attrs",
  "get_e2generation",
  "get_e2label",
  "get_e2uuid",
  "is_whole_device",
  "is_zero_device",
  "list_devices",
  "list_disk_labels",
  "list_filesystems",
  "list_partitions",
  "mkfs",
  "mkmountpoint",
  "mount",
  "mount_options",
  "mount_ro",
  "mount_vfs",
  "mountpoints",
  "mounts",
  "part_add",
  "part_del",
  "part_disk",
  "part_get_bootable",
  "part_get_mbr_id",
  "part_get_mbr_part_type",
  "part_get_name",
  "part_get_parttype",
  "part_init",
  "part_list",
  "part_set_bootable",
  "part_set_mbr_id",
  "part_set_name",
  "part_to_dev",
  "part_to_partnum",
  "rmmountpoint",
  "set_e2label",
  "set_label",
  "tune2fs",
  "tune2fs_l",
  "umount",
  "umount_all",
  "vfs_label",
  "vfs_type",
  "vfs_uuid",
  "vfs_minimum_size",
  NULL,
};

/* Take a Dev_or_Path first argument: when it names a device they write
 * the fuzzer's bytes onto the drive, and nothing may be mounted after. */
static const char *const write_path_procedures[] = {
  "upload",
  "upload_offset",
  NULL,
};

#define DRIVE_SIZE (16 * 1024 * 1024)

static FuzzTarget target = FUZZ_TARGET_DEFAULT;
static GdConfig config;
static char *tmpdir;
static GHashTable *safe_set;  /* name -> GINT_TO_POINTER (1 | 2 for a drive procedure) */
static gboolean in_namespace; /* root, in our own mount namespace */
/* A host file beside the sysroot that no input may read or change: the
 * tree has symlinks to it, relative and absolute.  Its content is random
 * per process (a fixed one would end up in the dictionary). */
static guint8 canary[16];
static char *canary_path;
static struct stat canary_st;
static guint8 *drive_image; /* the drive's first contents, DRIVE_SIZE bytes */
static gboolean drive_dirty;

void
fuzz_set_target (FuzzTarget t)
{
  g_assert (tmpdir == NULL); /* before the first input */
  target = t;
}

static void
cleanup (void)
{
  if (tmpdir)
    {
      g_autofree char *sysroot = g_build_filename (tmpdir, "sysroot", NULL);
      while (in_namespace && umount2 (sysroot, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
        ;
      rmdir (sysroot);
      g_autofree char *tree = g_build_filename (tmpdir, "tree", NULL);
      g_autofree char *img = g_build_filename (tmpdir, "drive.img", NULL);
      /* The tree was made by us: no symlink in it is followed (rm -r). */
      const char *argv[] = { "rm", "-rf", "--one-file-system", tree, NULL };
      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, NULL, NULL);
      g_autofree char *p1 = g_build_filename (tmpdir, "p1.img", NULL);
      unlink (canary_path);
      unlink (img);
      unlink (p1);
      rmdir (tmpdir);
    }
}

static void
put_file (const char *dir, const char *name, const void *data, size_t len)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_file_set_contents (p, data, len, &error))
    g_error ("%s", error->message);
}

/* The sysroot's contents, made in dir (a fresh tmpfs, or the directory
 * mke2fs copies into the drive's filesystem).  Small on purpose: every
 * input of the files target starts from it. */
static void
make_tree (const char *dir)
{
  static const char text[] = "hello world\nsecond line\n\tindented\nlast line without newline";
  guint8 bin[600];
  for (guint i = 0; i < sizeof bin; i++)
    bin[i] = (guint8) (i * 7 + (i >> 3));
  g_autofree char *etc = g_build_filename (dir, "etc", NULL);
  g_autofree char *d = g_build_filename (dir, "dir", NULL);
  g_autofree char *sub = g_build_filename (dir, "dir", "sub", NULL);
  g_autofree char *empty = g_build_filename (dir, "emptydir", NULL);
  g_mkdir (etc, 0755);
  g_mkdir (d, 0755);
  g_mkdir (sub, 0700);
  g_mkdir (empty, 0755);
  put_file (dir, "hello.txt", text, sizeof text - 1);
  put_file (dir, "bin", bin, sizeof bin);
  put_file (dir, "empty", "", 0);
  put_file (etc, "hostname", "fuzzguest\n", 10);
  put_file (etc, "fstab", "/dev/sda1 / ext4 defaults 0 1\n", 30);
  put_file (d, "a", "aaa\n", 4);
  put_file (sub, "b", "b\nbb\nbbb\n", 9);
  g_autofree char *sparse = g_build_filename (dir, "sparse", NULL);
  int fd = open (sparse, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0)
    {
      if (ftruncate (fd, 65536) < 0 || pwrite (fd, "end", 3, 65536) != 3)
        g_warning ("sparse: %s", g_strerror (errno));
      close (fd);
    }
  g_autofree char *hello = g_build_filename (dir, "hello.txt", NULL);
  g_autofree char *hard = g_build_filename (dir, "dir", "hardlink", NULL);
  if (link (hello, hard) < 0)
    g_warning ("link: %s", g_strerror (errno));
  const struct
  {
    const char *name, *target;
  } links[] = {
    { "link-in", "hello.txt" },      { "link-dir", "dir" },
    { "link-abs", "/etc/hostname" }, { "link-out", "../../../../etc/passwd" },
    { "link-dangling", "nowhere" },  { "link-loop", "link-loop" },
    { "link-canary", "../canary" },  { "link-canary-abs", canary_path },
  };
  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_autofree char *p = g_build_filename (dir, links[i].name, NULL);
      if (symlink (links[i].target, p) < 0)
        g_warning ("symlink %s: %s", p, g_strerror (errno));
    }
  g_autofree char *fifo = g_build_filename (dir, "fifo", NULL);
  mkfifo (fifo, 0644);
  /* Fails quietly where the filesystem has no user xattrs. */
  setxattr (hello, "user.note", "a note", 6, 0);
  setxattr (d, "user.empty", "", 0, 0);
}

static gboolean
run (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  int status;
  g_autofree char *out = NULL, *err = NULL;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      g_printerr ("fuzz: %s: %s %s\n", argv[0], error->message, err ? err : "");
      return FALSE;
    }
  return TRUE;
}

/* The drive: an image with two partitions, ext4 with the tree on the
 * first; attached to a loop device for the life of the process. */
static void
make_drive (void)
{
  g_autofree char *img = g_build_filename (tmpdir, "drive.img", NULL);
  g_autofree char *tree = g_build_filename (tmpdir, "tree", NULL);
  g_autofree char *p1 = g_build_filename (tmpdir, "p1.img", NULL);
  g_mkdir (tree, 0755);
  make_tree (tree);
  int fd = open (img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert (fd >= 0 && ftruncate (fd, DRIVE_SIZE) == 0);
  close (fd);
  /* sda1: sectors 2048..18431 (8 MiB), sda2: the rest. */
  g_autofree char *quoted = g_shell_quote (img);
  g_autofree char *cmd = g_strdup_printf (
      "printf 'label: dos\\nstart=2048, size=16384, type=83\\nstart=18432, type=83\\n' | "
      "sfdisk -q --no-reread --no-tell-kernel %s",
      quoted);
  const char *sfdisk[] = { "/bin/sh", "-c", cmd, NULL };
  if (!run (sfdisk))
    return;
  /* The filesystem is made in a file of its own and copied in: mke2fs -d
   * copies the tree, and nothing is mounted to do it. */
  fd = open (p1, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert (fd >= 0 && ftruncate (fd, 16384 * 512) == 0);
  close (fd);
  const char *mke2fs[] = { "mke2fs",
                           "-q",
                           "-F",
                           "-t",
                           "ext4",
                           "-L",
                           "fuzzroot",
                           "-U",
                           "01234567-89ab-cdef-0123-456789abcdef",
                           "-E",
                           "root_owner=0:0,lazy_itable_init=0",
                           "-d",
                           tree,
                           p1,
                           NULL };
  if (!run (mke2fs))
    return;
  g_autofree char *fs = NULL;
  gsize fs_len;
  g_autofree char *disk = NULL;
  gsize disk_len;
  if (!g_file_get_contents (p1, &fs, &fs_len, NULL) ||
      !g_file_get_contents (img, &disk, &disk_len, NULL) || disk_len != DRIVE_SIZE ||
      fs_len != 16384 * 512)
    g_error ("fuzz: reading the drive images failed");
  memcpy (disk + 2048 * 512, fs, fs_len);
  if (!g_file_set_contents (img, disk, disk_len, NULL))
    g_error ("fuzz: writing %s failed", img);
  unlink (p1);
  g_autoptr (GError) error = NULL;
  if (!gd_device_table_add_drive (config.devices, img, FALSE, &error))
    {
      g_printerr ("fuzz: no drive: %s\n", error->message);
      return;
    }
  drive_image = (guint8 *) g_steal_pointer (&disk);
}

static void
add_all (const char *const *names, int kind)
{
  for (const char *const *p = names; *p; p++)
    g_hash_table_insert (safe_set, (gpointer) *p, GINT_TO_POINTER (kind));
}

static void
init_once (void)
{
  if (tmpdir)
    return;
  /* Mounts (ours, and any the daemon makes) stay in this process. */
  in_namespace =
      unshare (CLONE_NEWNS) == 0 && mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
  tmpdir = g_dir_make_tmp ("gdfuzz-XXXXXX", NULL);
  g_assert (tmpdir != NULL);
  char *sysroot = g_build_filename (tmpdir, "sysroot", NULL);
  g_assert (g_mkdir (sysroot, 0755) == 0);
  config.sysroot = sysroot;
  config.devices = gd_device_table_new ();
  config.host_mode = TRUE;
  canary_path = g_build_filename (tmpdir, "canary", NULL);
  for (guint i = 0; i < sizeof canary; i++)
    canary[i] = (guint8) g_random_int_range (1, 256);
  g_assert (g_file_set_contents (canary_path, (char *) canary, sizeof canary, NULL));
  g_assert (stat (canary_path, &canary_st) == 0);
  safe_set = g_hash_table_new (g_str_hash, g_str_equal);
  add_all (base_procedures, 1);
  add_all (file_procedures, 1);
  if (target == FUZZ_TARGET_REQUEST)
    {
      add_all (drive_procedures, 2);
      if (in_namespace)
        make_drive ();
    }
  atexit (cleanup);
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* Whether the message's first argument, an XDR string, starts with
 * "/dev/" (or cannot be read: then the stub refuses it anyway). */
static gboolean
first_arg_is_device (const guint8 *args, guint64 len)
{
  if (len < 4)
    return FALSE;
  guint32 n = be32 (args);
  if (n < 5 || len - 4 < 5)
    return FALSE;
  return memcmp (args + 4, "/dev/", 5) == 0;
}

enum
{
  RUNS = 1,
  CHANGES_DRIVE = 2,
  RAW_WRITE = 4,
  MOUNTS = 8,
};

/* 0: not run here; else RUNS and what the call may do. */
static int
procedure_kind (guint32 nr, const guint8 *args, guint64 len)
{
  const GdProcedure *p = gd_procedure_lookup (nr);
  if (p == NULL || p->handler == NULL)
    return RUNS; /* refused by the engine */
  int kind = GPOINTER_TO_INT (g_hash_table_lookup (safe_set, p->name));
  if (kind == 0)
    return 0;
  if (kind == 2 && (p->flags & GD_PROC_FLAG_READ_ONLY))
    return RUNS;
  if (kind == 1)
    {
      if (g_strv_contains (write_path_procedures, p->name) && first_arg_is_device (args, len))
        return RUNS | CHANGES_DRIVE | RAW_WRITE;
      return RUNS;
    }
  if (g_str_has_prefix (p->name, "mount"))
    return RUNS | CHANGES_DRIVE | MOUNTS;
  return RUNS | CHANGES_DRIVE;
}

/* Walks the input as the daemon frames it (requests and upload chunks
 * alike) and checks every message that could be dispatched. */
static gboolean
scan_input (const guint8 *data, size_t size, gboolean *changes_drive)
{
  init_once ();
  guint64 pos = 0;
  int all = 0;
  while (pos + 4 <= size)
    {
      guint32 len = be32 (data + pos);
      pos += 4;
      if (len == GD_CANCEL_FLAG)
        continue;
      if (len >= GD_HEADER_SIZE && pos + GD_HEADER_SIZE <= size)
        {
          const guint8 *h = data + pos;
          if (be32 (h) == GD_PROGRAM && be32 (h + 4) == GD_PROTOCOL_VERSION &&
              be32 (h + 12) == GD_DIRECTION_CALL && be32 (h + 36) == GD_STATUS_OK)
            {
              guint64 avail = MIN ((guint64) len, size - pos) - GD_HEADER_SIZE;
              int kind = procedure_kind (be32 (h + 8), h + GD_HEADER_SIZE, avail);
              if (kind == 0)
                return FALSE;
              all |= kind;
            }
        }
      pos += len;
    }
  *changes_drive = (all & CHANGES_DRIVE) != 0;
  /* A drive the fuzzer wrote to (the protocol does not say where its
   * bytes land before the call runs: be safe) is never mounted. */
  return (all & (RAW_WRITE | MOUNTS)) != (RAW_WRITE | MOUNTS);
}

gboolean
fuzz_input_is_safe (const guint8 *data, size_t size)
{
  gboolean changes_drive;
  return scan_input (data, size, &changes_drive);
}

static int
count_fds (void)
{
  int n = 0;
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  if (dir == NULL)
    return -1;
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

/* A handler that leaks an fd per call makes the count grow without end;
 * libraries that open a file once and keep it (magic, locale ...) only
 * raise it a little: abort (a crash for libFuzzer, with the input) when
 * it has grown by more than a few dozen since the first input. */
static void
check_fds (void)
{
  static int first = -1;
  int n = count_fds ();
  if (n < 0)
    return;
  if (first < 0)
    first = n;
  else if (n > first + 48)
    {
      g_printerr ("fuzz: %d open fds after this input, %d after the first: a handler leaks fds\n",
                  n, first);
      abort ();
    }
}

/* Nothing beside the sysroot changed: the canary is as it was and no
 * file appeared next to it. */
static void
check_host (void)
{
  struct stat st;
  g_autofree char *content = NULL;
  gsize len = 0;
  if (stat (canary_path, &st) < 0 || st.st_ino != canary_st.st_ino ||
      st.st_mtim.tv_sec != canary_st.st_mtim.tv_sec ||
      st.st_mtim.tv_nsec != canary_st.st_mtim.tv_nsec ||
      st.st_ctim.tv_nsec != canary_st.st_ctim.tv_nsec || st.st_mode != canary_st.st_mode ||
      st.st_uid != canary_st.st_uid || !g_file_get_contents (canary_path, &content, &len, NULL) ||
      len != sizeof canary || memcmp (content, canary, len) != 0)
    {
      g_printerr ("fuzz: %s, a host file outside the sysroot, changed\n", canary_path);
      abort ();
    }
  static const char *const allowed[] = { "sysroot", "canary", "tree", "drive.img", "p1.img", NULL };
  GDir *dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name (dir)) != NULL)
    if (!g_strv_contains (allowed, name))
      {
        g_printerr ("fuzz: %s/%s appeared, outside the sysroot\n", tmpdir, name);
        abort ();
      }
  if (dir)
    g_dir_close (dir);
}

/* Writes the drive back to its first contents and has the kernel read its
 * partition table again (which also drops the partitions' caches). */
static void
restore_drive (void)
{
  const char *node = gd_device_table_node (config.devices, 0);
  int fd = open (node, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    g_error ("fuzz: %s: %s", node, g_strerror (errno));
  size_t off = 0;
  while (off < DRIVE_SIZE)
    {
      ssize_t n = pwrite (fd, drive_image + off, DRIVE_SIZE - off, off);
      if (n <= 0)
        g_error ("fuzz: writing %s: %s", node, g_strerror (errno));
      off += n;
    }
  if (fsync (fd) < 0 || ioctl (fd, BLKFLSBUF, 0) < 0)
    g_error ("fuzz: flushing %s: %s", node, g_strerror (errno));
  close (fd);
  /* As the partition procedures do: BLKRRPART, BLKPG where needed, and
   * wait for the nodes (a handler that left a partition open fails
   * here). */
  g_autoptr (GError) error = NULL;
  if (!gd_partitions_sync (node, &error))
    g_error ("fuzz: %s", error->message);
}

typedef struct
{
  int fd;
  const guint8 *data;
  size_t size;
  GByteArray *trace; /* what the daemon sent */
} Feeder;

/* FUZZ_TRACE=1: prints each reply (procedure, and the error if any), to
 * check that a seed reaches its handlers. */
static void
print_trace (GByteArray *b)
{
  guint64 pos = 0;
  while (pos + 4 <= b->len)
    {
      guint32 w = be32 (b->data + pos);
      pos += 4;
      if (w == GD_LAUNCH_FLAG || w == GD_CANCEL_FLAG)
        continue;
      if (w == GD_PROGRESS_FLAG)
        {
          pos += GD_PROGRESS_SIZE - 4;
          continue;
        }
      if (pos + MIN (w, GD_HEADER_SIZE) > b->len)
        break;
      const guint8 *m = b->data + pos;
      if (w >= GD_HEADER_SIZE && be32 (m) == GD_PROGRAM)
        {
          const GdProcedure *p = gd_procedure_lookup (be32 (m + 8));
          guint32 status = be32 (m + 36);
          g_autofree char *err = NULL;
          if (status != 0 && w >= GD_HEADER_SIZE + 8 && pos + w <= b->len)
            {
              guint32 l1 = be32 (m + GD_HEADER_SIZE);
              guint64 o = GD_HEADER_SIZE + 4 + ((l1 + 3) & ~3u);
              if (o + 4 <= w && be32 (m + o) <= w - o - 4)
                err = g_strndup ((const char *) m + o + 4, be32 (m + o));
            }
          g_printerr ("  %s: %s%s\n", p ? p->name : "?", status ? "error: " : "ok", err ? err : "");
        }
      pos += w;
    }
}

/* The client side: writes the input, then reads (and drops) everything
 * the daemon sends until it hangs up. */
static gpointer
feeder (gpointer p)
{
  Feeder *f = p;
  size_t off = 0;
  gboolean writing = f->size > 0;
  if (!writing)
    shutdown (f->fd, SHUT_WR);
  for (;;)
    {
      struct pollfd pfd = { .fd = f->fd, .events = POLLIN | (writing ? POLLOUT : 0) };
      if (poll (&pfd, 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (pfd.revents & POLLIN)
        {
          guint8 buf[65536];
          ssize_t n = read (f->fd, buf, sizeof buf);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            break;
          if (n > 0)
            g_byte_array_append (f->trace, buf, n);
        }
      if (writing && (pfd.revents & (POLLOUT | POLLERR | POLLHUP)))
        {
          ssize_t n = send (f->fd, f->data + off, f->size - off, MSG_NOSIGNAL | MSG_DONTWAIT);
          if (n > 0)
            off += n;
          if ((n < 0 && errno != EAGAIN && errno != EINTR) || off == f->size)
            {
              writing = FALSE;
              shutdown (f->fd, SHUT_WR);
            }
        }
      else if (pfd.revents & (POLLERR | POLLHUP) && !(pfd.revents & POLLIN))
        break;
    }
  return NULL;
}

void
fuzz_serve (const guint8 *data, size_t size)
{
  init_once ();
  int sv[2];
  g_assert (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  static int trace = -1;
  if (trace < 0)
    trace = g_getenv ("FUZZ_TRACE") != NULL;
  Feeder f = { .fd = sv[1], .data = data, .size = size, .trace = g_byte_array_new () };
  GThread *th = g_thread_new ("feeder", feeder, &f);

  gboolean changes_drive = FALSE;
  scan_input (data, size, &changes_drive);
  if (in_namespace)
    {
      while (umount2 (config.sysroot, UMOUNT_NOFOLLOW) == 0)
        ;
      if (mount ("gdfuzz", config.sysroot, "tmpfs", MS_NOSUID | MS_NODEV,
                 "size=8m,nr_inodes=1024") < 0)
        g_error ("mount tmpfs on %s: %s", config.sysroot, g_strerror (errno));
      if (target == FUZZ_TARGET_FILES)
        make_tree (config.sysroot);
    }
  GdConnection *conn = gd_connection_new (&config, sv[0]);
  GError *error = NULL;
  gd_connection_serve (conn, &error);
  g_clear_error (&error);
  /* What the input mounted under the sysroot (the tmpfs itself is
   * replaced at the next input). */
  if (!gd_umount_all (conn, &error))
    g_error ("fuzz: umount_all: %s", error->message);
  gd_connection_free (conn);
  drive_dirty = drive_dirty || changes_drive;
  if (drive_dirty && drive_image)
    {
      restore_drive ();
      drive_dirty = FALSE;
    }

  shutdown (sv[0], SHUT_RDWR);
  g_thread_join (th);
  if (trace)
    print_trace (f.trace);
  /* Unless the input itself holds the canary's bytes (then a guest file
   * may), they must not come back. */
  if (memmem (f.trace->data, f.trace->len, canary, sizeof canary) != NULL &&
      memmem (data, size, canary, sizeof canary) == NULL)
    {
      g_printerr ("fuzz: a reply holds the content of %s, a host file outside the sysroot\n",
                  canary_path);
      abort ();
    }
  g_byte_array_free (f.trace, TRUE);
  close (sv[0]);
  close (sv[1]);
  check_fds ();
  check_host ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (!fuzz_input_is_safe (data, size))
    return -1; /* not added to the corpus */
  fuzz_serve (data, size);
  return 0;
}
