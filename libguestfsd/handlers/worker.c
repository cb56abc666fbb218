/* libguestfsd handlers: confined worker processes (see worker.h).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker.h"

/* Larger messages are refused (a journal entry read without threshold
 * is the largest thing sent). */
#define MAX_MESSAGE (1u << 30)

enum
{
  ITEM_NULL = 'n',
  ITEM_STR = 's',
  ITEM_INT = 'i',
};

struct _GdWorker
{
  char *what;
  pid_t pid;
  int fd; /* -1 once the worker is gone */
};

struct _GdWorkerChild
{
  int fd;
  const char *sysroot;
  int host_root; /* O_PATH fd of the host's /, to leave the chroot */
};

/* ---- messages ---------------------------------------------------------- */

GdWmsg *
gd_wmsg_new (void)
{
  GdWmsg *m = g_new0 (GdWmsg, 1);
  m->buf = g_byte_array_new ();
  return m;
}

void
gd_wmsg_free (GdWmsg *m)
{
  if (m == NULL)
    return;
  g_byte_array_unref (m->buf);
  g_free (m);
}

void
gd_wmsg_int (GdWmsg *m, gint64 v)
{
  guint8 tag = ITEM_INT;
  g_byte_array_append (m->buf, &tag, 1);
  g_byte_array_append (m->buf, (const guint8 *) &v, sizeof v);
}

void
gd_wmsg_bytes (GdWmsg *m, const void *p, size_t len)
{
  guint8 tag = ITEM_STR;
  guint32 n = (guint32) len;
  static const guint8 nul = 0;
  g_byte_array_append (m->buf, &tag, 1);
  g_byte_array_append (m->buf, (const guint8 *) &n, sizeof n);
  g_byte_array_append (m->buf, p, (guint) len);
  /* Kept NUL-terminated so readers can borrow it as a C string. */
  g_byte_array_append (m->buf, &nul, 1);
}

void
gd_wmsg_str (GdWmsg *m, const char *s)
{
  if (s == NULL)
    {
      guint8 tag = ITEM_NULL;
      g_byte_array_append (m->buf, &tag, 1);
    }
  else
    gd_wmsg_bytes (m, s, strlen (s));
}

gboolean
gd_wmsg_get_int (GdWmsg *m, gint64 *v)
{
  if (m->pos + 1 + sizeof *v > m->buf->len || m->buf->data[m->pos] != ITEM_INT)
    return FALSE;
  memcpy (v, m->buf->data + m->pos + 1, sizeof *v);
  m->pos += 1 + sizeof *v;
  return TRUE;
}

gboolean
gd_wmsg_get_str (GdWmsg *m, const char **s, size_t *len)
{
  if (m->pos >= m->buf->len)
    return FALSE;
  if (m->buf->data[m->pos] == ITEM_NULL)
    {
      m->pos++;
      *s = NULL;
      if (len)
        *len = 0;
      return TRUE;
    }
  guint32 n;
  if (m->buf->data[m->pos] != ITEM_STR || m->pos + 1 + sizeof n > m->buf->len)
    return FALSE;
  memcpy (&n, m->buf->data + m->pos + 1, sizeof n);
  size_t start = m->pos + 1 + sizeof n;
  if (n > m->buf->len - start || start + n >= m->buf->len)
    return FALSE;
  *s = (const char *) m->buf->data + start;
  if (len)
    *len = n;
  m->pos = start + n + 1;
  return TRUE;
}

GdWmsg *
gd_wmsg_ok (void)
{
  GdWmsg *m = gd_wmsg_new ();
  gd_wmsg_int (m, 0);
  gd_wmsg_str (m, NULL);
  return m;
}

GdWmsg *
gd_wmsg_error (int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  GdWmsg *m = gd_wmsg_new ();
  gd_wmsg_int (m, errnum > 0 ? errnum : -1);
  gd_wmsg_str (m, msg);
  g_free (msg);
  return m;
}

GdWmsg *
gd_wmsg_errno (const char *what)
{
  int e = errno;
  return gd_wmsg_error (e, "%s: %s", what, g_strerror (e));
}

