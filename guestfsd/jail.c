/* guestfsd: the jail of the daemon itself in host mode.
 *
 * In the appliance the daemon is the init of a virtual machine made for
 * it.  On a host it runs as root beside everything else; the handlers
 * confine every guest path, device and program, and this is the layer
 * below them: should a request get past every check, what it reaches is
 *
 * - a PID namespace of the daemon's own, with a /proc of that namespace:
 *   no other host process is visible, signalled or traced, and their
 *   command lines, environments and fds are not there to read;
 * - that /proc with the kernel's own interfaces masked (kallsyms, kcore,
 *   kmsg, keys, timer_list, sched_debug, the kpage* files: /dev/null) and
 *   the system-wide knobs read-only (/proc/sys, sysrq-trigger), and /sys
 *   without the firmware's tables and the kernel's debug, tracing and
 *   BPF filesystems;
 * - a network namespace with nothing in it, unless -n asked for the
 *   network (then guest commands use the host's network, as they would
 *   the appliance's);
 * - a private mount namespace, so none of this, and no guest mount, is
 *   seen outside.
 *
 * - the host's private data masked: homes, /root, /var/tmp, /srv, /mnt,
 *   /media, ssh keys, shadow passwords, users' runtime directories,
 *   container and VM storage, /dev/mem, /dev/kmsg ... (an empty read-only
 *   tmpfs or /dev/null), except where the sysroot or a drive is.
 *
 * - the host's system read-only: the root filesystem and /usr, /etc,
 *   /boot ... when they are mounts of their own; writable are /tmp, the
 *   sysroot and the drives (bound over themselves), /run and /dev.
 *
 * The daemon keeps the rest of the host's tree visible (helper programs,
 * /etc) and /dev (its loop devices and their partitions appear there as
 * udev makes them); a root of its own is left for later (see
 * man/guestfsd.8, Host mode boundary).
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

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

/* Whether path is dir, below it, or above it. */
static gboolean
related (const char *dir, const char *path)
{
  gsize n = strlen (dir), m = strlen (path);
  if (m >= n)
    return strncmp (dir, path, n) == 0 && (path[n] == '/' || path[n] == '\0');
  return strncmp (dir, path, m) == 0 && (dir[m] == '/' || m == 1);
}

static gboolean
keeps (const char *dir, const char *const *keep)
{
  for (; keep && *keep; keep++)
    if (related (dir, *keep))
      return TRUE;
  return FALSE;
}

