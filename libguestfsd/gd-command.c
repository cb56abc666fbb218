/* libguestfsd: running helper programs, and confined child processes.
 *
 * Children are made with fork(2) because some must chroot(2) into the
 * sysroot before running our own code (so that it can only see the
 * guest).  The guest's own programs never run from here: they run in the
 * sandbox of handlers/sandbox.c (host mode) or handlers/command.c.  The parent collects
 * stdout/stderr with poll(2), feeding stdin and sending pulse progress
 * while it waits.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-engine.h"

extern char **environ;

#define DEFAULT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

static const char *
search_path (void)
{
  const char *path = g_getenv ("PATH");
  return path && *path ? path : DEFAULT_PATH;
}

/* Full path of prog on PATH, or NULL. */
static char *
find_program (const char *prog)
{
  if (strchr (prog, '/') != NULL)
    return access (prog, X_OK) == 0 ? g_strdup (prog) : NULL;
  g_auto (GStrv) dirs = g_strsplit (search_path (), ":", -1);
  for (char **d = dirs; *d; d++)
    {
      if (**d == '\0')
        continue;
      g_autofree char *full = g_build_filename (*d, prog, NULL);
      struct stat st;
      if (stat (full, &st) == 0 && S_ISREG (st.st_mode) && access (full, X_OK) == 0)
        return g_steal_pointer (&full);
    }
  return NULL;
}

gboolean
gd_prog_exists (const char *prog)
{
  /* Installed programs do not come and go while we run. */
  static GHashTable *cache;
  G_LOCK_DEFINE_STATIC (cache);
  G_LOCK (cache);
  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gpointer found;
  gboolean known = g_hash_table_lookup_extended (cache, prog, NULL, &found);
  if (!known)
    {
      g_autofree char *full = find_program (prog);
      found = GINT_TO_POINTER (full != NULL);
      g_hash_table_insert (cache, g_strdup (prog), found);
    }
  G_UNLOCK (cache);
  return GPOINTER_TO_INT (found);
}

/* The environment of children: ours, in the C locale, plus extras. */
static char **
child_environment (const char *const *extra)
{
  GPtrArray *env = g_ptr_array_new ();
  for (char **e = environ; *e; e++)
    if (!g_str_has_prefix (*e, "LC_ALL=") && !g_str_has_prefix (*e, "LANG=") &&
        !g_str_has_prefix (*e, "LANGUAGE="))
      g_ptr_array_add (env, g_strdup (*e));
  g_ptr_array_add (env, g_strdup ("LC_ALL=C"));
  if (!g_getenv ("PATH"))
    g_ptr_array_add (env, g_strdup ("PATH=" DEFAULT_PATH));
  for (; extra && *extra; extra++)
    g_ptr_array_add (env, g_strdup (*extra));
  g_ptr_array_add (env, NULL);
  return (char **) g_ptr_array_free (env, FALSE);
}

/* In the child after fork: only async-signal-safe calls until exec. */
static void
child_setup_fds (int in, int out, int err)
{
  signal (SIGPIPE, SIG_DFL);
  signal (SIGALRM, SIG_DFL);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (in != 0)
    dup2 (in, 0);
  if (out != 1)
    dup2 (out, 1);
  if (err != 2)
    dup2 (err, 2);
  for (int fd = 0; fd < 3; fd++)
    fcntl (fd, F_SETFD, 0);
  /* Everything else we own is O_CLOEXEC. */
}

static int
open_devnull (int flags)
{
  return open ("/dev/null", flags | O_CLOEXEC);
}

