/* libguestfsd handlers: running the guest's own commands.
 *
 * The program runs chrooted into the sysroot, with the daemon's /dev,
 * /dev/pts, /proc, /sys (and selinuxfs when the system has one) bound
 * over the guest's directories of those names for the duration, and, when
 * the network is enabled, the daemon's /etc/resolv.conf in place of the
 * guest's.  Everything is undone afterwards, whatever happened.
 *
 * Each bind mount is a detached clone (open_tree) attached onto a
 * directory fd resolved inside the guest (move_mount), so a guest whose
 * /dev is a symlink to somewhere odd can only redirect it inside itself;
 * the clone's fd then names exactly that mount for the unmount.
 *
 * That is appliance mode, where the virtual machine is the sandbox.  In
 * host mode the program runs in a sandbox of its own instead (sandbox.c):
 * new namespaces with the guest's tree as the root and a /dev, /proc and
 * /sys of its own, few capabilities and a seccomp filter, so that a
 * hostile guest program running as root cannot reach the host.  Nothing
 * is then bound in the daemon's namespace.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"
#include "gd-actions.h"
#include "gd-private.h"
#include "sandbox.h"

#define SELINUX_MAGIC 0xf97cff8c

typedef struct
{
  int tree; /* fd of the attached mount's root */
  char *target;
} Bind;

static void
bind_free (gpointer p)
{
  Bind *b = p;
  g_free (b->target);
  g_free (b);
}

/* Binds the daemon's src over the guest's directory target, if both are
 * there; quietly does nothing otherwise (a guest without /sys is fine). */
