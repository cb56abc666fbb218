/* guestfsd: the libguestfs daemon.  Parses the command line and the
 * kernel command line, then hands over to libguestfsd.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "jail.h"

typedef struct
{
  char *channel;
  gboolean listen;
  gboolean network;
  gboolean live;
  gboolean verbose;
  gboolean test_mode;
  gboolean list_procedures;
  gboolean version;
  char *sysroot;
  char **allow_rpcs; /* --allow-rpcs / --block-rpcs, each comma-separated */
  char **block_rpcs;
  gboolean read_only;
  char *tls_psk;
  char *tls_certs;
  gboolean tcp_plaintext_loopback;
  /* --drive and --drive-ro in command line order ("r" or "w" + path): a
   * disk's guest name (/dev/sda, /dev/sdb ...) is its position. */
  GPtrArray *drives;
} Options;

static Options o;

static void
options_clear (void)
{
  g_clear_pointer (&o.channel, g_free);
  g_clear_pointer (&o.sysroot, g_free);
  g_clear_pointer (&o.allow_rpcs, g_strfreev);
  g_clear_pointer (&o.block_rpcs, g_strfreev);
  g_clear_pointer (&o.tls_psk, g_free);
  g_clear_pointer (&o.tls_certs, g_free);
  g_clear_pointer (&o.drives, g_ptr_array_unref);
}

/* *path made canonical if it exists; with in_dir, also if only its
 * directory does (a socket to be made there). */
static void
canonicalize (char **path, gboolean in_dir)
{
  if (*path == NULL)
    return;
  char *real = realpath (*path, NULL);
  if (real == NULL && in_dir)
    {
      g_autofree char *dir = g_path_get_dirname (*path);
      g_autofree char *base = g_path_get_basename (*path);
      g_autofree char *rdir = realpath (dir, NULL);
      if (rdir != NULL)
        real = g_build_filename (rdir, base, NULL);
    }
  if (real != NULL)
    {
      g_free (*path);
      *path = real;
    }
}

static gboolean
drive_cb (const char *name, const char *value, gpointer data, GError **error)
{
  (void) data;
  (void) error;
  if (o.drives == NULL)
    o.drives = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (o.drives,
                   g_strconcat (strcmp (name, "--drive-ro") == 0 ? "r" : "w", value, NULL));
  return TRUE;
}

static gboolean
help_cb (const char *name, const char *value, gpointer data, GError **error)
{
  (void) name;
  (void) value;
  (void) error;
  g_print ("%s", g_option_context_get_help (data, TRUE, NULL));
  exit (EXIT_SUCCESS);
}

/* "a,b" "c" -> a b c */
static char **
split_names (char **lists)
{
  if (lists == NULL)
    return NULL;
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  for (char **l = lists; *l; l++)
    {
      g_auto (GStrv) parts = g_strsplit (*l, ",", -1);
      for (char **p = parts; *p; p++)
        if (**p)
          g_strv_builder_add (b, g_strstrip (*p));
    }
  return g_strv_builder_end (b);
}

/* systemd socket activation: the listening socket is fd 3. */
static char *
activation_channel (void)
{
  const char *pid = getenv ("LISTEN_PID");
  const char *fds = getenv ("LISTEN_FDS");
  if (pid == NULL || fds == NULL || atoll (pid) != (long long) getpid () || atoi (fds) < 1)
    return NULL;
  unsetenv ("LISTEN_PID");
  unsetenv ("LISTEN_FDS");
  unsetenv ("LISTEN_FDNAMES");
  return g_strdup ("fd:3");
}

static void
on_stop_signal (int sig)
{
  (void) sig;
  guestfsd_request_stop ();
}

static int
list_procedures (void)
{
  g_auto (GStrv) all = guestfsd_list_procedures (FALSE);
  g_auto (GStrv) implemented = guestfsd_list_procedures (TRUE);
  g_autoptr (GHashTable) done = g_hash_table_new (g_str_hash, g_str_equal);
  for (char **p = implemented; *p; p++)
    g_hash_table_add (done, *p);
  for (char **p = all; *p; p++)
    printf ("%-40s %s\n", *p, g_hash_table_contains (done, *p) ? "implemented" : "missing");
  printf ("%u of %u procedures implemented\n", g_strv_length (implemented), g_strv_length (all));
  return EXIT_SUCCESS;
}

