/* libguestfsd handlers: inotify.
 *
 * One inotify instance per connection (gd_conn_set_data), watching guest
 * paths: each path is resolved inside the guest by gd_open and the watch
 * is added through the resulting fd, so a symlink in the guest can never
 * point a watch at a file of the host.
 *
 * maxevents sets the kernel's fs.inotify.max_queued_events, a setting of
 * the whole system: it is applied only by a daemon that runs as the
 * appliance's guestfsd (sysroot /sysroot), never by one embedded in a
 * program or serving on a host, where it is ignored.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

#define INOTIFY_KEY "gd-inotify"
/* Encoded events returned by one inotify_read, well below the protocol's
 * message limit. */
#define MAX_READ_BYTES (2 * 1024 * 1024)

typedef struct
{
  int fd;
} Inotify;

static void
inotify_free (gpointer p)
{
  Inotify *in = p;
  close (in->fd);
  g_free (in);
}

static Inotify *
get_inotify (GdRequest *req, GError **error)
{
  Inotify *in = gd_conn_get_data (gd_request_connection (req), INOTIFY_KEY);
  if (in == NULL)
    gd_error (error, "you must call 'inotify_init' first to initialize inotify");
  return in;
}

static gboolean
appliance_daemon (GdRequest *req)
{
  const char *prg = g_get_prgname ();
  return prg && strcmp (prg, "guestfsd") == 0 &&
         strcmp (gd_conn_sysroot (gd_request_connection (req)), "/sysroot") == 0;
}

gboolean
gd_do_inotify_init (GdRequest *req, int maxevents, GError **error)
{
  if (maxevents < 0)
    {
      gd_error_errno (error, EINVAL, "maxevents must be 0 or more (%d)", maxevents);
      return FALSE;
    }
  if (maxevents > 0 && appliance_daemon (req))
    {
      FILE *f = fopen ("/proc/sys/fs/inotify/max_queued_events", "we");
      if (f == NULL || fprintf (f, "%d\n", maxevents) < 0 || fclose (f) != 0)
        {
          gd_perror (error, "/proc/sys/fs/inotify/max_queued_events");
          return FALSE;
        }
    }
  GdConnection *conn = gd_request_connection (req);
  /* A second init starts afresh. */
  gd_conn_set_data (conn, INOTIFY_KEY, NULL, NULL);
  int fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0)
    {
      gd_perror (error, "inotify_init");
      return FALSE;
    }
  Inotify *in = g_new0 (Inotify, 1);
  in->fd = fd;
  gd_conn_set_data (conn, INOTIFY_KEY, in, inotify_free);
  return TRUE;
}

gboolean
gd_do_inotify_add_watch (GdRequest *req, const char *path, int mask, int64_t *ret, GError **error)
{
  Inotify *in = get_inotify (req, error);
  if (in == NULL)
    return FALSE;
  /* IN_DONT_FOLLOW is honoured by resolving the path that way here; the
   * watch then goes through /proc/self/fd, which must be followed. */
  guint32 m = (guint32) mask;
  int flags = O_PATH;
  if (m & IN_DONT_FOLLOW)
    {
      flags |= O_NOFOLLOW;
      m &= ~IN_DONT_FOLLOW;
    }
  int fd = gd_open (req, path, flags, 0, error);
  if (fd < 0)
    return FALSE;
  g_autofree char *self = gd_fd_path (fd);
  int wd = inotify_add_watch (in->fd, self, m);
  int saved = errno;
  close (fd);
  if (wd < 0)
    {
      errno = saved;
      gd_perror (error, "%s", path);
      return FALSE;
    }
  *ret = wd;
  return TRUE;
}

gboolean
gd_do_inotify_rm_watch (GdRequest *req, int wd, GError **error)
{
  Inotify *in = get_inotify (req, error);
  if (in == NULL)
    return FALSE;
  if (inotify_rm_watch (in->fd, wd) < 0)
    {
      gd_perror (error, "inotify_rm_watch %d", wd);
      return FALSE;
    }
  return TRUE;
}

/* Reads what is queued, up to about max_bytes of events.  Each event is
 * passed to func. */
static gboolean
read_events (Inotify *in, gsize max_bytes, void (*func) (const struct inotify_event *, gpointer),
             gpointer data, GError **error)
{
  /* Room for the largest single event. */
  _Alignas(struct inotify_event) char buf[65536 + sizeof (struct inotify_event) + NAME_MAX + 1];
  gsize total = 0;
  while (total < max_bytes)
    {
      ssize_t n = read (in->fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return TRUE;
      if (n < 0)
        {
          gd_perror (error, "inotify read");
          return FALSE;
        }
      if (n == 0)
        return TRUE;
      for (char *p = buf; p < buf + n;)
        {
          const struct inotify_event *ev = (const struct inotify_event *) p;
          func (ev, data);
          total += 24 + (ev->len ? strlen (ev->name) : 0);
          p += sizeof *ev + ev->len;
        }
    }
  return TRUE;
}

static void
collect_event (const struct inotify_event *ev, gpointer data)
{
  GArray *events = data;
  gd_inotify_event e = {
    .in_wd = ev->wd,
    .in_mask = ev->mask,
    .in_cookie = ev->cookie,
    .in_name = g_strdup (ev->len ? ev->name : ""),
  };
  g_array_append_val (events, e);
}

gboolean
gd_do_inotify_read (GdRequest *req, gd_inotify_event_list *ret, GError **error)
{
  Inotify *in = get_inotify (req, error);
  if (in == NULL)
    return FALSE;
  GArray *events = g_array_new (FALSE, TRUE, sizeof (gd_inotify_event));
  if (!read_events (in, MAX_READ_BYTES, collect_event, events, error))
    {
      for (guint i = 0; i < events->len; i++)
        g_free (g_array_index (events, gd_inotify_event, i).in_name);
      g_array_unref (events);
      return FALSE;
    }
  ret->gd_inotify_event_list_len = events->len;
  ret->gd_inotify_event_list_val = (gd_inotify_event *) g_array_free (events, events->len == 0);
  return TRUE;
}

static void
collect_name (const struct inotify_event *ev, gpointer data)
{
  if (ev->len && ev->name[0])
    g_hash_table_add (data, g_strdup (ev->name));
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

gboolean
gd_do_inotify_files (GdRequest *req, char ***ret, GError **error)
{
  Inotify *in = get_inotify (req, error);
  if (in == NULL)
    return FALSE;
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* Everything queued, however much. */
  if (!read_events (in, G_MAXSIZE, collect_name, names, error))
    return FALSE;
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, names);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_ptr_array_add (list, g_strdup (key));
  g_ptr_array_sort (list, compare_strings);
  g_ptr_array_add (list, NULL);
  *ret = (char **) g_ptr_array_free (list, FALSE);
  return TRUE;
}

gboolean
gd_do_inotify_close (GdRequest *req, GError **error)
{
  if (get_inotify (req, error) == NULL)
    return FALSE;
  gd_conn_set_data (gd_request_connection (req), INOTIFY_KEY, NULL, NULL);
  return TRUE;
}