static void
close_if (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static void
set_nonblock (int fd)
{
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
}

/* Reads what is available from *fd into buf; closes it at EOF. */
static void
drain_fd (int *fd, GString *buf)
{
  char tmp[65536];
  for (;;)
    {
      ssize_t n = read (*fd, tmp, sizeof tmp);
      if (n > 0)
        {
          g_string_append_len (buf, tmp, n);
          continue;
        }
      if (n < 0 && (errno == EINTR))
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      close_if (fd);
      return;
    }
}

/* A failed program's message, prefixed with its name unless the program
 * already put it there ("wipefs: /dev/sda1: ..."), which would say the
 * name twice. */
static void
set_program_error (GError **error, GdConnection *conn, const char *prog, const char *raw)
{
  /* Programs name the nodes they were given (/dev/loop3p1, or the
   * appliance kernel's /dev/sdb): say the client's names instead. */
  g_autofree char *msg = gd_map_device_names (conn, raw);
  g_autofree char *base = g_path_get_basename (prog);
  size_t n = strlen (base);
  if (strncmp (msg, base, n) == 0 && msg[n] == ':')
    gd_error (error, "%s", msg);
  else
    gd_error (error, "%s: %s", prog, msg);
}

static char *
describe_status (const char *what, int status)
{
  if (WIFEXITED (status))
    return g_strdup_printf ("%s exited with status %d", what, WEXITSTATUS (status));
  if (WIFSIGNALED (status))
    return g_strdup_printf ("%s killed by signal %d (%s)", what, WTERMSIG (status),
                            g_strsignal (WTERMSIG (status)));
  return g_strdup_printf ("%s ended with status 0x%x", what, status);
}

static int
wait_for (pid_t pid)
{
  int status;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return status;
}

/* The host's file to exec for opts->argv[0], or NULL with ENOENT.  Logs the command
 * line (after how) when verbose. */
static char *
program_path (GdRequest *req, const GdRunOpts *opts, const char *how, GError **error)
{
  const char *prog = opts->argv[0];
  char *path = find_program (prog);
  if (path == NULL)
    {
      gd_error_errno (error, ENOENT, "%s: program not found", prog);
      return NULL;
    }
  if (gd_conn_verbose (req->conn))
    {
      g_autofree char *cmd = g_strjoinv (" ", (char **) opts->argv);
      gd_log (req->conn, "%s: %s", how, cmd);
    }
  return path;
}

/* Forks and execs path with in, out, err as its stdin, stdout, stderr, in
 * the working directory, root and umask opts and the connection ask for.
 * Returns the pid, or -1 with *error set. */
static pid_t
fork_exec (GdRequest *req, const GdRunOpts *opts, const char *path, int in, int out, int err,
           GError **error)
{
  g_auto (GStrv) envp = child_environment (opts->env);
  mode_t mask = gd_conn_umask (req->conn);
  int cwd_fd = opts->cwd_fd > 0 ? opts->cwd_fd : -1;
  pid_t pid = fork ();
  if (pid < 0)
    {
      gd_perror (error, "fork");
      return -1;
    }
  if (pid == 0)
    {
      child_setup_fds (in, out, err);
      umask (mask);
      if (cwd_fd >= 0 ? fchdir (cwd_fd) < 0 : chdir ("/") < 0)
        _exit (126);
      execve (path, (char *const *) opts->argv, envp);
      _exit (127);
    }
  return pid;
}

gboolean
gd_run_full (GdRequest *req, const GdRunOpts *opts, char **out, char **err, int *exit_status,
             GError **error)
{
  const char *prog = opts->argv[0];
  g_autofree char *path = program_path (req, opts, "run", error);
  if (path == NULL)
    return FALSE;

  int in_r = -1, in_w = -1, out_r = -1, out_w = -1, err_r = -1, err_w = -1;
  int p[2];
  gboolean ok = FALSE;
  g_autoptr (GString) obuf = g_string_new (NULL);
  g_autoptr (GString) ebuf = g_string_new (NULL);
  if (opts->stdin_fd >= 0)
    in_r = fcntl (opts->stdin_fd, F_DUPFD_CLOEXEC, 3);
  else if (opts->stdin_data != NULL)
    {
      if (pipe2 (p, O_CLOEXEC) < 0)
        goto pipe_failed;
      in_r = p[0];
      in_w = p[1];
    }
  else
    in_r = open_devnull (O_RDONLY);
  if (opts->stdout_fd >= 0)
    out_w = fcntl (opts->stdout_fd, F_DUPFD_CLOEXEC, 3);
  else
    {
      if (pipe2 (p, O_CLOEXEC) < 0)
        goto pipe_failed;
      out_r = p[0];
      out_w = p[1];
    }
  if (!(opts->flags & GD_RUN_FOLD_STDERR))
    {
      if (pipe2 (p, O_CLOEXEC) < 0)
        goto pipe_failed;
      err_r = p[0];
      err_w = p[1];
    }

  pid_t pid = fork_exec (req, opts, path, in_r, out_w, err_w >= 0 ? err_w : out_w, error);
  if (pid < 0)
    goto out;

  close_if (&in_r);
  close_if (&out_w);
  close_if (&err_w);

  size_t in_off = 0;
  gboolean too_big = FALSE;
  if (out_r >= 0)
    set_nonblock (out_r);
  if (err_r >= 0)
    set_nonblock (err_r);
  if (in_w >= 0)
    {
      set_nonblock (in_w);
      if (opts->stdin_len == 0)
        close_if (&in_w);
    }
  while (out_r >= 0 || err_r >= 0 || in_w >= 0)
    {
      struct pollfd pfd[3];
      int n = 0;
      int i_out = -1, i_err = -1, i_in = -1;
      if (out_r >= 0)
        pfd[i_out = n++] = (struct pollfd){ .fd = out_r, .events = POLLIN };
      if (err_r >= 0)
        pfd[i_err = n++] = (struct pollfd){ .fd = err_r, .events = POLLIN };
      if (in_w >= 0)
        pfd[i_in = n++] = (struct pollfd){ .fd = in_w, .events = POLLOUT };
      int r = poll (pfd, n, (opts->flags & GD_RUN_PULSE) ? 100 : -1);
      if (r < 0 && errno != EINTR)
        break;
      if (opts->flags & GD_RUN_PULSE)
        gd_pulse_tick (req);
      if (r <= 0)
        continue;
      if (i_out >= 0 && pfd[i_out].revents)
        {
          drain_fd (&out_r, obuf);
          if (opts->max_out > 0 && obuf->len > opts->max_out)
            {
              too_big = TRUE;
              kill (pid, SIGKILL);
              break;
            }
        }
      if (i_err >= 0 && pfd[i_err].revents)
        drain_fd (&err_r, ebuf);
      if (i_in >= 0 && pfd[i_in].revents)
        {
          ssize_t w = write (in_w, opts->stdin_data + in_off, opts->stdin_len - in_off);
          if (w > 0)
            in_off += w;
          if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == opts->stdin_len)
            close_if (&in_w);
        }
    }
  int status = wait_for (pid);
  if (exit_status)
    *exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
  if (too_big)
    {
      gd_error_errno (error, E2BIG, "%s: the result is larger than the protocol allows (%zu bytes)",
                      prog, opts->max_out);
      goto out;
    }

  if (status != 0 && !((opts->flags & GD_RUN_ANY_STATUS) && WIFEXITED (status)))
    {
      const char *why = ebuf->len ? ebuf->str : obuf->str;
      g_autofree char *msg = g_strdup (why);
      gd_chomp (msg);
      if (WIFEXITED (status) && WEXITSTATUS (status) == 127 && *msg == '\0')
        gd_error_errno (error, ENOENT, "%s: cannot run this program", prog);
      else if (*msg)
        set_program_error (error, req->conn, prog, msg);
      else
        {
          g_autofree char *st = describe_status (prog, status);
          gd_error (error, "%s", st);
        }
      goto out;
    }
  if (opts->flags & GD_RUN_PULSE)
    gd_pulse_end (req);
  if (out)
    *out = g_string_free (g_steal_pointer (&obuf), FALSE);
  if (err)
    *err = g_string_free (g_steal_pointer (&ebuf), FALSE);
  ok = TRUE;
  goto out;

pipe_failed:
  gd_perror (error, "pipe");
out:
  close_if (&in_r);
  close_if (&in_w);
  close_if (&out_r);
  close_if (&out_w);
  close_if (&err_r);
  close_if (&err_w);
  return ok;
}