/* Appliance defaults: a known PATH and locale for helper programs. */
static void
set_appliance_environment (void)
{
  setenv ("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
  setenv ("SHELL", "/bin/sh", 1);
  setenv ("LC_ALL", "C", 1);
  setenv ("TERM", "dumb", 1);
  /* The libguestfs appliance's init makes /dev/fd but not these, which
   * helper programs are often given as file names (mkswap, scrub ...). */
  static const char *const std_links[][2] = {
    { "/dev/stdin", "/proc/self/fd/0" },
    { "/dev/stdout", "/proc/self/fd/1" },
    { "/dev/stderr", "/proc/self/fd/2" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (std_links); i++)
    {
      struct stat st;
      if (lstat (std_links[i][0], &st) < 0 && errno == ENOENT)
        {
          /* Best effort: only programs that name these paths miss them. */
          if (symlink (std_links[i][1], std_links[i][0]) < 0)
            g_debug ("symlink %s: %s", std_links[i][0], g_strerror (errno));
        }
    }
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "C");
  atexit (options_clear);
  const GOptionEntry entries[] = {
    { "channel", 'c', 0, G_OPTION_ARG_STRING, &o.channel,
      "Channel: PATH, fd:N, unix:PATH, vsock:PORT or tcp:HOST:PORT "
      "(default " GUESTFSD_DEFAULT_CHANNEL ")",
      "CHANNEL" },
    { "listen", 'l', 0, G_OPTION_ARG_NONE, &o.listen,
      "Listen on a Unix socket at the channel path (one client; with -r, client after client)",
      NULL },
    { "read-only", 0, 0, G_OPTION_ARG_NONE, &o.read_only,
      "Refuse every procedure that can change the guest", NULL },
    { "allow-rpcs", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.allow_rpcs,
      "Serve only these procedures or optional groups", "NAME[,NAME...]" },
    { "block-rpcs", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.block_rpcs,
      "Refuse these procedures or optional groups", "NAME[,NAME...]" },
    { "tls-psk", 0, 0, G_OPTION_ARG_FILENAME, &o.tls_psk,
      "Socket clients must use TLS with a key from this PSK file", "FILE" },
    { "tls-certs", 0, 0, G_OPTION_ARG_FILENAME, &o.tls_certs,
      "Socket clients must use TLS and a certificate signed by DIR/ca-cert.pem", "DIR" },
    { "tcp-plaintext-loopback", 0, 0, G_OPTION_ARG_NONE, &o.tcp_plaintext_loopback,
      "Allow tcp: without TLS on a loopback address", NULL },
    { "network", 'n', 0, G_OPTION_ARG_NONE, &o.network,
      "Give guest commands the appliance's network configuration", NULL },
    { "live", 'r', 0, G_OPTION_ARG_NONE, &o.live,
      "Live mode (guest agent): work on /, serve client after client, leave filesystems mounted",
      NULL },
    { "test", 't', G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &o.test_mode,
      "Test mode: keep the caller's PATH (and in host mode its directories in the jail)", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose, "Log requests to stderr", NULL },
    { "sysroot", 0, 0, G_OPTION_ARG_FILENAME, &o.sysroot,
      "Mount guest filesystems here (host mode; default /sysroot, / with -r)", "DIR" },
    { "drive", 0, G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK, drive_cb,
      "Serve this image file or block device as the next disk (repeatable)", "PATH" },
    { "drive-ro", 0, G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK, drive_cb,
      "Like --drive, read-only", "PATH" },
    { "list-procedures", 0, 0, G_OPTION_ARG_NONE, &o.list_procedures,
      "List the protocol's procedures and whether each has a handler", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &o.version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- the libguestfs daemon");
  g_option_context_set_help_enabled (ctx, FALSE);
  const GOptionEntry help_entries[] = { { "help", '?', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
                                          help_cb, "Show this help", NULL },
                                        { NULL } };
  /* help_cb needs the context: pass it as the group's user data. */
  GOptionGroup *group = g_option_group_new ("main", "", "", ctx, NULL);
  g_option_group_add_entries (group, entries);
  g_option_group_add_entries (group, help_entries);
  g_option_context_set_main_group (ctx, group);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "guestfsd: %s (try --help)\n", error->message);
      return EXIT_FAILURE;
    }
  if (argc > 1)
    {
      fprintf (stderr, "guestfsd: unexpected argument '%s' (try --help)\n", argv[1]);
      return EXIT_FAILURE;
    }
  if (o.version)
    {
      printf ("guestfsd %s\n", guestfsd_version_string ());
      return EXIT_SUCCESS;
    }
  if (o.list_procedures)
    return list_procedures ();

  /* The appliance's init passes these on the kernel command line. */
  g_autofree char *cmdline = NULL;
  if (g_file_get_contents ("/proc/cmdline", &cmdline, NULL, NULL))
    {
      gboolean verbose = FALSE, network = FALSE;
      g_autofree char *channel = NULL;
      guestfsd_parse_kernel_cmdline (cmdline, &verbose, &network, &channel);
      o.verbose |= verbose;
      o.network |= network;
      if (o.channel == NULL)
        o.channel = g_steal_pointer (&channel);
    }

  if (o.channel == NULL)
    o.channel = activation_channel ();

  /* -r is the guest's own agent: it works on the running system, which a
   * jail would hide; its boundary is the policy (--read-only ...). */
  gboolean host_mode = !o.live && (o.sysroot != NULL || o.drives != NULL);
  if (host_mode)
    {
      /* The jail shows each at its canonical path only: use that. */
      canonicalize (&o.sysroot, FALSE);
      for (guint i = 0; o.drives && i < o.drives->len; i++)
        {
          g_autofree char *path = g_strdup ((char *) o.drives->pdata[i] + 1);
          canonicalize (&path, FALSE);
          char *d = g_strdup_printf ("%c%s", ((char *) o.drives->pdata[i])[0], path);
          g_free (o.drives->pdata[i]);
          o.drives->pdata[i] = d;
        }
      if (o.channel != NULL && (o.channel[0] == '/' || g_str_has_prefix (o.channel, "unix:")))
        {
          gboolean prefixed = o.channel[0] != '/';
          g_autofree char *path = g_strdup (o.channel + (prefixed ? 5 : 0));
          canonicalize (&path, TRUE);
          g_free (o.channel);
          o.channel = g_strconcat (prefixed ? "unix:" : "", path, NULL);
        }
      g_autoptr (GPtrArray) rw = g_ptr_array_new ();
      g_autoptr (GPtrArray) ro = g_ptr_array_new ();
      for (guint i = 0; o.drives && i < o.drives->len; i++)
        {
          char *d = o.drives->pdata[i];
          g_ptr_array_add (d[0] == 'r' ? ro : rw, d + 1);
        }
      g_ptr_array_add (rw, NULL);
      g_ptr_array_add (ro, NULL);
      /* A socket path channel: its directory (created, bound, unlinked). */
      const char *sock = o.channel == NULL                       ? NULL
                         : g_str_has_prefix (o.channel, "unix:") ? o.channel + 5
                         : o.channel[0] == '/'                   ? o.channel
                                                                 : NULL;
      const char *writable[] = { sock, NULL };
      g_autoptr (GPtrArray) readable = g_ptr_array_new ();
      if (o.tls_psk)
        g_ptr_array_add (readable, o.tls_psk);
      if (o.tls_certs)
        g_ptr_array_add (readable, o.tls_certs);
      /* Test mode: the caller's PATH, with its own directories (fake
       * helper programs) visible in the jail. */
      g_auto (GStrv) path = o.test_mode ? g_strsplit (g_getenv ("PATH") ?: "", ":", -1) : NULL;
      for (char **p = path; p && *p; p++)
        if ((*p)[0] == '/' && !g_str_has_prefix (*p, "/usr/") && !g_str_has_prefix (*p, "/bin") &&
            !g_str_has_prefix (*p, "/sbin"))
          g_ptr_array_add (readable, *p);
      g_ptr_array_add (readable, NULL);
      const GuestfsdJail jail = {
        .network = o.network,
        .sysroot = o.sysroot,
        .drives = (const char *const *) rw->pdata,
        .drives_ro = (const char *const *) ro->pdata,
        .writable = writable,
        .readable = (const char *const *) readable->pdata,
      };
      if (!guestfsd_enter_host_jail (&jail, &error))
        {
          fprintf (stderr, "guestfsd: %s\n", error->message);
          return EXIT_FAILURE;
        }
    }
  if (!host_mode && !o.test_mode)
    set_appliance_environment ();
  signal (SIGPIPE, SIG_IGN);
  /* No SA_RESTART: a blocked accept or read returns, so the daemon ends
   * its client, removes its socket and exits. */
  struct sigaction sa = { .sa_handler = on_stop_signal };
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  /* Walking a deep guest tree holds one fd per level. */
  struct rlimit nofile;
  if (getrlimit (RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max)
    {
      nofile.rlim_cur = nofile.rlim_max;
      setrlimit (RLIMIT_NOFILE, &nofile);
    }
  /* File modes come from the client's umask, applied by the daemon. */
  umask (0);
  if (chdir ("/") < 0)
    {
      perror ("guestfsd: chdir /");
      return EXIT_FAILURE;
    }

  g_autoptr (GuestfsdDaemon) daemon = guestfsd_daemon_new ();
  guestfsd_daemon_set_live (daemon, o.live);
  guestfsd_daemon_set_verbose (daemon, o.verbose);
  guestfsd_daemon_set_network (daemon, o.network);
  if (o.sysroot)
    guestfsd_daemon_set_sysroot (daemon, o.sysroot);
  guestfsd_daemon_set_read_only (daemon, o.read_only);
  guestfsd_daemon_set_tcp_plaintext_loopback (daemon, o.tcp_plaintext_loopback);
  g_auto (GStrv) allow = split_names (o.allow_rpcs);
  g_auto (GStrv) block = split_names (o.block_rpcs);
  if (!guestfsd_daemon_set_rpc_policy (daemon, (const char *const *) allow,
                                       (const char *const *) block, &error) ||
      !guestfsd_daemon_set_tls (daemon, o.tls_psk, o.tls_certs, &error))
    goto failed;
  for (guint i = 0; o.drives && i < o.drives->len; i++)
    {
      const char *d = o.drives->pdata[i];
      if (!guestfsd_daemon_add_drive (daemon, d + 1, d[0] == 'r', &error))
        goto failed;
    }

  if (!guestfsd_daemon_serve_channel (daemon, o.channel, o.listen, &error))
    goto failed;
  guestfsd_daemon_shutdown (daemon);
  return EXIT_SUCCESS;

failed:
  fprintf (stderr, "guestfsd: %s\n", error->message);
  guestfsd_daemon_shutdown (daemon);
  return EXIT_FAILURE;
}
