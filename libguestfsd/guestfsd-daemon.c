/* libguestfsd: the public daemon object.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-channel.h"
#include "gd-devices.h"
#include "gd-engine.h"
#include "gd-tls.h"

/**
 * SECTION:guestfsd-daemon
 * @title: GuestfsdDaemon
 * @short_description: serve the libguestfs daemon protocol on a channel
 *
 * A #GuestfsdDaemon holds the configuration of a daemon (sysroot, mode,
 * drives) and serves connections from the libguestfs library, one request
 * at a time, on a file descriptor or a channel path.
 */

struct _GuestfsdDaemon
{
  GObject parent_instance;
  char *sysroot; /* NULL: the default for the mode */
  gboolean live;
  gboolean verbose;
  gboolean network;
  GdDeviceTable *devices;
  gboolean host_mode; /* drives were given: never look at /sys/block */
  gboolean discovered;
  GdPolicy *policy;
  GdTls *tls; /* NULL: sockets are plain */
  gboolean plaintext_loopback;
};

G_DEFINE_TYPE (GuestfsdDaemon, guestfsd_daemon, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_SYSROOT,
  PROP_LIVE,
  PROP_VERBOSE,
  PROP_NETWORK,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

GQuark
guestfsd_error_quark (void)
{
  return g_quark_from_static_string ("guestfsd-error-quark");
}

const gchar *
guestfsd_version_string (void)
{
  return PACKAGE_VERSION;
}

static void
guestfsd_daemon_finalize (GObject *object)
{
  GuestfsdDaemon *self = GUESTFSD_DAEMON (object);
  g_free (self->sysroot);
  gd_device_table_free (self->devices);
  gd_policy_free (self->policy);
  gd_tls_free (self->tls);
  G_OBJECT_CLASS (guestfsd_daemon_parent_class)->finalize (object);
}

static void
guestfsd_daemon_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GuestfsdDaemon *self = GUESTFSD_DAEMON (object);
  switch (prop_id)
    {
    case PROP_SYSROOT:
      g_value_set_string (value, guestfsd_daemon_get_sysroot (self));
      break;
    case PROP_LIVE:
      g_value_set_boolean (value, self->live);
      break;
    case PROP_VERBOSE:
      g_value_set_boolean (value, self->verbose);
      break;
    case PROP_NETWORK:
      g_value_set_boolean (value, self->network);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
guestfsd_daemon_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  GuestfsdDaemon *self = GUESTFSD_DAEMON (object);
  switch (prop_id)
    {
    case PROP_SYSROOT:
      guestfsd_daemon_set_sysroot (self, g_value_get_string (value));
      break;
    case PROP_LIVE:
      guestfsd_daemon_set_live (self, g_value_get_boolean (value));
      break;
    case PROP_VERBOSE:
      guestfsd_daemon_set_verbose (self, g_value_get_boolean (value));
      break;
    case PROP_NETWORK:
      guestfsd_daemon_set_network (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
guestfsd_daemon_class_init (GuestfsdDaemonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->finalize = guestfsd_daemon_finalize;
  object_class->get_property = guestfsd_daemon_get_property;
  object_class->set_property = guestfsd_daemon_set_property;

  /**
   * GuestfsdDaemon:sysroot:
   *
   * The directory where guest filesystems are mounted.
   */
  props[PROP_SYSROOT] =
      g_param_spec_string ("sysroot", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * GuestfsdDaemon:live:
   *
   * Live mode (guestfsd -r): work on "/" and leave filesystems mounted.
   */
  props[PROP_LIVE] =
      g_param_spec_boolean ("live", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * GuestfsdDaemon:verbose:
   *
   * Log each request and each helper program run to stderr.
   */
  props[PROP_VERBOSE] = g_param_spec_boolean ("verbose", NULL, NULL, FALSE,
                                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * GuestfsdDaemon:network:
   *
   * Give commands run in the guest the appliance's network configuration.
   */
  props[PROP_NETWORK] = g_param_spec_boolean ("network", NULL, NULL, FALSE,
                                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
guestfsd_daemon_init (GuestfsdDaemon *self)
{
  self->devices = gd_device_table_new ();
  self->policy = gd_policy_new ();
}

/**
 * guestfsd_daemon_new:
 *
 * Creates a daemon in appliance mode: sysroot /sysroot, disks found in
 * /sys/block.  Set a sysroot or add drives to serve a host instead.
 *
 * Returns: (transfer full): a new #GuestfsdDaemon
 */
GuestfsdDaemon *
guestfsd_daemon_new (void)
{
  return g_object_new (GUESTFSD_TYPE_DAEMON, NULL);
}

/**
 * guestfsd_daemon_set_sysroot:
 * @self: a #GuestfsdDaemon
 * @sysroot: (nullable): an existing directory, or %NULL for the default
 *
 * Sets where guest filesystems are mounted.  The default is /sysroot, or
 * / in live mode.  Setting a sysroot also stops the daemon from looking
 * for disks in /sys/block: only added drives are served.
 */
void
guestfsd_daemon_set_sysroot (GuestfsdDaemon *self, const gchar *sysroot)
{
  g_return_if_fail (GUESTFSD_IS_DAEMON (self));
  g_free (self->sysroot);
  self->sysroot = g_strdup (sysroot);
  if (sysroot != NULL)
    self->host_mode = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SYSROOT]);
}

/**
 * guestfsd_daemon_get_sysroot:
 * @self: a #GuestfsdDaemon
 *
 * Returns: the sysroot in effect
 */
const gchar *
guestfsd_daemon_get_sysroot (GuestfsdDaemon *self)
{
  g_return_val_if_fail (GUESTFSD_IS_DAEMON (self), NULL);
  if (self->sysroot != NULL)
    return self->sysroot;
  return self->live ? "/" : GUESTFSD_DEFAULT_SYSROOT;
}

/**
 * guestfsd_daemon_set_live:
 * @self: a #GuestfsdDaemon
 * @live: whether to run in live mode
 *
 * Live mode is guestfsd's -r: the sysroot defaults to / and filesystems
 * are left mounted when the connection ends.
 */
void
guestfsd_daemon_set_live (GuestfsdDaemon *self, gboolean live)
{
  g_return_if_fail (GUESTFSD_IS_DAEMON (self));
  self->live = live;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LIVE]);
}

/**
 * guestfsd_daemon_get_live:
 * @self: a #GuestfsdDaemon
 *
 * Returns: whether live mode is on
 */
gboolean
guestfsd_daemon_get_live (GuestfsdDaemon *self)
{
  g_return_val_if_fail (GUESTFSD_IS_DAEMON (self), FALSE);
  return self->live;
}

/**
 * guestfsd_daemon_set_verbose:
 * @self: a #GuestfsdDaemon
 * @verbose: whether to log to stderr
 */
void
guestfsd_daemon_set_verbose (GuestfsdDaemon *self, gboolean verbose)
{
  g_return_if_fail (GUESTFSD_IS_DAEMON (self));
  self->verbose = verbose;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_VERBOSE]);
}

/**
 * guestfsd_daemon_get_verbose:
 * @self: a #GuestfsdDaemon
 *
 * Returns: whether verbose logging is on
 */
gboolean
guestfsd_daemon_get_verbose (GuestfsdDaemon *self)
{
  g_return_val_if_fail (GUESTFSD_IS_DAEMON (self), FALSE);
  return self->verbose;
}

/**
 * guestfsd_daemon_set_network:
 * @self: a #GuestfsdDaemon
 * @network: whether the appliance has a network
 */
void
guestfsd_daemon_set_network (GuestfsdDaemon *self, gboolean network)
{
  g_return_if_fail (GUESTFSD_IS_DAEMON (self));
  self->network = network;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_NETWORK]);
}

/**
 * guestfsd_daemon_get_network:
 * @self: a #GuestfsdDaemon
 *
 * Returns: whether network mode is on
 */
gboolean
guestfsd_daemon_get_network (GuestfsdDaemon *self)
{
  g_return_val_if_fail (GUESTFSD_IS_DAEMON (self), FALSE);
  return self->network;
}

/**
 * guestfsd_daemon_add_drive:
 * @self: a #GuestfsdDaemon
 * @path: an image file or a block device
 * @readonly: attach the image read-only
 * @error: return location for a #GError
 *
 * Adds the next drive: the first is the guest's /dev/sda, the second
 * /dev/sdb, and so on.  An image file is attached to a free loop device
 * (with partition scanning) until the daemon is shut down.
 *
 * Returns: %TRUE on success
 */
gboolean
guestfsd_daemon_add_drive (GuestfsdDaemon *self, const gchar *path, gboolean readonly,
                           GError **error)
{
  g_return_val_if_fail (GUESTFSD_IS_DAEMON (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  self->host_mode = TRUE;
  return gd_device_table_add_drive (self->devices, path, readonly, error);
}

/**
 * guestfsd_daemon_get_drives:
 * @self: a #GuestfsdDaemon
 *
 * Returns: (transfer full): the host nodes of the drives, in guest order
 */
gchar **
guestfsd_daemon_get_drives (GuestfsdDaemon *self)
{
  g_return_val_if_fail (GUESTFSD_IS_DAEMON (self), NULL);
  guint n = gd_device_table_n_drives (self->devices);
  gchar **out = g_new0 (gchar *, n + 1);
  for (guint i = 0; i < n; i++)
    out[i] = g_strdup (gd_device_table_node (self->devices, i));
  return out;
}

#define UDEV_CONTROL "/run/udev/control"
#define UDEV_DIR "/run/udev"
#define UDEV_QUEUE "queue"
#define SETTLE_TIMEOUT_MS 30000

/* Lets udev finish creating nodes for the disks before we list them.
 * systemd-udevd keeps /run/udev/queue while it has events to process, so
 * instead of running "udevadm settle" (a fork and exec of a large program
 * on every start, several milliseconds) we look at that file and, only when
 * it exists, wait for its removal. */
static void
settle_devices (void)
{
  if (access (UDEV_CONTROL, F_OK) < 0)
    return; /* no udevd: nothing will create nodes behind our back */
  if (access (UDEV_DIR "/" UDEV_QUEUE, F_OK) < 0 && errno == ENOENT)
    return;

  int ifd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (ifd < 0 || inotify_add_watch (ifd, UDEV_DIR, IN_DELETE | IN_MOVED_FROM) < 0)
    {
      if (ifd >= 0)
        close (ifd);
      /* Cannot watch: let udevadm do the waiting. */
      gd_udev_settle ();
      return;
    }
  gint64 deadline = g_get_monotonic_time () + SETTLE_TIMEOUT_MS * 1000;
  /* Checked again after the watch is in place, so a removal in between is
   * not missed. */
  while (access (UDEV_DIR "/" UDEV_QUEUE, F_OK) == 0)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      if (left <= 0)
        break;
      struct pollfd pfd = { .fd = ifd, .events = POLLIN };
      if (poll (&pfd, 1, (int) MIN (left, 1000)) > 0)
        {
          char buf[4096] __attribute__ ((aligned (__alignof__(struct inotify_event))));
          while (read (ifd, buf, sizeof buf) > 0)
            ;
        }
    }
  close (ifd);
}

static GdConfig
connection_config (GuestfsdDaemon *self, const char *peer)
{
  if (!self->host_mode && !self->discovered)
    {
      settle_devices ();
      /* A running guest's root disk is one of its disks; the appliance's
       * is not. */
      gd_device_table_discover (self->devices, self->live);
      self->discovered = TRUE;
    }
  GdConfig cfg = {
    .sysroot = (char *) guestfsd_daemon_get_sysroot (self),
    .live = self->live,
    .network = self->network,
    .verbose = self->verbose,
    .host_mode = self->host_mode,
    .devices = self->devices,
    .policy = gd_policy_is_open (self->policy) ? NULL : self->policy,
    .peer = (char *) peer,
  };
  return cfg;
}

/* Serves one client on t (taken) and drops everything it left behind:
 * its connection data (inotify, Augeas, hives, yara rules ...) goes with
 * the connection; filesystems are unmounted unless in live mode. */
static gboolean
serve_transport (GuestfsdDaemon *self, GdTransport *t, const char *peer, GError **error)
{
  GdConfig cfg = connection_config (self, peer);
  g_autoptr (GdConnection) conn = gd_connection_new_transport (&cfg, t);
  gboolean ok = gd_connection_serve (conn, error);

  /* Whatever happened, leave no data in caches and nothing mounted. */
  g_autoptr (GError) umount_error = NULL;
  if (!gd_umount_all (conn, &umount_error))
    g_printerr ("guestfsd: %s\n", umount_error->message);
  sync ();
  return ok;
}

/**
 * guestfsd_daemon_serve_fd:
 * @self: a #GuestfsdDaemon
 * @fd: a connected channel (socket, virtio-serial port, pipe pair end)
 * @error: return location for a #GError
 *
 * Sends the launch flag on @fd and serves requests until the client
 * closes the channel or calls internal_exit.  Blocks.  @fd is not closed.
 * Unless in live mode, everything mounted under the sysroot is unmounted
 * (and the disks synced) before returning.
 *
 * Returns: %TRUE when the connection ended cleanly
 */
gboolean
guestfsd_daemon_serve_fd (GuestfsdDaemon *self, gint fd, GError **error)
{
  g_return_val_if_fail (GUESTFSD_IS_DAEMON (self), FALSE);
  g_return_val_if_fail (fd >= 0, FALSE);
  return serve_transport (self, gd_transport_new (fd), NULL, error);
}

/* One accepted client: TLS first if configured, then the protocol. */
static gboolean
serve_accepted (GuestfsdDaemon *self, int fd, const char *peer, GError **error)
{
  GdTransport *t;
  g_autofree char *who = NULL;
  if (self->tls != NULL)
    {
      t = gd_tls_accept (self->tls, fd, &who, error);
      if (t == NULL)
        return FALSE;
    }
  else
    t = gd_transport_new (fd);
  g_autofree char *desc = who ? g_strdup_printf ("%s, %s", peer, who) : g_strdup (peer);
  if (self->live || self->verbose || !gd_policy_is_open (self->policy))
    g_printerr ("guestfsd: client connected (%s)\n", desc);
  gboolean ok = serve_transport (self, t, desc, error);
  if (self->live || self->verbose || !gd_policy_is_open (self->policy))
    g_printerr ("guestfsd: client disconnected (%s)\n", desc);
  return ok;
}

/* Serves the clients of a listening socket: in live mode one after the
 * other until told to stop, otherwise the first one only (the socket
 * file is then removed as soon as it is accepted, as before). */
static gboolean
serve_listener (GuestfsdDaemon *self, int lfd, const char *unix_path, GError **error)
{
  for (;;)
    {
      g_autofree char *peer = NULL;
      g_autoptr (GError) local = NULL;
      int fd = gd_channel_accept (lfd, &peer, &local);
      if (fd < 0)
        {
          if (local == NULL)
            return TRUE; /* told to stop */
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (!self->live)
        {
          if (unix_path)
            unlink (unix_path);
          gboolean ok = serve_accepted (self, fd, peer, error);
          close (fd);
          return ok;
        }
      if (!serve_accepted (self, fd, peer, &local))
        g_printerr ("guestfsd: %s: %s\n", peer, local->message);
      close (fd);
      if (gd_transport_stop_requested ())
        return TRUE;
    }
}

/* A virtio-serial port in live mode: a host program opening the other
 * end is a client; closing it ends the client. */
static gboolean
serve_port (GuestfsdDaemon *self, int fd, const char *path, GError **error)
{
  if (!self->live)
    return serve_transport (self, gd_transport_new (fd), NULL, error);
  struct stat st;
  gboolean port = fstat (fd, &st) == 0 && S_ISCHR (st.st_mode);
  for (;;)
    {
      if (port && !gd_channel_wait_for_host (fd))
        return TRUE;
      g_printerr ("guestfsd: client connected (%s)\n", path);
      g_autoptr (GError) local = NULL;
      gboolean ok = serve_transport (self, gd_transport_new (fd), path, &local);
      g_printerr ("guestfsd: client disconnected (%s)\n", path);
      if (!port || gd_transport_stop_requested ())
        {
          if (!ok)
            g_propagate_error (error, g_steal_pointer (&local));
          return ok;
        }
      if (!ok)
        g_printerr ("guestfsd: %s: %s\n", path, local->message);
      /* Bytes the last client sent after its final request must not be
       * read by the next as the start of a message. */
      gd_channel_drain (fd);
    }
}

/**
 * guestfsd_daemon_serve_channel:
 * @self: a #GuestfsdDaemon
 * @channel: (nullable): a path, "fd:N", "unix:PATH", "vsock:PORT" or
 *   "tcp:HOST:PORT"; %NULL for the virtio-serial port
 * @listen: a plain path is a Unix socket to create and listen on
 * @error: return location for a #GError
 *
 * Opens the channel and serves it as guestfsd_daemon_serve_fd() does.
 * On a socket (or an inherited listening fd) the first client is served,
 * or in live mode every client, one after the other, until
 * guestfsd_request_stop(); a Unix socket file is removed at the end.  A
 * virtio-serial port in live mode is served again each time a host
 * program opens it.
 *
 * Returns: %TRUE when the connection ended cleanly
 */
gboolean
guestfsd_daemon_serve_channel (GuestfsdDaemon *self, const gchar *channel, gboolean listen,
                               GError **error)
{
  g_return_val_if_fail (GUESTFSD_IS_DAEMON (self), FALSE);
  if (channel == NULL)
    channel = GUESTFSD_DEFAULT_CHANNEL;
  GdChannel ch;
  if (!gd_channel_parse (channel, listen, &ch, error))
    return FALSE;
  gboolean ok = FALSE;
  switch (ch.kind)
    {
    case GD_CHANNEL_FD:
      /* Helper programs must not inherit the channel: a long-lived one (a
       * FUSE server) would keep the client from seeing us go away. */
      fcntl (ch.fd, F_SETFD, fcntl (ch.fd, F_GETFD) | FD_CLOEXEC);
      if (gd_channel_fd_is_listening (ch.fd))
        ok = serve_listener (self, ch.fd, NULL, error);
      else
        ok = serve_transport (self, gd_transport_new (ch.fd), NULL, error);
      break;
    case GD_CHANNEL_DEVICE:
      {
        int fd = gd_channel_open_device (ch.path, error);
        if (fd >= 0)
          {
            ok = serve_port (self, fd, ch.path, error);
            close (fd);
          }
        break;
      }
    default:
      {
        int lfd = gd_channel_listen (&ch, self->tls != NULL, self->plaintext_loopback, error);
        if (lfd < 0)
          break;
        ok = serve_listener (self, lfd, ch.path, error);
        close (lfd);
        if (ch.kind == GD_CHANNEL_UNIX)
          unlink (ch.path);
        break;
      }
    }
  gd_channel_clear (&ch);
  return ok;
}

/**
 * guestfsd_request_stop:
 *
 * Tells every daemon of the process to stop: the client being served is
 * cut off and listening ends.  Async-signal-safe: call it from a SIGTERM
 * handler installed without SA_RESTART.
 */
void
guestfsd_request_stop (void)
{
  gd_transport_request_stop ();
}

/**
 * guestfsd_daemon_set_read_only:
 * @self: a #GuestfsdDaemon
 * @read_only: refuse every procedure that can change the guest
 *
 * Which procedures can change the guest comes from the procedure
 * description; they are refused with EPERM.
 */
void
guestfsd_daemon_set_read_only (GuestfsdDaemon *self, gboolean read_only)
{
  g_return_if_fail (GUESTFSD_IS_DAEMON (self));
  gd_policy_set_read_only (self->policy, read_only);
}

/**
 * guestfsd_daemon_set_rpc_policy:
 * @self: a #GuestfsdDaemon
 * @allow: (nullable) (array zero-terminated=1): the only procedures or
 *   optional groups served, or %NULL for all
 * @block: (nullable) (array zero-terminated=1): procedures or optional
 *   groups refused, or %NULL for none
 * @error: return location for a #GError
 *
 * Names are procedure names (see guestfsd_list_procedures(); guestfish's
 * spelling with '-' is accepted) or optional group names ("@NAME" is
 * always a group).  ping_daemon, internal_autosync and internal_exit are
 * always allowed unless blocked.  Refused calls fail with EPERM.
 *
 * Returns: %FALSE if a name is unknown
 */
gboolean
guestfsd_daemon_set_rpc_policy (GuestfsdDaemon *self, const gchar *const *allow,
                                const gchar *const *block, GError **error)
{
  g_return_val_if_fail (GUESTFSD_IS_DAEMON (self), FALSE);
  return gd_policy_set_allow (self->policy, allow, error) &&
         gd_policy_set_block (self->policy, block, error);
}

/**
 * guestfsd_daemon_set_tls:
 * @self: a #GuestfsdDaemon
 * @psk_file: (nullable): a pre-shared key file (psktool's format)
 * @certs_dir: (nullable): a directory with ca-cert.pem, server-cert.pem
 *   and server-key.pem; clients need a certificate signed by the CA
 * @error: return location for a #GError
 *
 * Clients accepted on sockets from now on must complete a TLS handshake
 * with these credentials.  At most one of @psk_file and @certs_dir.
 *
 * Returns: %FALSE if the credentials cannot be loaded
 */
gboolean
guestfsd_daemon_set_tls (GuestfsdDaemon *self, const gchar *psk_file, const gchar *certs_dir,
                         GError **error)
{
  g_return_val_if_fail (GUESTFSD_IS_DAEMON (self), FALSE);
  if (psk_file != NULL && certs_dir != NULL)
    {
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_INVALID_ARGUMENT,
                   "TLS: give either a PSK file or a certificate directory, not both");
      return FALSE;
    }
  GdTls *tls = NULL;
  if (psk_file != NULL && (tls = gd_tls_new_psk (psk_file, error)) == NULL)
    return FALSE;
  if (certs_dir != NULL && (tls = gd_tls_new_x509 (certs_dir, error)) == NULL)
    return FALSE;
  g_clear_pointer (&self->tls, gd_tls_free);
  self->tls = tls;
  return TRUE;
}

/**
 * guestfsd_daemon_set_tcp_plaintext_loopback:
 * @self: a #GuestfsdDaemon
 * @allow: serve "tcp:" channels without TLS on loopback addresses
 *
 * Without TLS a "tcp:" channel is refused, and with this, still refused
 * unless its host is a loopback address.
 */
void
guestfsd_daemon_set_tcp_plaintext_loopback (GuestfsdDaemon *self, gboolean allow)
{
  g_return_if_fail (GUESTFSD_IS_DAEMON (self));
  self->plaintext_loopback = allow;
}

/**
 * guestfsd_daemon_shutdown:
 * @self: a #GuestfsdDaemon
 *
 * Detaches the drives that the daemon attached to loop devices.  The
 * daemon has no drives afterwards.
 */
void
guestfsd_daemon_shutdown (GuestfsdDaemon *self)
{
  g_return_if_fail (GUESTFSD_IS_DAEMON (self));
  gd_device_table_free (self->devices);
  self->devices = gd_device_table_new ();
  self->discovered = FALSE;
}

/**
 * guestfsd_parse_kernel_cmdline:
 * @cmdline: the contents of /proc/cmdline
 * @verbose: (out): set to %TRUE if guestfs_verbose=1 is present
 * @network: (out): set to %TRUE if guestfs_network=1 is present
 * @channel: (out) (transfer full) (nullable): the guestfs_channel= value
 *
 * Reads the flags that the libguestfs library puts on the appliance's
 * kernel command line.
 *
 * Returns: %TRUE if any flag was found
 */
gboolean
guestfsd_parse_kernel_cmdline (const gchar *cmdline, gboolean *verbose, gboolean *network,
                               gchar **channel)
{
  g_return_val_if_fail (cmdline != NULL, FALSE);
  gboolean found = FALSE;
  *verbose = FALSE;
  *network = FALSE;
  *channel = NULL;
  g_auto (GStrv) words = g_strsplit_set (cmdline, " \t\n", -1);
  for (char **w = words; *w; w++)
    {
      if (strcmp (*w, "guestfs_verbose=1") == 0)
        {
          *verbose = TRUE;
          found = TRUE;
        }
      else if (strcmp (*w, "guestfs_network=1") == 0)
        {
          *network = TRUE;
          found = TRUE;
        }
      else if (g_str_has_prefix (*w, "guestfs_channel=") && (*w)[16] != '\0')
        {
          g_free (*channel);
          *channel = g_strdup (*w + 16);
          found = TRUE;
        }
    }
  return found;
}

/**
 * guestfsd_list_procedures:
 * @implemented_only: list only procedures that have a handler
 *
 * Returns: (transfer full): procedure names in procedure-number order
 */
gchar **
guestfsd_list_procedures (gboolean implemented_only)
{
  GPtrArray *names = g_ptr_array_new ();
  for (size_t i = 0;; i++)
    {
      const GdProcedure *p = gd_procedure_nth (i);
      if (p == NULL)
        break;
      if (!implemented_only || p->handler != NULL)
        g_ptr_array_add (names, g_strdup (p->name));
    }
  g_ptr_array_add (names, NULL);
  return (gchar **) g_ptr_array_free (names, FALSE);
}
