/* guestfsd: the jail of the daemon itself in host mode.
 *
 * In the appliance the daemon is the init of a virtual machine made for
 * it.  On a host it runs as root beside everything else; the handlers
 * confine every guest path, device and program, and this is the layer
 * below them: should a request get past every check, it finds nothing of
 * the host to reach.  The daemon gets
 *
 * - a PID namespace of its own, with a /proc of that namespace: no other
 *   host process is visible, signalled or traced;
 * - a network namespace with nothing in it, unless -n asked for the
 *   network (then guest commands use the host's, as they would the
 *   appliance's);
 * - a mount namespace whose root is a new tmpfs (pivot_root: the host's
 *   tree is detached), read-only, holding only
 *   - /usr and the /bin, /sbin, /lib* links (merged /usr) or directories,
 *     read-only, nosuid, nodev: the helper programs and their libraries;
 *   - /etc read-only with its secrets masked (shadow, sudoers, ssh and TLS
 *     keys, keytab, VPN and network secrets, credential stores ...).  The
 *     whole of it rather than chosen files: helpers read the loader's
 *     cache, passwd/group, mke2fs.conf, lvm.conf, the alternatives'
 *     links, localtime, magic, resolv.conf ..., and a list would break
 *     one of them silently at the next package update;
 *   - what the daemon was given, at the same host paths: the sysroot
 *     (a mount point then, which the library takes for the sysroot
 *     itself, not for a guest filesystem), the drives' image files (read-only for --drive-ro), the channel
 *     socket's directory, the TLS keys; with -n the resolver's file when
 *     /etc/resolv.conf links elsewhere; in test mode (-t) the
 *     directories of PATH (fake helper programs);
 *   - a /dev of its own: null, zero, full, random, urandom, the control
 *     nodes the handlers use when the host has them (loop-control,
 *     fuse, btrfs-control, mapper/control), a devpts instance and a
 *     /dev/shm of its own.  No tty, console, disk, memory or kernel log
 *     node of the host's.  The nodes of the daemon's loop devices and
 *     their partitions are made by the library as the kernel creates
 *     them (libguestfsd/gd-devnodes.c), told so by GD_DEVNODES_MARKER;
 *   - a /proc of the PID namespace with the kernel's own interfaces
 *     masked (kallsyms, kcore, kmsg, keys, timer_list, the kpage* files:
 *     /dev/null) and /proc/sys read-only; a new /sys, read-only, without
 *     the firmware's tables and the debug, tracing and BPF filesystems;
 *   - private /tmp, /run, /var and /var/tmp (tmpfs) and an empty /root.
 *
 * This is a boundary for paths, not for code: the daemon keeps its
 * capabilities (it mounts, makes nodes), which is why guest programs run
 * in handlers/sandbox.c and the daemon-side debug calls are refused.
 *
 * Shape: the process that was started stays outside, waits and exits
 * with the daemon's status; its child is PID 1 of the new namespace, a
 * minimal init that reaps whatever is reparented to it (helpers that
 * daemonize, FUSE servers); the init's child is the daemon, which goes
 * on from main().  Either outer process dying kills what is inside.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "gd-devnodes.h"
#include "jail.h"

static int
exit_code (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + (WIFSIGNALED (status) ? WTERMSIG (status) : 0);
}

/* Whoever stops the daemon signals the process it started, which is the
 * outer one: each level passes the signal on, so the daemon's own handlers
 * run (socket unlinked, exit status 0) instead of a SIGKILL from the
 * death of its parent. */
static volatile pid_t forward_to;

static void
forward_signal (int sig)
{
  if (forward_to > 0)
    kill (forward_to, sig);
}

/* Waits for child, passing termination signals on to it and reaping
 * anything else that ends meanwhile; never returns. */
