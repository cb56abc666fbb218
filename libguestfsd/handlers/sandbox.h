/* libguestfsd handlers: the sandbox in which host mode runs the guest's
 * own programs (command, sh ...).  See sandbox.c for what it isolates.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <sys/types.h>

#include "gd-private.h"

G_BEGIN_DECLS

typedef struct
{
  pid_t pid;  /* the sandbox's init (PID 1 inside), a child of the daemon */
  int report; /* read end of init's report: setup failures, the exit status */
} GdSandbox;

/* Starts argv (found on PATH inside the guest) in a sandbox whose root is
 * the sysroot, with the given fds as its stdin, stdout and stderr (the
 * caller keeps its own copies).  The request's umask and network flag
 * apply. */
gboolean gd_sandbox_spawn (GdRequest *req, const char *const *argv, int stdin_fd, int stdout_fd,
                           int stderr_fd, GdSandbox *sb, GError **error);
/* Ends the sandbox now: everything in it is killed. */
void gd_sandbox_kill (GdSandbox *sb);
/* Waits for the sandbox to end and gives the command's wait status (as
 * waitpid(2) does), or the init's when the sandbox was killed.  Failing to
 * set the sandbox up is an error. */
gboolean gd_sandbox_wait (GdSandbox *sb, int *wstatus, GError **error);

G_END_DECLS