gboolean
gd_run_verbatim (GdRequest *req, const GdRunOpts *opts, const char *prefix, const char *what,
                 char **out, GError **error)
{
  GdRunOpts o = *opts;
  o.flags |= GD_RUN_ANY_STATUS;
  g_autofree char *sout = NULL, *serr = NULL;
  int status = 0;
  if (!gd_run_full (req, &o, &sout, &serr, &status, error))
    return FALSE;
  if (status != 0)
    {
      g_autofree char *msg = g_strdup (*serr ? serr : sout);
      g_strstrip (msg);
      if (*msg == '\0')
        {
          g_free (msg);
          msg = g_strdup_printf ("%s exited with status %d", what ? what : o.argv[0], status);
        }
      if (prefix)
        gd_error (error, "%s: %s", prefix, msg);
      else
        gd_error (error, "%s", msg);
      return FALSE;
    }
  if (out)
    *out = g_steal_pointer (&sout);
  return TRUE;
}

gboolean
gd_runv (GdRequest *req, const char *const *argv, GdRunFlags flags, char **out, GError **error)
{
  GdRunOpts opts = { .argv = argv, .flags = flags, .stdin_fd = -1, .stdout_fd = -1 };
  return gd_run_full (req, &opts, out, NULL, NULL, error);
}