static void G_GNUC_NORETURN
wait_and_exit (pid_t child, gboolean reap_all)
{
  static const int passed_on[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
  forward_to = child;
  struct sigaction sa = { .sa_handler = forward_signal };
  sigset_t mask;
  sigfillset (&mask);
  for (size_t i = 0; i < G_N_ELEMENTS (passed_on); i++)
    {
      sigaction (passed_on[i], &sa, NULL);
      sigdelset (&mask, passed_on[i]);
    }
  /* Nothing else may stop a level in between. */
  sigprocmask (SIG_SETMASK, &mask, NULL);
  for (;;)
    {
      int st;
      pid_t w = waitpid (reap_all ? -1 : child, &st, 0);
      if (w == child)
        _exit (exit_code (st));
      if (w < 0 && errno != EINTR)
        _exit (EXIT_FAILURE);
    }
}

static gboolean
bind_over (const char *src, const char *dst, unsigned long extra, GError **error)
{
  struct stat st;
  if (lstat (dst, &st) < 0)
    return TRUE; /* not in this kernel */
  if (mount (src, dst, NULL, MS_BIND, NULL) < 0 ||
      (extra && mount (NULL, dst, NULL, MS_BIND | MS_REMOUNT | extra, NULL) < 0))
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "jail: cannot mask %s: %s",
                   dst, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static gboolean
mask_dir (const char *dst, GError **error)
{
  struct stat st;
  if (lstat (dst, &st) < 0 || !S_ISDIR (st.st_mode))
    return TRUE;
  if (mount ("tmpfs", dst, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
             "size=4k,nr_inodes=1,mode=0555") < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "jail: cannot mask %s: %s",
                   dst, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static gboolean
jail_error (GError **error, const char *what, const char *path)
{
  int saved = errno;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "jail: %s %s: %s", what, path,
               g_strerror (saved));
  return FALSE;
}

/* ------------------------------------------------------------------------
 * The root of the jail.
 */

typedef struct
{
  int tree;   /* detached clone of the host's path (open_tree), or -1 */
  char *path; /* where it goes in the jail: its host path */
  gboolean is_dir;
  gboolean is_link; /* a symlink of the host's (/bin -> usr/bin): copied */
  char *link;
  gboolean blk; /* a block device given as a drive: a node of its own */
  dev_t rdev;
} Place;

static void
place_free (gpointer p)
{
  Place *pl = p;
  if (pl->tree >= 0)
    close (pl->tree);
  g_free (pl->path);
  g_free (pl->link);
  g_free (pl);
}

/* A detached clone of the host's path, with attrs set on every mount in
 * it; NULL (and no error) if the host has no such path and optional. */
static gboolean
clone_path (GPtrArray *places, const char *path, unsigned int attrs, gboolean optional,
            GError **error)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    {
      if (optional && errno == ENOENT)
        return TRUE;
      return jail_error (error, "cannot find", path);
    }
  Place *pl = g_new0 (Place, 1);
  pl->tree = -1;
  pl->path = g_strdup (path);
  pl->is_dir = S_ISDIR (st.st_mode);
  if (S_ISLNK (st.st_mode))
    {
      pl->is_link = TRUE;
      pl->link = g_file_read_link (path, NULL);
      if (pl->link == NULL)
        {
          place_free (pl);
          return jail_error (error, "cannot read", path);
        }
    }
  else if (S_ISBLK (st.st_mode))
    {
      pl->blk = TRUE;
      pl->rdev = st.st_rdev;
    }
  else
    {
      pl->tree = open_tree (AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
      struct mount_attr attr = { .attr_set = attrs };
      if (pl->tree < 0 || (attrs && mount_setattr (pl->tree, "", AT_EMPTY_PATH | AT_RECURSIVE,
                                                   &attr, sizeof attr) < 0))
        {
          int saved = errno;
          place_free (pl);
          errno = saved;
          return jail_error (error, "cannot bind", path);
        }
    }
  g_ptr_array_add (places, pl);
  return TRUE;
}

/* mkdir -p of path's parents in the jail. */
static gboolean
make_parents (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0755) < 0)
    return jail_error (error, "cannot make", dir);
  return TRUE;
}

static gboolean
put (Place *pl, GError **error)
{
  if (!make_parents (pl->path, error))
    return FALSE;
  struct stat st;
  gboolean exists = lstat (pl->path, &st) == 0;
  if (pl->is_link)
    return exists || symlink (pl->link, pl->path) == 0 ||
           jail_error (error, "cannot make the link", pl->path);
  if (pl->blk)
    return (exists && S_ISBLK (st.st_mode) && st.st_rdev == pl->rdev) ||
           mknod (pl->path, S_IFBLK | 0600, pl->rdev) == 0 ||
           jail_error (error, "cannot make the node", pl->path);
  if (!exists)
    {
      int r = pl->is_dir ? mkdir (pl->path, 0755) : mknod (pl->path, S_IFREG | 0600, 0);
      if (r < 0)
        return jail_error (error, "cannot make", pl->path);
    }
  if (move_mount (pl->tree, "", AT_FDCWD, pl->path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return jail_error (error, "cannot bind", pl->path);
  close (pl->tree);
  pl->tree = -1;
  return TRUE;
}

static gboolean
mount_fs (const char *type, const char *path, unsigned long flags, const char *opts, GError **error)
{
  if (mkdir (path, 0755) < 0 && errno != EEXIST)
    return jail_error (error, "cannot make", path);
  if (mount (type, path, type, flags, opts) < 0)
    return jail_error (error, "cannot mount", path);
  return TRUE;
}

/* The character devices of the jail's /dev: the harmless ones, and what
 * the handlers open (loop-control for the drives and mount_loop, fuse
 * for the FUSE filesystems, btrfs-control for multi-device btrfs,
 * device-mapper's control for LVM and LUKS).  Numbers as the host's. */
typedef struct
{
  const char *name;
  gboolean optional;
  dev_t rdev;
} CharDev;

static CharDev char_devs[] = {
  { "null", FALSE, 0 },   { "zero", FALSE, 0 },         { "full", FALSE, 0 },
  { "random", FALSE, 0 }, { "urandom", FALSE, 0 },      { "loop-control", TRUE, 0 },
  { "fuse", TRUE, 0 },    { "btrfs-control", TRUE, 0 }, { "mapper/control", TRUE, 0 },
};

static void
find_char_devs (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (char_devs); i++)
    {
      g_autofree char *host = g_strconcat ("/dev/", char_devs[i].name, NULL);
      struct stat st;
      char_devs[i].rdev = stat (host, &st) == 0 && S_ISCHR (st.st_mode) ? st.st_rdev : 0;
    }
}

static gboolean
make_dev (GError **error)
{
  if (!mount_fs ("tmpfs", "/dev", MS_NOSUID | MS_NOEXEC, "mode=0755,size=1m,nr_inodes=4096", error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (char_devs); i++)
    {
      if (char_devs[i].rdev == 0)
        {
          if (char_devs[i].optional)
            continue;
          errno = ENODEV;
          return jail_error (error, "the host has no", char_devs[i].name);
        }
      g_autofree char *node = g_strconcat ("/dev/", char_devs[i].name, NULL);
      if (!make_parents (node, error))
        return FALSE;
      if (mknod (node, S_IFCHR | 0666, char_devs[i].rdev) < 0 || chmod (node, 0666) < 0)
        return jail_error (error, "cannot make", node);
    }
  static const char *const links[][2] = {
    { "pts/ptmx", "/dev/ptmx" },          { "/proc/self/fd", "/dev/fd" },
    { "/proc/self/fd/0", "/dev/stdin" },  { "/proc/self/fd/1", "/dev/stdout" },
    { "/proc/self/fd/2", "/dev/stderr" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (links); i++)
    if (symlink (links[i][0], links[i][1]) < 0)
      return jail_error (error, "cannot make", links[i][1]);
  if (!mount_fs ("devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
                 "newinstance,ptmxmode=0666,mode=0620,gid=5", error) ||
      !mount_fs ("tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                 "mode=1777,size=65536k,nr_inodes=4096", error))
    return FALSE;
  /* Tells the library that it makes the nodes of its devices here. */
  if (mknod (GD_DEVNODES_MARKER, S_IFREG | 0444, 0) < 0)
    return jail_error (error, "cannot make", GD_DEVNODES_MARKER);
  return TRUE;
}

/* Builds the jail's root on a new tmpfs and moves into it (pivot_root);
 * the host's tree is then out of reach. */
static gboolean
make_root (const GuestfsdJail *jail, GError **error)
{
  /* The system, read-only: programs, libraries and their data in /usr
   * and the links or directories of a merged or non-merged /usr; /etc
   * whole (the helpers read many files there), with the private files
   * masked below. */
  static const char *const system_dirs[] = {
    "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"
  };
  const unsigned int ro = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  g_autoptr (GPtrArray) places = g_ptr_array_new_with_free_func (place_free);
  if (!clone_path (places, "/usr", ro, FALSE, error) ||
      !clone_path (places, "/etc", ro, FALSE, error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (system_dirs); i++)
    if (!clone_path (places, system_dirs[i], ro, TRUE, error))
      return FALSE;
  guint system_places = places->len;
  /* What the daemon was given, at the same paths: the sysroot, the
   * drives, the channel's directory, the TLS keys. */
  if (jail->sysroot != NULL)
    {
      if (strcmp (jail->sysroot, "/") == 0)
        {
          errno = EINVAL;
          return jail_error (error, "cannot serve the host's root as a sysroot", "/");
        }
      /* The sysroot itself, nothing beside it: the library takes the
       * mount found on the sysroot when a client comes for the sysroot,
       * not for a guest filesystem (gd_mounts_list). */
      if (!clone_path (places, jail->sysroot, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, FALSE, error))
        return FALSE;
    }
  for (const char *const *d = jail->drives; d && *d; d++)
    if (!clone_path (places, *d, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, TRUE,
                     error))
      return FALSE;
  for (const char *const *d = jail->drives_ro; d && *d; d++)
    if (!clone_path (places, *d, ro | MOUNT_ATTR_NOEXEC, TRUE, error))
      return FALSE;
  for (const char *const *d = jail->writable; d && *d; d++)
    if (!clone_path (places, *d, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, TRUE,
                     error))
      return FALSE;
  for (const char *const *d = jail->readable; d && *d; d++)
    if (!clone_path (places, *d, ro, TRUE, error))
      return FALSE;
  /* With the network: the resolver's file, when /etc/resolv.conf links
   * out of /etc (systemd-resolved's, in /run). */
  g_autofree char *resolv = jail->network ? realpath ("/etc/resolv.conf", NULL) : NULL;
  if (resolv != NULL && !g_str_has_prefix (resolv, "/etc/") &&
      !g_str_has_prefix (resolv, "/usr/") &&
      !clone_path (places, resolv, ro | MOUNT_ATTR_NOEXEC, TRUE, error))
    return FALSE;
  find_char_devs ();

  /* The new root, moved into: the host's tree is detached. */
  if (mount ("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m,nr_inodes=4096") <
      0)
    return jail_error (error, "cannot mount the root", "tmpfs");
  if (chdir ("/tmp") < 0 || syscall (SYS_pivot_root, ".", ".") < 0 ||
      umount2 (".", MNT_DETACH) < 0 || chdir ("/") < 0)
    return jail_error (error, "cannot move into the root", "(pivot_root)");

  for (guint i = 0; i < system_places; i++)
    if (!put (places->pdata[i], error))
      return FALSE;
  if (!mount_fs ("tmpfs", "/tmp", MS_NOSUID | MS_NODEV, "mode=1777", error) ||
      !mount_fs ("tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=0755,size=16m", error) ||
      !make_dev (error))
    return FALSE;
  /* /var of its own, writable: helpers keep state there (btrfs scrub's
   * status in /var/lib/btrfs), gone with the jail. */
  if (!mount_fs ("tmpfs", "/var", MS_NOSUID | MS_NODEV, "mode=0755,size=16m", error))
    return FALSE;
  if (mkdir ("/var/lib", 0755) < 0 || mkdir ("/var/cache", 0755) < 0 ||
      mkdir ("/var/tmp", 01777) < 0 || symlink ("../run", "/var/run") < 0 ||
      symlink ("../run/lock", "/var/lock") < 0 || mkdir ("/run/lock", 01777) < 0 ||
      mkdir ("/root", 0700) < 0 || mkdir ("/proc", 0555) < 0 || mkdir ("/sys", 0555) < 0)
    return jail_error (error, "cannot make", "the root's directories");
  /* /var/tmp is a directory of its own, not a link to /tmp: the sysroot
   * and drives the caller keeps in its /var/tmp must be at the same path
   * in here, or the daemon would not know its sysroot's mount. */
  if (!mount_fs ("tmpfs", "/var/tmp", MS_NOSUID | MS_NODEV, "mode=1777", error))
    return FALSE;
  for (guint i = system_places; i < places->len; i++)
    if (!put (places->pdata[i], error))
      return FALSE;
  /* The default sysroot of host mode without --sysroot. */
  if (jail->sysroot == NULL && mkdir ("/sysroot", 0755) < 0)
    return jail_error (error, "cannot make", "/sysroot");
  return TRUE;
}

/* In the new namespaces, before the daemon starts. */
static gboolean
set_up (const GuestfsdJail *jail, GError **error)
{
  /* What /etc keeps that no helper needs: secrets. */
  static const char *const private_dirs[] = {
    "/etc/ssh",
    "/etc/ssl/private",
    "/etc/NetworkManager/system-connections",
    "/etc/wireguard",
    "/etc/ppp",
    "/etc/sudoers.d",
    "/etc/credstore",
    "/etc/credstore.encrypted",
    "/etc/libvirt",
    "/etc/docker",
    "/etc/containers",
  };
  static const char *const private_files[] = {
    "/etc/shadow",  "/etc/gshadow",     "/etc/shadow-",          "/etc/gshadow-",
    "/etc/sudoers", "/etc/krb5.keytab", "/etc/security/opasswd",
  };
  static const char *const masked_files[] = {
    "/proc/kallsyms",    "/proc/kcore",         "/proc/kmsg",        "/proc/keys",
    "/proc/timer_list",  "/proc/sched_debug",   "/proc/kpagecount",  "/proc/kpageflags",
    "/proc/kpagecgroup", "/proc/latency_stats", "/proc/timer_stats", "/proc/vmallocinfo",
  };
  static const char *const read_only[] = { "/proc/sys", "/proc/sysrq-trigger" };
  static const char *const masked_dirs[] = {
    "/sys/firmware",        "/sys/kernel/debug", "/sys/kernel/tracing", "/sys/fs/bpf",
    "/sys/kernel/security", "/sys/fs/pstore",    "/sys/kernel/config",
  };
  if (!make_root (jail, error))
    return FALSE;
  if (mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    return jail_error (error, "cannot mount", "/proc of the daemon's PID namespace");
  if (mount ("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    return jail_error (error, "cannot mount", "/sys");
  for (gsize i = 0; i < G_N_ELEMENTS (masked_files); i++)
    if (!bind_over ("/dev/null", masked_files[i], 0, error))
      return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (read_only); i++)
    if (!bind_over (read_only[i], read_only[i], MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    error))
      return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (masked_dirs); i++)
    if (!mask_dir (masked_dirs[i], error))
      return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (private_dirs); i++)
    if (!mask_dir (private_dirs[i], error))
      return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (private_files); i++)
    if (!bind_over ("/dev/null", private_files[i], 0, error))
      return FALSE;
  /* The caller's TMPDIR is not in the jail: its own /tmp is private. */
  if (g_getenv ("TMPDIR") != NULL)
    g_setenv ("TMPDIR", "/tmp", TRUE);
  /* Nothing is written on the root itself. */
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  if (mount_setattr (AT_FDCWD, "/", 0, &attr, sizeof attr) < 0)
    return jail_error (error, "cannot make read-only", "/");
  return TRUE;
}

/* Root's powers that act on the whole machine, not on the drives: the
 * daemon and everything it runs lose them for good (bounding set, then
 * the process's own sets), so a request that got past every check still
 * cannot load a module, read the kernel log, set the clock, change the
 * LSM's policy or do raw port or memory I/O.  CAP_NET_ADMIN goes too when
 * the daemon shares the host's network (-n); in a network namespace of
 * its own it only reaches that namespace (guest commands bring up lo in
 * theirs). */
static const cap_value_t
    host_wide_caps[] = {
      CAP_SYS_MODULE,
      CAP_SYS_RAWIO,
      CAP_SYS_BOOT,
      CAP_SYS_TIME,
      CAP_SYSLOG,
      CAP_WAKE_ALARM,
      CAP_MAC_ADMIN,
      CAP_MAC_OVERRIDE,
      CAP_AUDIT_CONTROL,
      CAP_AUDIT_READ,
      CAP_AUDIT_WRITE,
      CAP_SYS_PACCT,
      CAP_SYS_TTY_CONFIG,
      CAP_BPF,
      CAP_PERFMON,
      CAP_BLOCK_SUSPEND,
      CAP_CHECKPOINT_RESTORE,
      CAP_NET_ADMIN, /* keep last: dropped only with the host's network */
    };

static gboolean
drop_host_wide_caps (gboolean network, GError **error)
{
  gsize n = G_N_ELEMENTS (host_wide_caps) - (network ? 0 : 1);
  for (gsize i = 0; i < n; i++)
    if (CAP_IS_SUPPORTED (host_wide_caps[i]) &&
        prctl (PR_CAPBSET_DROP, host_wide_caps[i], 0, 0, 0) < 0)
      return jail_error (error, "cannot drop from the bounding set", "a host-wide capability");
  cap_t caps = cap_get_proc ();
  if (caps == NULL)
    return jail_error (error, "cannot read", "the capabilities");
  static const cap_flag_t sets[] = { CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE };
  gboolean ok = TRUE;
  for (gsize s = 0; s < G_N_ELEMENTS (sets) && ok; s++)
    ok = cap_set_flag (caps, sets[s], (int) n, host_wide_caps, CAP_CLEAR) == 0;
  if (ok)
    ok = cap_set_proc (caps) == 0;
  int saved = errno;
  cap_free (caps);
  errno = saved;
  return ok ? TRUE : jail_error (error, "cannot drop", "the host-wide capabilities");
}

/* Forks; the parent becomes a waiter named waiter_name that holds none
 * of the daemon's fds (the channel must see the daemon go away) and
 * exits with the child's status; the child, which dies with it, returns
 * TRUE. */
static gboolean
fork_below_waiter (const char *waiter_name, gboolean reap_all, GError **error)
{
  pid_t pid = fork ();
  if (pid < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "jail: fork: %s",
                   g_strerror (saved));
      return FALSE;
    }
  if (pid > 0)
    {
      prctl (PR_SET_NAME, waiter_name, 0, 0, 0);
      close_range (3, ~0U, 0);
      /* wait_and_exit replaces every handler of the daemon's it
       * inherited and blocks all other signals. */
      wait_and_exit (pid, reap_all);
    }
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  return TRUE;
}

/* Canonical copies of paths, before anything is hidden. */
static char **
canonical (const char *const *paths, gboolean parent)
{
  GPtrArray *out = g_ptr_array_new ();
  for (const char *const *p = paths; p && *p; p++)
    {
      g_autofree char *path = parent ? g_path_get_dirname (*p) : g_strdup (*p);
      char *real = realpath (path, NULL);
      if (real != NULL || !parent)
        g_ptr_array_add (out, real ? real : g_strdup (path));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

gboolean
guestfsd_enter_host_jail (const GuestfsdJail *given, GError **error)
{
  g_autofree char *sysroot = given->sysroot ? realpath (given->sysroot, NULL) : NULL;
  if (given->sysroot != NULL && sysroot == NULL)
    return jail_error (error, "cannot find the sysroot", given->sysroot);
  g_auto (GStrv) drives = canonical (given->drives, FALSE);
  g_auto (GStrv) drives_ro = canonical (given->drives_ro, FALSE);
  g_auto (GStrv) writable = canonical (given->writable, TRUE);
  g_auto (GStrv) readable = canonical (given->readable, FALSE);
  const GuestfsdJail jail = {
    .network = given->network,
    .sysroot = sysroot,
    .drives = (const char *const *) drives,
    .drives_ro = (const char *const *) drives_ro,
    .writable = (const char *const *) writable,
    .readable = (const char *const *) readable,
  };
  int flags = CLONE_NEWNS | CLONE_NEWPID | (jail.network ? 0 : CLONE_NEWNET);
  if (unshare (flags) < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "jail: cannot make the daemon's namespaces (unshare): %s", g_strerror (saved));
      return FALSE;
    }
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "jail: cannot make the mounts private: %s", g_strerror (saved));
      return FALSE;
    }
  fflush (NULL);
  /* Outside: waits for PID 1 of the daemon's namespace. */
  if (!fork_below_waiter ("guestfsd-jail", FALSE, error))
    return FALSE;
  /* PID 1: sets the jail up, then reaps whatever is reparented to it
   * while the daemon goes on in its child. */
  if (!set_up (&jail, error) || !drop_host_wide_caps (jail.network, error))
    return FALSE;
  return fork_below_waiter ("guestfsd-init", TRUE, error);
}
