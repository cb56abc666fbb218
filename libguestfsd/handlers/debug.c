/* libguestfsd handlers: debugging and test helpers.
 *
 * debug SUBCMD ARGS... (names case-insensitive):
 *   help                list the subcommands
 *   core_pattern PAT    set the kernel's core pattern, lift RLIMIT_CORE
 *   env                 the daemon's environment
 *   error N             fail with a message of N 'a's (errno EROFS)
 *   fds                 the daemon's open file descriptors
 *   ldd FILE            ldd -r of a daemon-side file
 *   ls|ll [PATH...]     list guest paths (our own listing, in a child
 *                       chrooted into the sysroot)
 *   print ARGS          print the arguments on the daemon's stderr
 *   progress SECS [US]  sleep SECS seconds sending progress messages
 *   segv                crash the daemon
 *   setenv NAME VALUE   set a variable in the daemon's environment
 *   sh CMD...           run a shell command on the daemon's side, with
 *                       $root = the sysroot and $sd = "sd"
 *   spew N              write N lines of 72 characters to stderr
 *
 * Like the original, these are a deliberate backdoor of the protocol for
 * debugging (sh runs anything as the daemon's user).  Two subcommands
 * would reach past the daemon: segv and core_pattern act only in the
 * appliance's own guestfsd (program name "guestfsd", sysroot /sysroot);
 * a daemon embedded in a program, or serving on a host, refuses them with
 * ENOTSUP rather than crash its host process or change a system-wide
 * setting.  The same goes for internal_rhbz914931's crash: elsewhere it
 * ends the connection instead.
 *
 * In host mode the daemon runs as root on the host, where a way to run
 * anything on the daemon's side is a way out of the guest for whoever
 * holds the connection.  There the subcommands that act on the daemon's
 * side (sh, ldd, setenv: the environment of every helper program, so
 * LD_PRELOAD or PATH), show it (env: the user's environment; fds: host
 * paths), debug_upload and internal_upload refuse with EPERM, unless
 * GUESTFSD_ALLOW_DEBUG_SH=1 was in the environment when the daemon (the
 * library) started: read once, at load time, so no request can set it.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "confine.h"
#include "gd-actions.h"
#include "gd-private.h"
#include "hostpolicy.h"

extern char **environ;

#define ALLOW_ENV "GUESTFSD_ALLOW_DEBUG_SH"

static gboolean allow_daemon_side;

static void __attribute__ ((constructor)) read_allow_env (void)
{
  const char *v = getenv (ALLOW_ENV);
  allow_daemon_side = v && strcmp (v, "1") == 0;
}

/* Whether what acts on the daemon's side may run (see the top). */
static gboolean
daemon_side_allowed (GdRequest *req, const char *what, GError **error)
{
  if (allow_daemon_side || !gd_conn_host_mode (gd_request_connection (req)))
    return TRUE;
  gd_error_errno (error, EPERM,
                  "%s acts on the daemon's side, which is this host: refused in host mode "
                  "(start the daemon with " ALLOW_ENV "=1 in its environment to allow it)",
                  what);
  return FALSE;
}

/* The appliance's own daemon, where crashing or changing kernel settings
 * affects nothing but the appliance. */
static gboolean
appliance_daemon (GdRequest *req)
{
  const char *prg = g_get_prgname ();
  return prg && strcmp (prg, "guestfsd") == 0 &&
         strcmp (gd_conn_sysroot (gd_request_connection (req)), "/sysroot") == 0;
}

