/* libguestfsd handlers: scanning guest files with Yara rules (libyara).
 *
 * yara_load receives rules, compiled (yarac) or source, and keeps them per
 * connection; internal_yara_scan scans one guest file opened inside the
 * guest, in a forked child, and streams a yara_detection XDR struct per
 * matching rule.
 * Source rules may not include other files: the include would be read
 * from the host.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yara.h>

#include "gd-actions.h"
#include "gd-private.h"

#define YARA_KEY "gd-yara"

typedef struct
{
  YR_RULES *rules;
} Rules;

static void
rules_free (Rules *r)
{
  if (r->rules)
    yr_rules_destroy (r->rules);
  yr_finalize ();
  g_free (r);
}

static const char *
yara_strerror (int code)
{
  switch (code)
    {
    case ERROR_INSUFFICIENT_MEMORY:
      return "out of memory";
    case ERROR_COULD_NOT_OPEN_FILE:
      return "cannot open the file";
    case ERROR_COULD_NOT_MAP_FILE:
      return "cannot map the file";
    case ERROR_INVALID_FILE:
      return "not a compiled rules file";
    case ERROR_CORRUPT_FILE:
      return "corrupt compiled rules";
    case ERROR_UNSUPPORTED_FILE_VERSION:
      return "compiled rules of an unsupported version";
    case ERROR_SCAN_TIMEOUT:
      return "scan timed out";
    case ERROR_TOO_MANY_MATCHES:
      return "too many matches";
    default:
      return "error";
    }
}

typedef struct
{
  const guint8 *data;
  size_t len, pos;
} MemStream;

static size_t
mem_read (void *ptr, size_t size, size_t count, void *user_data)
{
  MemStream *s = user_data;
  if (size == 0)
    return 0;
  size_t n = MIN (count, (s->len - s->pos) / size);
  memcpy (ptr, s->data + s->pos, n * size);
  s->pos += n * size;
  return n;
}

static void
compiler_message (int level, const char *file, int line, const YR_RULE *rule, const char *msg,
                  void *user_data)
{
  GString *errors = user_data;
  if (level != YARA_ERROR_LEVEL_ERROR)
    return;
  g_string_append_printf (errors, "%sline %d: %s", errors->len ? "; " : "", line, msg);
}

static const char *
no_includes (const char *name, const char *calling_file, const char *ns, void *user_data)
{
  return NULL; /* the compiler reports "can't open include file" */
}

static YR_RULES *
compile_source (const char *source, GError **error)
{
  YR_COMPILER *compiler = NULL;
  YR_RULES *rules = NULL;
  g_autoptr (GString) errors = g_string_new (NULL);
  int r = yr_compiler_create (&compiler);
  if (r != ERROR_SUCCESS)
    {
      gd_error_errno (error, ENOMEM, "yara compiler: %s", yara_strerror (r));
      return NULL;
    }
  yr_compiler_set_callback (compiler, compiler_message, errors);
  yr_compiler_set_include_callback (compiler, no_includes, NULL, NULL);
  int nerrors = yr_compiler_add_string (compiler, source, NULL);
  if (nerrors > 0)
    gd_error_errno (error, EINVAL, "%d error%s compiling the rules: %s", nerrors,
                    nerrors == 1 ? "" : "s", errors->str);
  else if ((r = yr_compiler_get_rules (compiler, &rules)) != ERROR_SUCCESS)
    gd_error (error, "yara compiler: %s", yara_strerror (r));
  yr_compiler_destroy (compiler);
  return nerrors > 0 ? NULL : rules;
}

gboolean
gd_do_yara_load (GdRequest *req, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  int fd = memfd_create ("gd-yara-rules", MFD_CLOEXEC);
  if (fd < 0)
    {
      gd_perror (error, "memfd_create");
      return FALSE;
    }
  /* Previously loaded rules go even if the new ones fail to load. */
  gd_conn_set_data (conn, YARA_KEY, NULL, NULL);
  if (!gd_filein_to_fd (req, fd, error))
    {
      close (fd);
      return FALSE;
    }
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      gd_perror (error, "rules");
      close (fd);
      return FALSE;
    }
  size_t len = (size_t) st.st_size;
  g_autofree char *data = g_malloc (len + 1);
  ssize_t got = len ? pread (fd, data, len, 0) : 0;
  close (fd);
  if (got != (ssize_t) len)
    {
      gd_error_errno (error, EIO, "rules: short read");
      return FALSE;
    }
  data[len] = '\0';

  int r = yr_initialize ();
  if (r != ERROR_SUCCESS)
    {
      gd_error (error, "yr_initialize: %s", yara_strerror (r));
      return FALSE;
    }
  YR_RULES *rules = NULL;
  if (len >= 4 && memcmp (data, "YARA", 4) == 0)
    {
      MemStream ms = { (const guint8 *) data, len, 0 };
      YR_STREAM stream = { .user_data = &ms, .read = mem_read };
      r = yr_rules_load_stream (&stream, &rules);
      if (r != ERROR_SUCCESS)
        {
          gd_error_errno (error, EINVAL, "compiled rules: %s", yara_strerror (r));
          rules = NULL;
        }
    }
  else if (memchr (data, '\0', len) != NULL)
    gd_error_errno (error, EINVAL, "neither compiled nor source Yara rules");
  else
    rules = compile_source (data, error);
  if (rules == NULL)
    {
      yr_finalize ();
      return FALSE;
    }
  Rules *st_rules = g_new0 (Rules, 1);
  st_rules->rules = rules;
  gd_conn_set_data (conn, YARA_KEY, st_rules, (GDestroyNotify) rules_free);
  return TRUE;
}

