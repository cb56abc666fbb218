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
  g_clear_pointer (&o.drives, g_ptr_array_unref);
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
        (void) symlink (std_links[i][1], std_links[i][0]);
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
      "Channel: a path or fd:N (default " GUESTFSD_DEFAULT_CHANNEL ")", "PATH" },
    { "listen", 'l', 0, G_OPTION_ARG_NONE, &o.listen,
      "Listen on a Unix socket at the channel path, serve one connection", NULL },
    { "network", 'n', 0, G_OPTION_ARG_NONE, &o.network,
      "Give guest commands the appliance's network configuration", NULL },
    { "live", 'r', 0, G_OPTION_ARG_NONE, &o.live,
      "Live mode: work on / and leave filesystems mounted at exit", NULL },
    { "test", 't', G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &o.test_mode,
      "Test mode: keep the caller's PATH", NULL },
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

  gboolean host_mode = o.sysroot != NULL || o.drives != NULL;
  if (host_mode)
    {
      g_autoptr (GPtrArray) keep = g_ptr_array_new ();
      if (o.sysroot)
        g_ptr_array_add (keep, o.sysroot);
      for (guint i = 0; o.drives && i < o.drives->len; i++)
        g_ptr_array_add (keep, (char *) o.drives->pdata[i] + 1);
      g_ptr_array_add (keep, NULL);
      if (!guestfsd_enter_host_jail (o.network, (const char *const *) keep->pdata, &error))
        {
          fprintf (stderr, "guestfsd: %s\n", error->message);
          return EXIT_FAILURE;
        }
    }
  if (!host_mode && !o.test_mode)
    set_appliance_environment ();
  signal (SIGPIPE, SIG_IGN);
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
