/* libguestfsd handlers: confined worker processes.
 *
 * Some libraries (Augeas, sd-journal, hivex) open guest files by name,
 * following symlinks as the host sees them.  Their handles therefore live
 * in a forked child that chroots into the sysroot to open files (and may
 * leave it again when it keeps none open), and the handlers talk to it
 * with small messages over a socketpair.  A crash in the library
 * kills only the worker (the next call says so), and dropping the worker
 * (SIGKILL) can never block.
 *
 * Messages are sequences of items: 64-bit integers, strings (which may be
 * NULL, and may hold any bytes).  A reply starts with a status (0 = OK, an
 * errno value, or -1 = an error without errno) and a message (NULL when
 * OK), followed by the results.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gd-private.h"

typedef struct _GdWorker GdWorker;
typedef struct _GdWorkerChild GdWorkerChild;

typedef struct
{
  GByteArray *buf;
  size_t pos; /* read position */
} GdWmsg;

GdWmsg *gd_wmsg_new (void);
void gd_wmsg_free (GdWmsg *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdWmsg, gd_wmsg_free)
void gd_wmsg_int (GdWmsg *m, gint64 v);
void gd_wmsg_str (GdWmsg *m, const char *s); /* s may be NULL */
void gd_wmsg_bytes (GdWmsg *m, const void *p, size_t len);
/* Readers: FALSE when the next item is missing or of another kind.  A
 * string is borrowed from the message (NUL-terminated; NULL for a NULL
 * item); len may be NULL. */
gboolean gd_wmsg_get_int (GdWmsg *m, gint64 *v);
gboolean gd_wmsg_get_str (GdWmsg *m, const char **s, size_t *len);

/* Replies, in the child. */
GdWmsg *gd_wmsg_ok (void);
GdWmsg *gd_wmsg_error (int errnum, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* An error reply for errno after what failed: "WHAT: strerror(errno)". */
GdWmsg *gd_wmsg_errno (const char *what);

/* The child's main function, called right after fork: it may prepare
 * (load what it needs from the host), then calls gd_worker_child_chroot,
 * sends one reply saying whether it started, and serves requests until
 * gd_worker_child_recv returns NULL.  Returns the exit status. */
typedef int (*GdWorkerMain) (GdWorkerChild *wc, gpointer data);

/* Enter the sysroot (as mounted now), and leave it for the host's root:
 * a worker that keeps no guest file open between requests leaves it, so
 * that it does not keep the guest's filesystems busy.  FALSE with errno
 * set. */
gboolean gd_worker_child_chroot (GdWorkerChild *wc);
gboolean gd_worker_child_leave (GdWorkerChild *wc);
GdWmsg *gd_worker_child_recv (GdWorkerChild *wc);                 /* NULL at end */
gboolean gd_worker_child_send (GdWorkerChild *wc, GdWmsg *reply); /* frees reply */
/* Start-up failed: sends reply (an error) as the first reply, and returns
 * the exit status (1). */
int gd_worker_child_fail (GdWorkerChild *wc, GdWmsg *reply);
/* Started: sends the first (OK) reply, then answers each request with
 * serve (wc, request, data) until the daemon closes the channel.  Returns
 * the exit status. */
typedef GdWmsg *(*GdWorkerServe) (GdWorkerChild *wc, GdWmsg *request, gpointer data);
int gd_worker_child_serve (GdWorkerChild *wc, GdWorkerServe serve, gpointer data);

/* Starts a worker and waits for its first reply (an error reply is
 * returned as *error).  what names it in messages ("augeas"). */
GdWorker *gd_worker_start (GdRequest *req, const char *what, GdWorkerMain main_func, gpointer data,
                           GError **error);
/* Sends a request and returns the reply positioned after status and
 * message.  An error reply, or a worker that died, sets *error. */
GdWmsg *gd_worker_call (GdWorker *w, GdWmsg *request, GError **error);
/* Whether the worker is still there (it did not die on a request). */
gboolean gd_worker_alive (GdWorker *w);
/* Templates.  A template is a worker that prepared something costly
 * once (Augeas loads its lenses) and then makes workers by forking
 * itself, so each starts prepared in a few milliseconds.  Its main
 * function prepares, sends its first reply, then calls
 * gd_worker_child_serve_template, which runs worker_main in each new
 * worker (a child of the daemon, not of the template) until the daemon
 * drops the template. */
int gd_worker_child_serve_template (GdWorkerChild *wc, GdWorkerMain worker_main, gpointer data);
/* A new worker made by a template; waits for its first reply. */
GdWorker *gd_worker_spawn (GdWorker *template, GError **error);

/* Kills and reaps the worker. */
void gd_worker_free (GdWorker *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdWorker, gd_worker_free)