static void
bind_one (GdRequest *req, GPtrArray *binds, const char *src, const char *target)
{
  /* Only a real directory of that name, never the guest's root. */
  int dir = gd_open (req, target, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, NULL);
  if (dir < 0)
    return;
  struct stat st, root;
  int rootfd = gd_open (req, "/", O_PATH | O_DIRECTORY, 0, NULL);
  gboolean is_root = rootfd < 0 || fstat (rootfd, &root) < 0 || fstat (dir, &st) < 0 ||
                     (st.st_dev == root.st_dev && st.st_ino == root.st_ino);
  if (rootfd >= 0)
    close (rootfd);
  if (is_root)
    {
      close (dir);
      return;
    }
  int tree = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    {
      gd_log (gd_request_connection (req), "open_tree %s: %s", src, g_strerror (errno));
      close (dir);
      return;
    }
  if (move_mount (tree, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    {
      gd_log (gd_request_connection (req), "bind %s on %s: %s", src, target, g_strerror (errno));
      close (tree);
      close (dir);
      return;
    }
  close (dir);
  Bind *b = g_new0 (Bind, 1);
  b->tree = tree;
  b->target = g_strdup (target);
  g_ptr_array_add (binds, b);
}

static gboolean
is_selinuxfs (const char *path)
{
  struct statfs sfs;
  return statfs (path, &sfs) == 0 && (unsigned long) sfs.f_type == SELINUX_MAGIC;
}

static GPtrArray *
bind_all (GdRequest *req)
{
  GPtrArray *binds = g_ptr_array_new_with_free_func (bind_free);
  bind_one (req, binds, "/dev", "/dev");
  bind_one (req, binds, "/dev/pts", "/dev/pts");
  bind_one (req, binds, "/proc", "/proc");
  bind_one (req, binds, "/sys", "/sys");
  if (is_selinuxfs ("/sys/fs/selinux"))
    {
      bind_one (req, binds, "/sys/fs/selinux", "/sys/fs/selinux");
      /* Where old guests look for it. */
      bind_one (req, binds, "/sys/fs/selinux", "/selinux");
    }
  return binds;
}

static void
unbind_all (GdRequest *req, GPtrArray *binds)
{
  for (guint i = binds->len; i-- > 0;)
    {
      Bind *b = g_ptr_array_index (binds, i);
      g_autofree char *self = gd_fd_path (b->tree);
      /* A process the command left behind may still use it: detach. */
      if (umount2 (self, 0) < 0 && umount2 (self, MNT_DETACH) < 0)
        gd_log (gd_request_connection (req), "umount %s: %s", b->target, g_strerror (errno));
      close (b->tree);
    }
  g_ptr_array_unref (binds);
}

typedef struct
{
  int etc;      /* the guest's /etc, or -1 when nothing was changed */
  char *backup; /* the guest's own resolv.conf, renamed, or NULL */
} Resolv;

static void
resolv_replace (GdRequest *req, Resolv *rs)
{
  rs->etc = -1;
  rs->backup = NULL;
  g_autofree char *ours = NULL;
  gsize len;
  if (!g_file_get_contents ("/etc/resolv.conf", &ours, &len, NULL))
    return;
  int etc = gd_open (req, "/etc", O_PATH | O_DIRECTORY, 0, NULL);
  if (etc < 0)
    return;
  struct stat st;
  if (fstatat (etc, "resolv.conf", &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      g_autofree char *backup = g_strdup_printf ("resolv.conf.guestfsd.%08x", g_random_int ());
      if (renameat (etc, "resolv.conf", etc, backup) < 0)
        {
          close (etc);
          return;
        }
      rs->backup = g_steal_pointer (&backup);
    }
  rs->etc = etc;
  int fd = openat (etc, "resolv.conf", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd >= 0)
    {
      if (write (fd, ours, len) != (ssize_t) len)
        gd_log (gd_request_connection (req), "writing the guest's resolv.conf failed");
      close (fd);
    }
}

static void
resolv_restore (GdRequest *req, Resolv *rs)
{
  if (rs->etc < 0)
    return;
  unlinkat (rs->etc, "resolv.conf", 0);
  if (rs->backup && renameat (rs->etc, rs->backup, rs->etc, "resolv.conf") < 0)
    gd_log (gd_request_connection (req), "restoring the guest's resolv.conf: %s",
            g_strerror (errno));
  close (rs->etc);
  g_free (rs->backup);
}

/* The guest's program, chrooted, with its stdout kept up to the protocol's
 * limit (more kills it: E2BIG) and the first 64 KiB of its stderr. */
static gboolean
run_chrooted (GdRequest *req, const char *const *argv, char **out, char **err, int *status,
              GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  if (gd_conn_verbose (conn))
    {
      g_autofree char *cmd = g_strjoinv (" ", (char **) argv);
      gd_log (conn, "run in the guest%s: %s", gd_conn_host_mode (conn) ? " (sandboxed)" : "", cmd);
    }
  int o[2], e[2];
  if (!gdc_pipe (o, error))
    return FALSE;
  if (!gdc_pipe (e, error))
    {
      close (o[0]);
      close (o[1]);
      return FALSE;
    }
  int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  const char *sysroot = gd_conn_sysroot (conn);
  mode_t mask = gd_conn_umask (conn);
  gboolean sandboxed = gd_conn_host_mode (conn);
  GdSandbox sb = { .pid = -1, .report = -1 };
  pid_t pid;
  if (sandboxed)
    {
      if (null < 0)
        {
          gd_perror (error, "/dev/null");
          close (o[0]);
          close (o[1]);
          close (e[0]);
          close (e[1]);
          return FALSE;
        }
      GError *serr = NULL;
      if (gd_sandbox_spawn (req, argv, null, o[1], e[1], &sb, &serr))
        pid = sb.pid;
      else
        {
          pid = -1;
          g_propagate_error (error, serr);
        }
    }
  else
    pid = fork ();
  if (pid == 0)
    {
      /* Only async-signal-safe calls until exec. */
      signal (SIGPIPE, SIG_DFL);
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      dup2 (null, 0);
      dup2 (o[1], 1);
      dup2 (e[1], 2);
      umask (mask);
      if (chroot (sysroot) < 0 || chdir ("/") < 0)
        _exit (126);
      execvp (argv[0], (char *const *) argv);
      _exit (errno == ENOENT ? 127 : 126);
    }
  int saved = errno;
  close (o[1]);
  close (e[1]);
  if (null >= 0)
    close (null);
  if (pid < 0)
    {
      close (o[0]);
      close (e[0]);
      errno = saved;
      if (!sandboxed)
        gd_perror (error, "fork");
      return FALSE;
    }
  g_autoptr (GString) obuf = g_string_new (NULL);
  g_autoptr (GString) ebuf = g_string_new (NULL);
  gboolean too_big = FALSE;
  int fds[2] = { o[0], e[0] };
  while (!too_big && (fds[0] >= 0 || fds[1] >= 0))
    {
      struct pollfd pfd[2] = { { .fd = fds[0], .events = POLLIN },
                               { .fd = fds[1], .events = POLLIN } };
      if (poll (pfd, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      for (int i = 0; i < 2; i++)
        {
          if (fds[i] < 0 || pfd[i].revents == 0)
            continue;
          char tmp[65536];
          ssize_t n = read (fds[i], tmp, sizeof tmp);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              close (fds[i]);
              fds[i] = -1;
              continue;
            }
          if (i == 0 && obuf->len + n > GDC_MAX_RESULT)
            too_big = TRUE;
          else if (i == 0)
            g_string_append_len (obuf, tmp, n);
          else if (ebuf->len < 65536)
            g_string_append_len (ebuf, tmp, MIN ((size_t) n, 65536 - ebuf->len));
        }
    }
  for (int i = 0; i < 2; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  if (too_big)
    kill (pid, SIGKILL); /* in the sandbox: its init, and so everything */
  int st = 0;
  if (sandboxed)
    {
      if (!gd_sandbox_wait (&sb, &st, too_big ? NULL : error) && !too_big)
        return FALSE;
    }
  else
    while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
      ;
  if (too_big)
    {
      gd_error_errno (error, E2BIG, "%s: the output is larger than the protocol allows", argv[0]);
      return FALSE;
    }
  if (WIFSIGNALED (st))
    {
      gd_error (error, "%s: killed by signal %d (%s)", argv[0], WTERMSIG (st),
                g_strsignal (WTERMSIG (st)));
      return FALSE;
    }
  *status = WEXITSTATUS (st);
  *out = g_string_free (g_steal_pointer (&obuf), FALSE);
  *err = g_string_free (g_steal_pointer (&ebuf), FALSE);
  return TRUE;
}

static gboolean
run_in_guest (GdRequest *req, const char *const *argv, char **ret, GError **error)
{
  if (!gd_check_root_mounted (req, error))
    return FALSE;
  if (argv[0] == NULL)
    {
      gd_error_errno (error, EINVAL, "passed an empty list");
      return FALSE;
    }
  /* The sandbox of host mode mounts its own, in its own namespace. */
  gboolean host = gd_conn_host_mode (gd_request_connection (req));
  GPtrArray *binds = host ? NULL : bind_all (req);
  Resolv rs = { .etc = -1 };
  if (gd_conn_network (gd_request_connection (req)))
    resolv_replace (req, &rs);

  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  gboolean ok = run_chrooted (req, argv, &out, &err, &status, error);

  resolv_restore (req, &rs);
  if (binds)
    unbind_all (req, binds);
  if (!ok)
    return FALSE;
  if (status != 0)
    {
      /* The message is what the command said on stderr. */
      if (*gd_chomp (err))
        gd_error (error, "%s", err);
      else if (status == 127 || status == 126)
        gd_error_errno (error, status == 127 ? ENOENT : EACCES,
                        "%s: cannot run this program in the guest (exit status %d)", argv[0],
                        status);
      else
        gd_error (error, "%s: exited with status %d", argv[0], status);
      return FALSE;
    }
  *ret = g_steal_pointer (&out);
  return TRUE;
}

gboolean
gd_do_command (GdRequest *req, char *const *arguments, char **ret, GError **error)
{
  return run_in_guest (req, (const char *const *) arguments, ret, error);
}

gboolean
gd_do_command_lines (GdRequest *req, char *const *arguments, char ***ret, GError **error)
{
  g_autofree char *out = NULL;
  if (!run_in_guest (req, (const char *const *) arguments, &out, error))
    return FALSE;
  *ret = gd_split_lines (out);
  return TRUE;
}

gboolean
gd_do_sh (GdRequest *req, const char *command, char **ret, GError **error)
{
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  return run_in_guest (req, argv, ret, error);
}

gboolean
gd_do_sh_lines (GdRequest *req, const char *command, char ***ret, GError **error)
{
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  g_autofree char *out = NULL;
  if (!run_in_guest (req, argv, &out, error))
    return FALSE;
  *ret = gd_split_lines (out);
  return TRUE;
}
