/* gdt-server: a daemon served in-process through the public API.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "gdt-server.h"

static gpointer
serve_thread (gpointer data)
{
  GdtServer *s = data;
  s->serve_ok = guestfsd_daemon_serve_fd (s->daemon, s->server_fd, &s->serve_error);
  /* Like a daemon that exits: the client sees end of stream. */
  shutdown (s->server_fd, SHUT_RDWR);
  return NULL;
}

GdtServer *
gdt_server_start (GuestfsdDaemon *daemon, GError **error)
{
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    {
      int saved = errno;
      g_set_error (error, GDT_ERROR, GDT_ERROR_IO, "socketpair: %s", g_strerror (saved));
      return NULL;
    }
  GdtServer *s = g_new0 (GdtServer, 1);
  s->daemon = g_object_ref (daemon);
  s->server_fd = sv[0];
  s->client = gdt_client_new (sv[1]);
  s->thread = g_thread_new ("gdt-daemon", serve_thread, s);
  if (!gdt_client_handshake (s->client, error))
    {
      gdt_server_finish (s, NULL);
      return NULL;
    }
  return s;
}

gboolean
gdt_server_finish (GdtServer *s, GError **serve_error)
{
  gdt_client_shutdown (s->client);
  g_thread_join (s->thread);
  gboolean ok = s->serve_ok;
  if (s->serve_error)
    g_propagate_error (serve_error, g_steal_pointer (&s->serve_error));
  gdt_client_free (s->client);
  close (s->server_fd);
  g_object_unref (s->daemon);
  g_free (s);
  return ok;
}

gboolean
gdt_private_mount_namespace (GError **error)
{
  if (unshare (CLONE_NEWNS) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "unshare(CLONE_NEWNS): %s",
                   g_strerror (saved));
      return FALSE;
    }
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "make / private: %s",
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

char *
gdt_make_temp_dir (const char *prefix)
{
  g_autofree char *tmpl = g_strdup_printf ("%s-XXXXXX", prefix);
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp (tmpl, &error);
  g_assert_no_error (error);
  return dir;
}

void
gdt_rm_rf (const char *path)
{
  if (path == NULL)
    return;
  const char *argv[] = { "rm", "-rf", "--one-file-system", path, NULL };
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                NULL);
}

gboolean
gdt_make_image (const char *path, guint64 size, const char *mkfs, GError **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ftruncate (fd, size) < 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  close (fd);
  if (mkfs == NULL)
    return TRUE;
  g_autofree char *prog = g_strdup_printf ("mkfs.%s", mkfs);
  const char *argv[] = { prog, "-F", "-q", path, NULL };
  int status;
  g_autofree char *err = NULL;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "%s: %s", prog, err);
      return FALSE;
    }
  return TRUE;
}