gboolean
gd_do_yara_destroy (GdRequest *req, GError **error)
{
  /* Nothing loaded is not an error: the rules are gone either way. */
  gd_conn_set_data (gd_request_connection (req), YARA_KEY, NULL, NULL);
  return TRUE;
}

/* The scan runs in a forked child (gd_spawn_confined): yara's modules
 * parse the file's contents, and a crash there must not take the daemon
 * down.  The child reads the file on stdin and writes the identifiers of
 * the matching rules, each ended by a NUL, on stdout; its exit status is
 * yara's error code. */
typedef struct
{
  YR_RULES *rules;
} ScanArgs;

static int
scan_callback (YR_SCAN_CONTEXT *context, int message, void *message_data, void *user_data)
{
  if (message == CALLBACK_MSG_RULE_MATCHING)
    {
      const YR_RULE *rule = message_data;
      size_t len = strlen (rule->identifier) + 1;
      const char *p = rule->identifier;
      while (len > 0)
        {
          ssize_t r = write (1, p, len);
          if (r < 0 && errno == EINTR)
            continue;
          if (r <= 0)
            return CALLBACK_ERROR;
          p += r;
          len -= (size_t) r;
        }
    }
  return CALLBACK_CONTINUE;
}

static int
scan_child (gpointer data)
{
  ScanArgs *a = data;
  int r = yr_rules_scan_fd (a->rules, 0, 0, scan_callback, NULL, 0);
  return r > 0 && r < 256 ? r : (r == 0 ? 0 : 255);
}

gboolean
gd_do_internal_yara_scan (GdRequest *req, const char *path, GError **error)
{
  Rules *rules = gd_conn_get_data (gd_request_connection (req), YARA_KEY);
  if (rules == NULL)
    {
      gd_error (error, "no Yara rules are loaded: call yara_load first");
      return FALSE;
    }
  int fd = gd_open (req, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0, error);
  if (fd < 0)
    return FALSE;
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      gd_perror (error, "%s", path);
      close (fd);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      gd_error_errno (error, S_ISDIR (st.st_mode) ? EISDIR : EINVAL, "%s: not a regular file",
                      path);
      close (fd);
      return FALSE;
    }
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    {
      gd_perror (error, "pipe");
      close (fd);
      return FALSE;
    }
  ScanArgs args = { rules->rules };
  pid_t pid = gd_spawn_confined (req, scan_child, &args, fd, p[1], error);
  close (fd);
  close (p[1]);
  if (pid < 0)
    {
      close (p[0]);
      return FALSE;
    }
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8 buf[4096];
  for (;;)
    {
      ssize_t r = read (p[0], buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      g_byte_array_append (out, buf, (guint) r);
    }
  close (p[0]);
  int status;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        gd_perror (error, "waitpid");
        return FALSE;
      }
  if (WIFSIGNALED (status))
    {
      gd_error_errno (error, EIO, "%s: the scan crashed (signal %d)", path, WTERMSIG (status));
      return FALSE;
    }
  if (WEXITSTATUS (status) != 0)
    {
      gd_error (error, "%s: %s", path, yara_strerror (WEXITSTATUS (status)));
      return FALSE;
    }

  if (!gd_fileout_begin (req, error))
    return FALSE;
  /* One yara_detection XDR struct per rule identifier. */
  for (size_t i = 0; i < out->len;)
    {
      const char *rule = (const char *) out->data + i;
      const guint8 *end = memchr (out->data + i, 0, out->len - i);
      if (end == NULL)
        break;
      i = (size_t) (end - out->data) + 1;
      gd_yara_detection d = { (char *) path, (char *) rule };
      size_t need = 8 + strlen (path) + strlen (rule) + 8;
      g_autofree char *xbuf = g_malloc (need);
      XDR xdr;
      xdrmem_create (&xdr, xbuf, (u_int) need, XDR_ENCODE);
      gboolean encoded = xdr_gd_yara_detection (&xdr, &d);
      u_int len = xdr_getpos (&xdr);
      xdr_destroy (&xdr);
      if (!encoded)
        {
          gd_error_errno (error, EIO, "%s: cannot encode a detection", path);
          return FALSE;
        }
      if (!gd_fileout_write (req, xbuf, len, error))
        return FALSE;
    }
  return TRUE;
}