/* Whether path is the root of a mount. */
static gboolean
is_mount_root (const char *path)
{
  struct statx stx;
  return statx (AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0 &&
         (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static gboolean
jail_error (GError **error, const char *what, const char *path)
{
  int saved = errno;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "jail: %s %s: %s", what, path,
               g_strerror (saved));
  return FALSE;
}

/* The host's system read-only for the daemon: the root filesystem's mount
 * and the system's own separate mounts (/usr, /etc, /boot ...), not
 * recursively (/proc, /sys, /dev, /run and /tmp keep their own flags).
 * What the daemon writes on them (/tmp, the sysroot, the drives) gets a
 * writable bind mount of its own first. */
static gboolean
read_only_system (const char *const *keep, GError **error)
{
  static const char *const system_mounts[] = {
    "/", "/usr", "/etc", "/boot", "/boot/efi", "/var", "/opt", "/srv", "/home", "/root",
  };
  /* The sysroot itself must not become a mount point (the daemon would
   * see a filesystem mounted there): its parent is bound instead. */
  for (const char *const *k = keep; k && *k; k++)
    if (strcmp (*k, "/") == 0)
      return TRUE; /* the sysroot is "/": nothing to protect */
  g_autoptr (GPtrArray) writable = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (writable, g_strdup ("/tmp"));
  for (const char *const *k = keep; k && *k; k++)
    {
      struct stat st;
      if ((related ("/tmp", *k) && strcmp (*k, "/") != 0) || lstat (*k, &st) < 0)
        continue;
      g_ptr_array_add (writable, S_ISDIR (st.st_mode) ? g_path_get_dirname (*k) : g_strdup (*k));
    }
  for (guint i = 0; i < writable->len; i++)
    {
      const char *w = writable->pdata[i];
      struct stat st;
      if (strcmp (w, "/") == 0 || lstat (w, &st) < 0 || is_mount_root (w))
        continue;
      if (mount (w, w, NULL, MS_BIND | MS_REC, NULL) < 0)
        return jail_error (error, "cannot keep writable", w);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (system_mounts); i++)
    {
      const char *m = system_mounts[i];
      if (!is_mount_root (m))
        continue;
      struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr (AT_FDCWD, m, 0, &ro, sizeof ro) < 0)
        return jail_error (error, "cannot make read-only", m);
    }
  return TRUE;
}

/* In the new namespaces, before the daemon starts.  keep: host paths the
 * daemon was given (the sysroot, the drives), canonical. */
static gboolean
set_up (const char *const *keep, GError **error)
{
  /* The host's private data, which no handler needs: users' homes,
   * secrets, other programs' temporary files and sockets.  Not where the
   * daemon's own sysroot or drives are. */
  static const char *const private_dirs[] = {
    "/home",
    "/root",
    "/srv",
    "/mnt",
    "/media",
    "/var/tmp",
    "/etc/ssh",
    "/run/user",
    "/var/lib/docker",
    "/var/lib/containers",
    "/var/lib/libvirt",
    "/var/spool",
    "/var/mail",
  };
  static const char *const private_files[] = {
    "/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/sudoers",
    "/dev/mem",    "/dev/kmem",    "/dev/port",    "/dev/kmsg",
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
  if (mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "jail: cannot mount /proc of the daemon's PID namespace: %s",
                   g_strerror (saved));
      return FALSE;
    }
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
    if (!keeps (private_dirs[i], keep) && !mask_dir (private_dirs[i], error))
      return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (private_files); i++)
    if (!keeps (private_files[i], keep) && !bind_over ("/dev/null", private_files[i], 0, error))
      return FALSE;
  return read_only_system (keep, error);
}

static pid_t
jail_fork (GError **error)
{
  pid_t pid = fork ();
  if (pid < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "jail: fork: %s",
                   g_strerror (saved));
    }
  return pid;
}

gboolean
guestfsd_enter_host_jail (gboolean network, const char *const *keep_paths, GError **error)
{
  /* Canonical, before anything is masked. */
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  for (const char *const *p = keep_paths; p && *p; p++)
    {
      char *real = realpath (*p, NULL);
      g_ptr_array_add (keep, real ? real : g_strdup (*p));
    }
  g_ptr_array_add (keep, NULL);
  int flags = CLONE_NEWNS | CLONE_NEWPID | (network ? 0 : CLONE_NEWNET);
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
  pid_t init = jail_fork (error);
  if (init < 0)
    return FALSE;
  if (init > 0)
    {
      /* Outside: holds nothing of the daemon's (the channel must see the
       * daemon go away), waits. */
      prctl (PR_SET_NAME, "guestfsd-jail", 0, 0, 0);
      close_range (3, ~0U, 0);
      signal (SIGPIPE, SIG_DFL);
      wait_and_exit (init, FALSE);
    }

  /* PID 1 of the daemon's namespace. */
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (!set_up ((const char *const *) keep->pdata, error))
    return FALSE;
  pid_t daemon = jail_fork (error);
  if (daemon < 0)
    return FALSE;
  if (daemon > 0)
    {
      prctl (PR_SET_NAME, "guestfsd-init", 0, 0, 0);
      close_range (3, ~0U, 0);
      /* wait_and_exit replaces every handler of the daemon's it
       * inherited and blocks all other signals. */
      wait_and_exit (daemon, TRUE);
    }
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  return TRUE;
}
