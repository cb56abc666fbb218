/* gdt-client: a raw client of the guestfsd protocol, for tests.
 *
 * It frames requests exactly as protocol.md describes (length word, 40-byte
 * header, XDR arguments), and can also send anything else (bad headers,
 * stray flags, broken chunks), so that tests reach every error path of the
 * daemon.  Every read has a timeout: a daemon that hangs makes a test fail
 * instead of blocking forever.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdint.h>

#include <glib.h>
#include <rpc/rpc.h>

#include "gd_protocol.h"

G_BEGIN_DECLS

#define GDT_ERROR (gdt_error_quark ())
GQuark gdt_error_quark (void);

typedef enum
{
  GDT_ERROR_IO,       /* read(2)/write(2) failed */
  GDT_ERROR_EOF,      /* the daemon closed the channel */
  GDT_ERROR_TIMEOUT,  /* nothing arrived in time */
  GDT_ERROR_PROTOCOL, /* the daemon sent something the protocol forbids */
} GdtError;

/* How long a read waits for the daemon. */
#define GDT_TIMEOUT_MS 30000
/* The first serial a client uses, as the real library does. */
#define GDT_FIRST_SERIAL 0x123400

typedef struct
{
  guint32 prog;
  guint32 vers;
  guint32 proc;
  guint32 direction;
  guint32 serial;
  guint64 progress_hint;
  guint64 optargs;
  guint32 status;
} GdtHeader;

typedef struct
{
  guint32 proc;
  guint32 serial;
  guint64 position;
  guint64 total;
  gint64 time_us; /* g_get_monotonic_time () when it was read */
} GdtProgress;

typedef struct _GdtClient GdtClient;

/* Takes ownership of fd. */
GdtClient *gdt_client_new (int fd);
void gdt_client_free (GdtClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdtClient, gdt_client_free)
int gdt_client_fd (GdtClient *c);
/* Closes the client's end for writing: the daemon sees end of stream. */
void gdt_client_shutdown (GdtClient *c);
/* Reads the launch flag. */
gboolean gdt_client_handshake (GdtClient *c, GError **error);
/* The serial the next gdt_send_call() will use. */
guint32 gdt_client_next_serial (GdtClient *c);

/* ---- building and sending ---------------------------------------------- */

/* A CALL header with the given procedure and serial, everything else OK. */
GdtHeader gdt_header_call (guint32 proc, guint32 serial);
void gdt_header_put (guint8 *p, const GdtHeader *h);
void gdt_header_get (const guint8 *p, GdtHeader *h);

/* XDR-encodes args (fn NULL: no arguments) into a new buffer. */
GByteArray *gdt_encode (xdrproc_t fn, void *args);

gboolean gdt_send_raw (GdtClient *c, const void *buf, size_t len, GError **error);
gboolean gdt_send_word (GdtClient *c, guint32 word, GError **error);
/* Length word + header + body. */
gboolean gdt_send_message (GdtClient *c, const GdtHeader *h, const void *body, size_t body_len,
                           GError **error);
/* A well-formed request; returns its serial (0 on error). */
guint32 gdt_send_call (GdtClient *c, guint32 proc, guint64 optargs, guint64 progress_hint,
                       xdrproc_t fn, void *args, GError **error);
/* A FileIn chunk: cancel 0 with data, 0 without data (end), or 1. */
gboolean gdt_send_chunk (GdtClient *c, int cancel, const void *data, size_t len, GError **error);

/* ---- receiving --------------------------------------------------------- */

typedef enum
{
  GDT_ITEM_MESSAGE,  /* a length-prefixed message: data/len is its body */
  GDT_ITEM_CANCEL,   /* the bare cancel flag */
  GDT_ITEM_LAUNCH,   /* the bare launch flag */
  GDT_ITEM_PROGRESS, /* a progress record */
} GdtItemKind;

typedef struct
{
  GdtItemKind kind;
  guint8 *data; /* MESSAGE: the body, g_free it */
  size_t len;
  GdtProgress progress; /* PROGRESS */
} GdtItem;

/* TRUE if something can be read within timeout_ms. */
gboolean gdt_readable (GdtClient *c, int timeout_ms);
/* Reads the next item, waiting up to GDT_TIMEOUT_MS. */
gboolean gdt_read_item (GdtClient *c, GdtItem *item, GError **error);
/* TRUE if the daemon closes the channel within timeout_ms (and sends
 * nothing before). */
gboolean gdt_expect_eof (GdtClient *c, int timeout_ms);

typedef struct
{
  GdtHeader h;
  char *errno_string;  /* status ERROR */
  char *error_message; /* status ERROR */
  guint8 *ret;         /* status OK: the encoded return value */
  size_t ret_len;
  GArray *progress;   /* of GdtProgress, read before the reply */
  guint cancel_flags; /* cancel flags read before the reply */
} GdtReply;

void gdt_reply_free (GdtReply *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdtReply, gdt_reply_free)
/* Reads up to the next reply, recording progress and cancel flags. */
GdtReply *gdt_recv_reply (GdtClient *c, GError **error);
/* Decodes the return value; FALSE unless it decodes and uses every byte. */
gboolean gdt_reply_decode (GdtReply *r, xdrproc_t fn, void *ret);

typedef enum
{
  GDT_CHUNK_DATA,
  GDT_CHUNK_END,
  GDT_CHUNK_CANCEL,
} GdtChunkKind;

/* Reads a FileOut chunk, appending its data to data (may be NULL) and any
 * progress before it to progress (may be NULL).  Returns a GdtChunkKind,
 * or -1 with error set. */
int gdt_recv_chunk (GdtClient *c, GByteArray *data, GArray *progress, GError **error);

/* send_call + recv_reply. */
GdtReply *gdt_call (GdtClient *c, guint32 proc, xdrproc_t fn, void *args, GError **error);
/* ping_daemon must answer OK with the right serial. */
gboolean gdt_ping (GdtClient *c, GError **error);

G_END_DECLS