/* ---- framing ------------------------------------------------------------ */

static gboolean
send_all (int fd, const void *p, size_t len)
{
  const guint8 *b = p;
  while (len > 0)
    {
      ssize_t r = send (fd, b, len, MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return FALSE;
      b += r;
      len -= (size_t) r;
    }
  return TRUE;
}

/* FALSE with errno 0 at a clean end of stream. */
static gboolean
read_all (int fd, void *p, size_t len)
{
  guint8 *b = p;
  while (len > 0)
    {
      ssize_t r = read (fd, b, len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r == 0)
        errno = 0;
      if (r <= 0)
        return FALSE;
      b += r;
      len -= (size_t) r;
    }
  return TRUE;
}

static gboolean
send_msg (int fd, GdWmsg *m)
{
  guint32 n = m->buf->len;
  return send_all (fd, &n, sizeof n) && send_all (fd, m->buf->data, n);
}

static GdWmsg *
recv_msg (int fd)
{
  guint32 n;
  if (!read_all (fd, &n, sizeof n))
    return NULL;
  if (n > MAX_MESSAGE)
    {
      errno = EMSGSIZE;
      return NULL;
    }
  GdWmsg *m = gd_wmsg_new ();
  g_byte_array_set_size (m->buf, n);
  if (!read_all (fd, m->buf->data, n))
    {
      int e = errno;
      gd_wmsg_free (m);
      errno = e ? e : EPIPE;
      return NULL;
    }
  return m;
}

/* ---- the child ------------------------------------------------------------ */

gboolean
gd_worker_child_chroot (GdWorkerChild *wc)
{
  return chroot (wc->sysroot) == 0 && chdir ("/") == 0;
}

gboolean
gd_worker_child_leave (GdWorkerChild *wc)
{
  return fchdir (wc->host_root) == 0 && chroot (".") == 0 && chdir ("/") == 0;
}

GdWmsg *
gd_worker_child_recv (GdWorkerChild *wc)
{
  return recv_msg (wc->fd);
}

gboolean
gd_worker_child_send (GdWorkerChild *wc, GdWmsg *reply)
{
  gboolean ok = send_msg (wc->fd, reply);
  gd_wmsg_free (reply);
  return ok;
}

int
gd_worker_child_fail (GdWorkerChild *wc, GdWmsg *reply)
{
  gd_worker_child_send (wc, reply);
  return 1;
}

int
gd_worker_child_serve (GdWorkerChild *wc, GdWorkerServe serve, gpointer data)
{
  if (!gd_worker_child_send (wc, gd_wmsg_ok ()))
    return 1;
  GdWmsg *req;
  while ((req = gd_worker_child_recv (wc)) != NULL)
    {
      GdWmsg *reply = serve (wc, req, data);
      gd_wmsg_free (req);
      if (!gd_worker_child_send (wc, reply))
        break;
    }
  return 0;
}

static void G_GNUC_NORETURN
child_run (int sock, const char *sysroot, mode_t mask, GdWorkerMain main_func, gpointer data)
{
  /* Die with the daemon; never hold its channel or other fds. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  signal (SIGPIPE, SIG_IGN);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  /* Out of the way of 0-3 first: a daemon started without stdin could
   * have been given 0 for the socket. */
  sock = fcntl (sock, F_DUPFD_CLOEXEC, 10);
  int null = open ("/dev/null", O_RDWR);
  if (sock < 0 || null < 0 || dup2 (null, 0) < 0 || dup2 (null, 1) < 0 || dup2 (sock, 3) < 0)
    _exit (126);
  close_range (4, ~0U, 0);
  fcntl (3, F_SETFD, FD_CLOEXEC);
  umask (mask);
  /* Hold nothing of the guest until asked to chroot. */
  if (chdir ("/") < 0)
    _exit (126);
  int host_root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (host_root < 0)
    _exit (126);
  GdWorkerChild wc = { .fd = 3, .sysroot = sysroot, .host_root = host_root };
  _exit (main_func (&wc, data));
}

/* ---- templates ------------------------------------------------------------ */

enum
{
  TEMPLATE_SPAWN = 1,
};

/* Reads a spawn request and the socket that comes with it: the socket, or
 * -1 at the end (or on a malformed request, which ends the template). */
static int
recv_spawn (int fd)
{
  guint32 n;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { &n, sizeof n };
  struct msghdr mh = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = sizeof control.buf,
  };
  ssize_t r;
  do
    r = recvmsg (fd, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  while (r < 0 && errno == EINTR);
  int passed = -1;
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
      c->cmsg_len == CMSG_LEN (sizeof (int)))
    memcpy (&passed, CMSG_DATA (c), sizeof passed);
  gint64 op = 0;
  GdWmsg *m = NULL;
  if (r == (ssize_t) sizeof n && n <= 64)
    {
      m = gd_wmsg_new ();
      g_byte_array_set_size (m->buf, n);
      if (!read_all (fd, m->buf->data, n) || !gd_wmsg_get_int (m, &op))
        op = 0;
    }
  gd_wmsg_free (m);
  if (op != TEMPLATE_SPAWN || passed < 0)
    {
      if (passed >= 0)
        close (passed);
      return -1;
    }
  return passed;
}