static gboolean
parse_int (const char *s, gint64 min, gint64 max, gint64 *out, GError **error)
{
  char *end;
  gint64 v = g_ascii_strtoll (s, &end, 10);
  if (*s == '\0' || *end || v < min || v > max)
    {
      gd_error_errno (error, EINVAL,
                      "%s: expecting a number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, s,
                      min, max);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
need_args (char *const *argv, guint min, guint max, const char *usage, GError **error)
{
  guint n = g_strv_length ((char **) argv);
  if (n < min || n > max)
    {
      gd_error_errno (error, EINVAL, "usage: debug %s", usage);
      return FALSE;
    }
  return TRUE;
}

typedef gboolean (*DebugFunc) (GdRequest *req, char *const *argv, char **ret, GError **error);

static gboolean debug_help (GdRequest *req, char *const *argv, char **ret, GError **error);

static gboolean
debug_core_pattern (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  if (!need_args (argv, 1, 1, "core_pattern PATTERN", error))
    return FALSE;
  if (!appliance_daemon (req))
    {
      gd_error_errno (error, ENOTSUP,
                      "core_pattern is a setting of the whole system: only the "
                      "appliance's daemon changes it");
      return FALSE;
    }
  struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
  if (setrlimit (RLIMIT_CORE, &unlimited) < 0)
    {
      gd_perror (error, "setrlimit");
      return FALSE;
    }
  /* Written in place: /proc files cannot be replaced by a rename. */
  FILE *f = fopen ("/proc/sys/kernel/core_pattern", "we");
  if (f == NULL || fprintf (f, "%s\n", argv[0]) < 0 || fclose (f) != 0)
    {
      gd_perror (error, "/proc/sys/kernel/core_pattern");
      return FALSE;
    }
  *ret = g_strdup ("ok");
  return TRUE;
}

static gboolean
debug_env (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  (void) argv;
  /* On a host: the user's environment (paths, tokens, agent sockets). */
  if (!daemon_side_allowed (req, "debug env", error))
    return FALSE;
  GString *s = g_string_new (NULL);
  for (char **e = environ; e && *e; e++)
    g_string_append_printf (s, "%s\n", *e);
  *ret = g_string_free (s, FALSE);
  return TRUE;
}

static gboolean
debug_error (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  (void) req;
  (void) ret;
  gint64 n = 0;
  if (!need_args (argv, 0, 1, "error [N]", error))
    return FALSE;
  if (argv[0] && !parse_int (argv[0], 0, 1000000, &n, error))
    return FALSE;
  g_autofree char *msg = g_strnfill (n, 'a');
  gd_error_errno (error, EROFS, "%s", msg);
  return FALSE;
}

static gboolean
debug_fds (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  (void) argv;
  /* On a host: the host's paths of the images and the sysroot. */
  if (!daemon_side_allowed (req, "debug fds", error))
    return FALSE;
  DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    {
      gd_perror (error, "/proc/self/fd");
      return FALSE;
    }
  int self = dirfd (d);
  g_autoptr (GPtrArray) fds = g_ptr_array_new_with_free_func (g_free);
  struct dirent *ent;
  while ((ent = readdir (d)) != NULL)
    {
      if (ent->d_name[0] == '.' || atoi (ent->d_name) == self)
        continue;
      char target[PATH_MAX];
      ssize_t n = readlinkat (self, ent->d_name, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      g_ptr_array_add (fds, g_strdup_printf ("%s %s", ent->d_name, target));
    }
  closedir (d);
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < fds->len; i++)
    g_string_append_printf (s, "fd %s\n", (char *) g_ptr_array_index (fds, i));
  *ret = g_string_free (s, FALSE);
  return TRUE;
}

static gboolean
debug_ldd (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  if (!need_args (argv, 1, 1, "ldd FILE", error) || !daemon_side_allowed (req, "debug ldd", error))
    return FALSE;
  const char *cmd[] = { "ldd", "-r", argv[0], NULL };
  GdRunOpts opts = {
    .argv = cmd, .flags = GD_RUN_FOLD_STDERR | GD_RUN_ANY_STATUS, .stdin_fd = -1, .stdout_fd = -1
  };
  return gd_run_full (req, &opts, ret, NULL, NULL, error);
}

/* ---- ls / ll, in the guest --------------------------------------------- */

typedef struct
{
  char *const *paths;
  gboolean long_format;
} Listing;

static void
mode_string (mode_t m, char *s)
{
  static const char types[] = "?pc?d?b?-?l?s???";
  s[0] = types[(m >> 12) & 15];
  const char *rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; i++)
    s[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
  if (m & S_ISUID)
    s[3] = (m & S_IXUSR) ? 's' : 'S';
  if (m & S_ISGID)
    s[6] = (m & S_IXGRP) ? 's' : 'S';
  if (m & S_ISVTX)
    s[9] = (m & S_IXOTH) ? 't' : 'T';
  s[10] = '\0';
}

static void
list_one (GString *out, int dirfd, const char *name, const char *shown, gboolean long_format)
{
  if (!long_format)
    {
      g_string_append_printf (out, "%s\n", shown);
      return;
    }
  struct stat st;
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      g_string_append_printf (out, "%s: %s\n", shown, strerror (errno));
      return;
    }
  char mode[11], when[32];
  mode_string (st.st_mode, mode);
  struct tm tm;
  strftime (when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r (&st.st_mtime, &tm));
  g_string_append_printf (out, "%s %3ju %5u %5u %12jd %s %s", mode, (uintmax_t) st.st_nlink,
                          st.st_uid, st.st_gid, (intmax_t) st.st_size, when, shown);
  if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlinkat (dirfd, name, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      g_string_append_printf (out, " -> %s", target);
    }
  g_string_append_c (out, '\n');
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static int
listing_child (gpointer p)
{
  Listing *l = p;
  static char *const root[] = { "/", NULL };
  char *const *paths = l->paths && *l->paths ? l->paths : root;
  GString *out = g_string_new (NULL);
  gboolean several = paths[1] != NULL;
  for (char *const *path = paths; *path; path++)
    {
      struct stat st;
      if (lstat (*path, &st) < 0)
        {
          g_string_append_printf (out, "%s: %s\n", *path, strerror (errno));
          continue;
        }
      if (!S_ISDIR (st.st_mode))
        {
          list_one (out, AT_FDCWD, *path, *path, l->long_format);
          continue;
        }
      if (several)
        g_string_append_printf (out, "%s:\n", *path);
      int fd = open (*path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
      if (d == NULL)
        {
          g_string_append_printf (out, "%s: %s\n", *path, strerror (errno));
          continue;
        }
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      struct dirent *ent;
      while ((ent = readdir (d)) != NULL)
        g_ptr_array_add (names, g_strdup (ent->d_name));
      g_ptr_array_sort (names, compare_names);
      for (guint i = 0; i < names->len; i++)
        list_one (out, dirfd (d), g_ptr_array_index (names, i), g_ptr_array_index (names, i),
                  l->long_format);
      closedir (d);
    }
  if (!gdc_write_all (1, out->str, out->len))
    return gdc_fail_errno ("write");
  return 0;
}

static gboolean
debug_listing (GdRequest *req, char *const *argv, char **ret, gboolean long_format, GError **error)
{
  Listing l = { argv, long_format };
  GByteArray *out = NULL;
  if (!gdc_run (req, "ls", listing_child, &l, -1, -1, FALSE, &out, 4 * 1024 * 1024, error))
    return FALSE;
  *ret = g_strndup ((const char *) out->data, out->len);
  g_byte_array_unref (out);
  return TRUE;
}

static gboolean
debug_ls (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  return debug_listing (req, argv, ret, FALSE, error);
}

static gboolean
debug_ll (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  return debug_listing (req, argv, ret, TRUE, error);
}

static gboolean
debug_print (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  (void) req;
  (void) error;
  g_autofree char *line = g_strjoinv (" ", (char **) argv);
  fprintf (stderr, "%s\n", line);
  *ret = g_strdup ("ok");
  return TRUE;
}

static gboolean
debug_progress (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  gint64 secs, rate = 0;
  if (!need_args (argv, 1, 2, "progress SECS [RATE_US]", error) ||
      !parse_int (argv[0], 1, 1000000, &secs, error) ||
      (argv[1] && !parse_int (argv[1], 1, 1000000, &rate, error)))
    return FALSE;
  if (rate == 0)
    {
      guint64 total = secs * 10;
      for (guint64 i = 1; i <= total; i++)
        {
          g_usleep (100000);
          gd_progress (req, i, total);
        }
    }
  else
    {
      guint64 total = secs * G_USEC_PER_SEC;
      for (guint64 t = rate; t <= total; t += rate)
        {
          g_usleep (rate);
          gd_progress (req, t, total);
        }
      gd_progress (req, total, total);
    }
  *ret = g_strdup ("ok");
  return TRUE;
}

static gboolean
debug_segv (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  (void) argv;
  (void) ret;
  if (!appliance_daemon (req))
    {
      gd_error_errno (error, ENOTSUP, "segv: only the appliance's daemon crashes on request");
      return FALSE;
    }
  signal (SIGSEGV, SIG_DFL);
  raise (SIGSEGV);
  _exit (139);
}

static gboolean
debug_setenv (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  (void) req;
  if (!need_args (argv, 2, 2, "setenv NAME VALUE", error) ||
      !daemon_side_allowed (req, "debug setenv", error))
    return FALSE;
  if (*argv[0] == '\0' || strchr (argv[0], '='))
    {
      gd_error_errno (error, EINVAL, "%s: not a variable name", argv[0]);
      return FALSE;
    }
  g_setenv (argv[0], argv[1], TRUE);
  *ret = g_strdup ("ok");
  return TRUE;
}

static gboolean
debug_sh (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  if (!need_args (argv, 1, G_MAXUINT, "sh COMMAND...", error) ||
      !daemon_side_allowed (req, "debug sh", error))
    return FALSE;
  /* Drop the cached fd of the sysroot first: it would make the daemon a
   * user of it, and virt-customize and virt-sysprep finish with
   * "debug sh 'fuser -k /sysroot'", which would kill the daemon. */
  gd_sysroot_changed (req);
  g_autofree char *cmd = g_strjoinv (" ", (char **) argv);
  g_autofree char *root =
      g_strconcat ("root=", gd_conn_sysroot (gd_request_connection (req)), NULL);
  const char *env[] = { root, "sd=sd", NULL };
  const char *sh[] = { "/bin/sh", "-c", cmd, NULL };
  GdRunOpts opts = {
    .argv = sh,
    .flags = GD_RUN_FOLD_STDERR | GD_RUN_ANY_STATUS,
    .stdin_fd = -1,
    .stdout_fd = -1,
    .env = env,
  };
  return gd_run_full (req, &opts, ret, NULL, NULL, error);
}

static gboolean
debug_spew (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  (void) req;
  gint64 n;
  if (!need_args (argv, 1, 1, "spew N", error) || !parse_int (argv[0], 0, G_MAXINT, &n, error))
    return FALSE;
  static const char line[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghij\n";
  for (gint64 i = 0; i < n; i++)
    if (fputs (line, stderr) < 0)
      break;
  fflush (stderr);
  *ret = g_strdup ("ok");
  return TRUE;
}

static const struct
{
  const char *name;
  DebugFunc func;
} subcommands[] = {
  { "core_pattern", debug_core_pattern },
  { "env", debug_env },
  { "error", debug_error },
  { "fds", debug_fds },
  { "help", debug_help },
  { "ldd", debug_ldd },
  { "ll", debug_ll },
  { "ls", debug_ls },
  { "print", debug_print },
  { "progress", debug_progress },
  { "segv", debug_segv },
  { "setenv", debug_setenv },
  { "sh", debug_sh },
  { "spew", debug_spew },
};

static gboolean
debug_help (GdRequest *req, char *const *argv, char **ret, GError **error)
{
  (void) req;
  (void) argv;
  (void) error;
  GString *s = g_string_new ("Commands supported:");
  for (guint i = 0; i < G_N_ELEMENTS (subcommands); i++)
    g_string_append_printf (s, " %s", subcommands[i].name);
  g_string_append_c (s, '\n');
  *ret = g_string_free (s, FALSE);
  return TRUE;
}

gboolean
gd_do_debug (GdRequest *req, const char *subcmd, char *const *extraargs, char **ret, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (subcommands); i++)
    if (g_ascii_strcasecmp (subcmd, subcommands[i].name) == 0)
      return subcommands[i].func (req, extraargs, ret, error);
  gd_error_errno (error, EINVAL, "%s: unknown subcommand: use 'debug help 0' to list them", subcmd);
  return FALSE;
}

/* ---- uploads to the daemon's side -------------------------------------- */

static gboolean
upload_to (GdRequest *req, const char *filename, int mode, GError **error)
{
  /* Not a guest path: these deliberately write anywhere on the daemon's
   * side (the appliance). */
  mode_t m = (mode_t) mode & 07777 & ~gd_conn_umask (gd_request_connection (req));
  int fd = open (filename, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, m);
  if (fd < 0)
    {
      gd_perror (error, "%s", filename);
      return FALSE;
    }
  gboolean ok = gd_filein_to_fd (req, fd, error);
  if (close (fd) < 0 && ok)
    {
      gd_perror (error, "%s", filename);
      ok = FALSE;
    }
  return ok;
}

gboolean
gd_do_debug_upload (GdRequest *req, const char *tmpname, int mode, GError **error)
{
  if (!daemon_side_allowed (req, "debug_upload", error))
    return FALSE;
  return upload_to (req, tmpname, mode, error);
}

gboolean
gd_do_internal_upload (GdRequest *req, const char *tmpname, int mode, GError **error)
{
  /* The same write to any path of the daemon's side: on a host, any file
   * of the host, as root. */
  if (!daemon_side_allowed (req, "internal_upload", error))
    return FALSE;
  return upload_to (req, tmpname, mode, error);
}

typedef struct
{
  GdRequest *req;
  int count;
  int seen;
} Crash;

static gboolean
crash_chunk (const void *data, size_t len, gpointer user_data, GError **error)
{
  (void) data;
  (void) len;
  Crash *c = user_data;
  g_usleep (G_USEC_PER_SEC);
  if (++c->seen < c->count)
    return TRUE;
  if (appliance_daemon (c->req))
    {
      signal (SIGSEGV, SIG_DFL);
      raise (SIGSEGV);
      _exit (139);
    }
  /* Embedded: no crash, but the connection ends as if the daemon died. */
  gd_conn_request_exit (gd_request_connection (c->req));
  gd_error_errno (error, EIO, "internal_rhbz914931: simulated crash after %d chunks", c->seen);
  return FALSE;
}

gboolean
gd_do_internal_rhbz914931 (GdRequest *req, int count, GError **error)
{
  if (count < 1 || count > 1000)
    {
      gd_error_errno (error, EINVAL, "count %d must be from 1 to 1000", count);
      return FALSE;
    }
  Crash c = { .req = req, .count = count };
  return gd_filein_receive (req, crash_chunk, &c, error);
}
