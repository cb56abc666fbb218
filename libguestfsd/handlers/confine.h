/* libguestfsd handlers: confined children and streaming helper programs,
 * shared by the file-content, archive and copy handlers.
 *
 * A confined child is a forked copy of the daemon that has chrooted into
 * the sysroot before running one of our C functions, so plain POSIX calls
 * on guest paths resolve exactly as the guest would see them and can never
 * reach the host.  The child reports a failure (errno + message) through a
 * memfd, so the parent can turn it into a proper error reply.
 *
 * A helper program is a host program (gzip, lzop, file ...) whose stdin
 * and stdout are fds the handler chose (gd_child_spawn, gd_run_full): it
 * never sees a guest path name.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include "gd-private.h"

G_BEGIN_DECLS

/* ---- in a confined child ---------------------------------------------- */

/* Records a failure for the parent; returns the exit status to return
 * from the child function (1).  errnum may be 0. */
int gdc_fail (int errnum, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Like gdc_fail, with ": strerror(errno)" appended and errno sent. */
int gdc_fail_errno (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
/* Records a failure unless one is recorded already (for "first error
 * wins" loops that go on after a failure). */
void gdc_note (int errnum, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Whether gdc_note/gdc_fail recorded anything. */
gboolean gdc_noted (void);
/* write(2) until done; FALSE with errno set on failure. */
gboolean gdc_write_all (int fd, const void *buf, size_t len);
/* The names in directory dfd (which may be an O_PATH fd), without "." and
 * "..", read in full before anything is done with them (removing entries
 * while reading may skip some).  NULL with errno set on failure. */
GPtrArray *gdc_dir_names (int dfd);

/* ---- in the daemon ----------------------------------------------------- */

typedef int (*GdcFunc) (gpointer data);

typedef enum
{
  GDC_DEFAULT = 0,
  GDC_STDIN_SOCKET = 1 << 0, /* child->in: a socket the parent writes */
  GDC_STDOUT_PIPE = 1 << 1,  /* child->out: a pipe the parent reads */
} GdcFlags;

typedef struct
{
  pid_t pid;
  int in;     /* the parent's end of the child's stdin, or -1 */
  int out;    /* the parent's end of the child's stdout, or -1 */
  int report; /* memfd with the child's failure report */
  char *what; /* for messages when the child dies without a report */
} GdcChild;

/* Forks a child chrooted into the sysroot that runs func (data) and exits
 * with its return value.  Without the flags, stdin_fd/stdout_fd become
 * the child's stdin/stdout (-1: /dev/null).  The child closes every other
 * fd of the daemon except keep_fd (-1: none), e.g. a directory fd from
 * gd_open to fchdir(2) to. */
gboolean gdc_spawn (GdRequest *req, const char *what, GdcFunc func, gpointer data, GdcFlags flags,
                    int keep_fd, int stdin_fd, int stdout_fd, GdcChild *child, GError **error);
/* Closes the parent's ends, reaps the child and turns its report (or its
 * exit status) into an error. */
gboolean gdc_wait (GdcChild *child, GError **error);
/* Error paths: kills the child, reaps it, frees everything. */
void gdc_abort (GdcChild *child);

/* Runs func confined with stdin_fd (-1: /dev/null) as its stdin and
 * collects its stdout (into *out when out is not NULL, at most max_out
 * bytes: more is E2BIG), sending pulse progress while it runs when pulse
 * is TRUE. */
gboolean gdc_run (GdRequest *req, const char *what, GdcFunc func, gpointer data, int keep_fd,
                  int stdin_fd, gboolean pulse, GByteArray **out, gsize max_out, GError **error);

/* Sends a FileIn stream to fd (a socket: a reader that went away gives
 * EPIPE, never SIGPIPE). */
gboolean gdc_filein_to_socket (GdRequest *req, int fd, GError **error);

/* Opens a guest file to read its content (as a helper's stdin, say): a
 * regular file, after following symlinks in the guest.  Directories are
 * EISDIR; device nodes, FIFOs and sockets are EINVAL and are never opened,
 * since a device node in a guest names a device of this system.  st (may
 * be NULL) gets the file's stat. */
int gdc_open_file (GdRequest *req, const char *path, struct stat *st, GError **error);

/* Opens a guest file for writing from the start: truncates an existing
 * regular file (following symlinks in the guest), creates a missing one
 * with mode & ~umask, and refuses to open anything else. */
int gdc_create_file (GdRequest *req, const char *path, mode_t mode, GError **error);

/* What a reply can carry, about: the protocol's message limit. */
#define GDC_MAX_RESULT (4 * 1024 * 1024)

/* A pipe with both ends O_CLOEXEC. */
gboolean gdc_pipe (int fds[2], GError **error);

/* ---- libarchive compression filters ------------------------------------ */

struct archive;
typedef struct _GdcFilter GdcFilter;

/* A compression type by the name clients use ("gzip", "xz", "lzop" ...),
 * or NULL when unknown. */
const GdcFilter *gdc_filter_lookup (const char *name);
/* Whether libarchive does it in process (no external program: a confined
 * child must never exec one, it would run the guest's). */
gboolean gdc_filter_read_native (const GdcFilter *f);
gboolean gdc_filter_write_native (const GdcFilter *f);
/* The host program and its arguments for the other cases. */
const char *const *gdc_filter_compress_argv (const GdcFilter *f);
const char *const *gdc_filter_decompress_argv (const GdcFilter *f);
int gdc_filter_read_add (struct archive *a, const GdcFilter *f);
int gdc_filter_write_add (struct archive *a, const GdcFilter *f);
/* Enables reading every compression libarchive does in process. */
void gdc_read_support_native_filters (struct archive *a);

G_END_DECLS
