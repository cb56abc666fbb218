/* libguestfsd: the protocol engine's own structures, shared by the engine
 * files (gd-conn.c, gd-filexfer.c, gd-progress.c) and nothing else.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gd-devices.h"
#include "gd-policy.h"
#include "gd-private.h"
#include "gd-transport.h"

G_BEGIN_DECLS

#define GD_HEADER_SIZE 40
#define GD_PROGRESS_SIZE 28 /* flag word + 24-byte record */
/* Chunks sent per writev(2) when streaming a FileOut. */
#define GD_CHUNKS_PER_BATCH 32

/* What the daemon object hands to each connection. */
typedef struct
{
  char *sysroot;
  gboolean live;
  gboolean network;
  gboolean verbose;
  /* Serving image files on a host: the guest's device nodes would be the
   * host's devices, so they are never opened. */
  gboolean host_mode;
  GdDeviceTable *devices; /* borrowed from the daemon */
  const GdPolicy *policy; /* borrowed from the daemon; NULL: serve everything */
  char *peer;             /* who the client is, for the log; NULL: unknown */
} GdConfig;

typedef enum
{
  GD_FILEIN_NONE,      /* not a FileIn procedure */
  GD_FILEIN_PENDING,   /* chunks not consumed yet */
  GD_FILEIN_DONE,      /* end chunk seen */
  GD_FILEIN_CANCELLED, /* the client cancelled */
} GdFileinState;

typedef enum
{
  GD_FILEOUT_NONE,      /* not a FileOut procedure */
  GD_FILEOUT_READY,     /* reply not sent yet */
  GD_FILEOUT_STARTED,   /* OK reply sent (or queued), chunks flowing */
  GD_FILEOUT_CANCELLED, /* cancelled by either end: nothing more to send */
} GdFileoutState;

struct _GdConnection
{
  GdConfig cfg;
  GdTransport *t;
  guint64 sysroot_mnt_id; /* mount id of the empty sysroot at start */
  gboolean sysroot_mnt_id_valid;
  /* Caches that stay valid while the mount table does not change: the
   * kernel flags /proc/self/mountinfo (POLLPRI) on every mount or unmount
   * in our namespace, checked on every use (gd_conn_mounts_check). */
  int mountinfo_fd; /* -1: no /proc, nothing is cached */
  int sysroot_fd;   /* O_PATH fd of the sysroot, or -1 */
  int root_mounted; /* gd_is_root_mounted(), or -1: unknown */
  mode_t umask;
  GData *data;
  GArray *umount_keys; /* GQuarks of data dropped by gd_umount_all */
  guint8 *out;         /* reply buffer, GD_MESSAGE_MAX + 4 bytes, allocated lazily */
  gboolean exit_requested;
  gboolean broken; /* the stream lost sync: stop serving */
};

struct _GdRequest
{
  GdConnection *conn;
  const GdProcedure *proc;
  guint32 proc_nr;
  guint32 serial;
  guint64 progress_hint;
  guint64 optargs;
  gint64 start_us;
  gint64 last_progress_us;
  gboolean progress_sent;
  GdFileinState filein;
  GdFileoutState fileout;
  gboolean reply_queued; /* FileOut: the OK reply goes out with the first batch */
  guint8 *staging;       /* FileOut data waiting to be sent as chunks */
  size_t staged;
};

GdConnection *gd_connection_new (const GdConfig *cfg, int fd);
/* Serves on t, which it takes. */
GdConnection *gd_connection_new_transport (const GdConfig *cfg, GdTransport *t);
void gd_connection_free (GdConnection *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdConnection, gd_connection_free)
/* Sends the launch flag and serves requests until end of stream. */
gboolean gd_connection_serve (GdConnection *conn, GError **error);
/* Drops the data set with gd_conn_set_data_until_umount (gd_umount_all). */
void gd_conn_drop_umount_data (GdConnection *conn);

/* Engine internals used across engine files. */
gboolean gd_send_ok_reply (GdRequest *req, GError **error);
void gd_fill_reply_header (GdRequest *req, guint8 *p, gboolean error_status);
gboolean gd_filein_cancel (GdRequest *req, GError **error);
gboolean gd_filein_discard (GdRequest *req, GError **error);
gboolean gd_fileout_finish (GdRequest *req, gboolean success, GError **error);
void gd_request_cleanup (GdRequest *req);
/* Drops the mount-dependent caches when the mount table may have changed
 * since they were filled, or unconditionally. */
void gd_conn_mounts_check (GdConnection *conn);
void gd_conn_mounts_invalidate (GdConnection *conn);
/* Loads the library gd-lazy.c defers that req's group uses (before its
 * handler runs), and libarchive too (gd_lazy_preload, before a confined
 * child is forked): a chrooted child cannot load libraries. */
void gd_lazy_prepare (GdRequest *req);
void gd_lazy_preload (GdRequest *req);
/* FALSE if the group's deferred library cannot be loaded. */
gboolean gd_lazy_available (GdGroup group);

G_END_DECLS