int
gd_worker_child_serve_template (GdWorkerChild *wc, GdWorkerMain worker_main, gpointer data)
{
  int sock;
  while ((sock = recv_spawn (wc->fd)) >= 0)
    {
      /* CLONE_PARENT: the new worker is the daemon's child, so that the
       * daemon reaps it and it outlives this template. */
      pid_t pid = (pid_t) syscall (SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
      if (pid == 0)
        {
          prctl (PR_SET_PDEATHSIG, SIGKILL);
          if (dup2 (sock, wc->fd) < 0)
            _exit (126);
          close (sock);
          fcntl (wc->fd, F_SETFD, FD_CLOEXEC);
          _exit (worker_main (wc, data));
        }
      int e = errno;
      close (sock);
      GdWmsg *reply = pid < 0 ? gd_wmsg_error (e, "clone: %s", g_strerror (e)) : gd_wmsg_ok ();
      if (pid > 0)
        gd_wmsg_int (reply, pid);
      if (!gd_worker_child_send (wc, reply))
        break;
    }
  return 0;
}

/* ---- the parent ------------------------------------------------------------ */

static void
worker_gone (GdWorker *w)
{
  if (w->fd >= 0)
    close (w->fd);
  w->fd = -1;
  if (w->pid > 0)
    {
      kill (w->pid, SIGKILL);
      while (waitpid (w->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  w->pid = -1;
}

/* Reaps a worker that closed its end and says how it ended. */
static char *
describe_death (GdWorker *w)
{
  int status = 0;
  pid_t r;
  close (w->fd);
  w->fd = -1;
  /* It closed the socket, so it is exiting: wait (a moment at most). */
  for (int i = 0; i < 100; i++)
    {
      r = waitpid (w->pid, &status, WNOHANG);
      if (r != 0)
        break;
      g_usleep (10000);
    }
  if (r == 0)
    {
      worker_gone (w);
      return g_strdup ("stopped answering");
    }
  w->pid = -1;
  if (r > 0 && WIFSIGNALED (status))
    return g_strdup_printf ("killed by signal %d (%s)", WTERMSIG (status),
                            strsignal (WTERMSIG (status)));
  if (r > 0 && WIFEXITED (status))
    return g_strdup_printf ("exited with status %d", WEXITSTATUS (status));
  return g_strdup ("vanished");
}

static GdWmsg *
read_reply (GdWorker *w, GError **error)
{
  GdWmsg *m = recv_msg (w->fd);
  if (m == NULL)
    {
      g_autofree char *how = describe_death (w);
      gd_error_errno (error, EIO, "the %s worker process died (%s)", w->what, how);
      return NULL;
    }
  gint64 status;
  const char *msg;
  if (!gd_wmsg_get_int (m, &status) || !gd_wmsg_get_str (m, &msg, NULL))
    {
      gd_wmsg_free (m);
      worker_gone (w);
      gd_error_errno (error, EIO, "the %s worker sent a malformed reply", w->what);
      return NULL;
    }
  if (status != 0)
    {
      if (status > 0)
        gd_error_errno (error, (int) status, "%s", msg ? msg : "error");
      else
        gd_error (error, "%s", msg ? msg : "error");
      gd_wmsg_free (m);
      return NULL;
    }
  return m;
}

GdWorker *
gd_worker_start (GdRequest *req, const char *what, GdWorkerMain main_func, gpointer data,
                 GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    {
      gd_perror (error, "socketpair");
      return NULL;
    }
  const char *sysroot = gd_conn_sysroot (conn);
  mode_t mask = gd_conn_umask (conn);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (sv[0]);
      child_run (sv[1], sysroot, mask, main_func, data);
    }
  int saved = errno;
  close (sv[1]);
  if (pid < 0)
    {
      close (sv[0]);
      errno = saved;
      gd_perror (error, "fork");
      return NULL;
    }
  GdWorker *w = g_new0 (GdWorker, 1);
  w->what = g_strdup (what);
  w->pid = pid;
  w->fd = sv[0];
  GdWmsg *hello = read_reply (w, error);
  if (hello == NULL)
    {
      gd_worker_free (w);
      return NULL;
    }
  gd_wmsg_free (hello);
  return w;
}

GdWmsg *
gd_worker_call (GdWorker *w, GdWmsg *request, GError **error)
{
  if (w->fd < 0)
    {
      gd_error_errno (error, EIO, "the %s worker process is gone", w->what);
      return NULL;
    }
  if (!send_msg (w->fd, request))
    {
      g_autofree char *how = describe_death (w);
      gd_error_errno (error, EIO, "the %s worker process died (%s)", w->what, how);
      return NULL;
    }
  return read_reply (w, error);
}

GdWorker *
gd_worker_spawn (GdWorker *t, GError **error)
{
  if (t->fd < 0)
    {
      gd_error_errno (error, EIO, "the %s template process is gone", t->what);
      return NULL;
    }
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    {
      gd_perror (error, "socketpair");
      return NULL;
    }
  g_autoptr (GdWmsg) m = gd_wmsg_new ();
  gd_wmsg_int (m, TEMPLATE_SPAWN);
  guint32 n = m->buf->len;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control = { 0 };
  struct iovec iov = { &n, sizeof n };
  struct msghdr mh = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = sizeof control.buf,
  };
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &sv[1], sizeof (int));
  ssize_t r;
  do
    r = sendmsg (t->fd, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  close (sv[1]);
  if (r != (ssize_t) sizeof n || !send_all (t->fd, m->buf->data, m->buf->len))
    {
      close (sv[0]);
      g_autofree char *how = describe_death (t);
      gd_error_errno (error, EIO, "the %s template process died (%s)", t->what, how);
      return NULL;
    }
  g_autoptr (GdWmsg) reply = read_reply (t, error);
  gint64 pid;
  if (reply == NULL || !gd_wmsg_get_int (reply, &pid) || pid <= 0)
    {
      close (sv[0]);
      if (reply != NULL)
        gd_error_errno (error, EIO, "the %s template sent a malformed reply", t->what);
      return NULL;
    }
  GdWorker *w = g_new0 (GdWorker, 1);
  w->what = g_strdup (t->what);
  w->pid = (pid_t) pid;
  w->fd = sv[0];
  GdWmsg *hello = read_reply (w, error);
  if (hello == NULL)
    {
      gd_worker_free (w);
      return NULL;
    }
  gd_wmsg_free (hello);
  return w;
}

gboolean
gd_worker_alive (GdWorker *w)
{
  return w->fd >= 0;
}

void
gd_worker_free (GdWorker *w)
{
  if (w == NULL)
    return;
  worker_gone (w);
  g_free (w->what);
  g_free (w);
}