gboolean
gd_run (GdRequest *req, char **out, GError **error, const char *prog, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) prog);
  va_list ap;
  va_start (ap, prog);
  const char *a;
  while ((a = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  return gd_runv (req, (const char *const *) argv->pdata, GD_RUN_DEFAULT, out, error);
}

pid_t
gd_spawn_confined (GdRequest *req, GdChildFunc func, gpointer data, int stdin_fd, int stdout_fd,
                   GError **error)
{
  /* The child cannot load a library once chrooted into the guest. */
  gd_lazy_preload (req);
  const char *sysroot = gd_conn_sysroot (req->conn);
  mode_t mask = gd_conn_umask (req->conn);
  int in = stdin_fd >= 0 ? stdin_fd : open_devnull (O_RDONLY);
  int out = stdout_fd >= 0 ? stdout_fd : open_devnull (O_WRONLY);
  pid_t pid = fork ();
  if (pid == 0)
    {
      child_setup_fds (in, out, 2);
      umask (mask);
      if (chroot (sysroot) < 0 || chdir ("/") < 0)
        _exit (126);
      _exit (func (data));
    }
  int saved = errno;
  if (stdin_fd < 0)
    close (in);
  if (stdout_fd < 0)
    close (out);
  if (pid < 0)
    {
      errno = saved;
      gd_perror (error, "fork");
    }
  return pid;
}

gboolean
gd_wait_child (pid_t pid, const char *what, GError **error)
{
  int status = wait_for (pid);
  if (status == 0)
    return TRUE;
  g_autofree char *msg = describe_status (what, status);
  gd_error (error, "%s", msg);
  return FALSE;
}

/* ---- helper programs that run while the handler streams data -------- */

struct _GdChild
{
  GdConnection *conn;
  char *prog;
  pid_t pid;
  int err_fd; /* memfd holding the child's stderr: it never blocks the child */
};

GdChild *
gd_child_spawn (GdRequest *req, const GdRunOpts *opts, GError **error)
{
  const char *prog = opts->argv[0];
  g_autofree char *path = program_path (req, opts, "spawn", error);
  if (path == NULL)
    return NULL;
  int in = opts->stdin_fd >= 0 ? opts->stdin_fd : open_devnull (O_RDONLY);
  int err = memfd_create ("gd-child-stderr", MFD_CLOEXEC);
  /* Output nobody reads joins stderr: some programs report errors there. */
  int out = opts->stdout_fd >= 0 ? opts->stdout_fd : err;
  if (in < 0 || out < 0 || err < 0)
    {
      gd_perror (error, "%s", prog);
      goto fail;
    }
  pid_t pid =
      fork_exec (req, opts, path, in, out, (opts->flags & GD_RUN_FOLD_STDERR) ? out : err, error);
  if (pid < 0)
    goto fail;
  if (opts->stdin_fd < 0)
    close (in);
  GdChild *child = g_new0 (GdChild, 1);
  child->conn = req->conn;
  child->prog = g_strdup (prog);
  child->pid = pid;
  child->err_fd = err;
  return child;

fail:
  if (in >= 0 && opts->stdin_fd < 0)
    close (in);
  if (err >= 0)
    close (err);
  return NULL;
}

gboolean
gd_child_wait (GdChild *child, gboolean kill_it, GError **error)
{
  if (kill_it)
    kill (child->pid, SIGKILL);
  int status = wait_for (child->pid);
  gboolean ok = status == 0;
  if (!ok && error != NULL)
    {
      /* The end of stderr: where programs that print progress put the error. */
      char msg[4096];
      struct stat st;
      off_t from = fstat (child->err_fd, &st) == 0 && st.st_size >= (off_t) sizeof msg
                       ? st.st_size - (off_t) (sizeof msg - 1)
                       : 0;
      ssize_t n = pread (child->err_fd, msg, sizeof msg - 1, from);
      msg[n > 0 ? n : 0] = '\0';
      gd_chomp (msg);
      if (WIFEXITED (status) && WEXITSTATUS (status) == 127 && *msg == '\0')
        gd_error_errno (error, ENOENT, "%s: cannot run this program", child->prog);
      else if (*msg && !kill_it)
        set_program_error (error, child->conn, child->prog, msg);
      else
        {
          /* EPIPE lets a caller prefer the error of whoever closed the pipe. */
          g_autofree char *what = describe_status (child->prog, status);
          gboolean broken_pipe = WIFSIGNALED (status) && WTERMSIG (status) == SIGPIPE;
          gd_error_errno (error, broken_pipe ? EPIPE : 0, "%s", what);
        }
    }
  close (child->err_fd);
  g_free (child->prog);
  g_free (child);
  return ok;
}

char *
gd_chomp (char *s)
{
  size_t n = strlen (s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = '\0';
  return s;
}

char **
gd_split_lines (const char *text)
{
  if (text == NULL || *text == '\0')
    return g_new0 (char *, 1);
  char **lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);
  if (n > 0 && *lines[n - 1] == '\0')
    {
      g_free (lines[n - 1]);
      lines[n - 1] = NULL;
    }
  return lines;
}

char *
gd_str_replace (const char *text, const char *from, const char *to)
{
  if (*from == '\0')
    return g_strdup (text);
  g_auto (GStrv) parts = g_strsplit (text, from, -1);
  return g_strjoinv (to, parts);
}
