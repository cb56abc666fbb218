/* libguestfsd handlers: inspection's view of guest files.
 *
 * Every guest file is opened with gd_open (resolved inside the sysroot),
 * so a guest whose /etc/os-release points at /../../etc/os-release reads
 * its own file, never the host's.  Failures are not errors here: a file
 * that cannot be read is a file inspection does not use.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filetype.h"
#include "gd-actions.h"
#include "gd-private.h"
#include "inspect.h"

static int
open_quiet (GdRequest *req, const char *path, int flags)
{
  g_autoptr (GError) err = NULL;
  return gd_open (req, path, flags | O_CLOEXEC, 0, &err);
}

char *
gd_inspect_read (GdRequest *req, const char *path, gsize max, gsize *len)
{
  int fd = open_quiet (req, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return NULL;
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return NULL;
    }
  GString *buf = g_string_sized_new (st.st_size < 4096 ? 4096 : MIN ((gsize) st.st_size + 1, max));
  char chunk[8192];
  for (;;)
    {
      ssize_t n = read (fd, chunk, MIN (sizeof chunk, max - buf->len));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          close (fd);
          g_string_free (buf, TRUE);
          return NULL;
        }
      if (n == 0)
        break;
      g_string_append_len (buf, chunk, n);
      if (buf->len >= max)
        break;
    }
  close (fd);
  if (len)
    *len = buf->len;
  return g_string_free (buf, FALSE);
}

char *
gd_inspect_read_first_line (GdRequest *req, const char *path)
{
  g_autofree char *text = gd_inspect_read (req, path, 64 * 1024, NULL);
  if (text == NULL)
    return NULL;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_strstrip (*l);
      if (**l != '\0' && **l != '#')
        return g_strdup (*l);
    }
  return NULL;
}

static gboolean
stat_quiet (GdRequest *req, const char *path, int flags, struct stat *st)
{
  int fd = open_quiet (req, path, O_PATH | flags);
  if (fd < 0)
    return FALSE;
  gboolean ok = fstat (fd, st) == 0;
  close (fd);
  return ok;
}

gboolean
gd_inspect_is_file (GdRequest *req, const char *path)
{
  struct stat st;
  return stat_quiet (req, path, 0, &st) && S_ISREG (st.st_mode);
}

gboolean
gd_inspect_is_dir (GdRequest *req, const char *path)
{
  struct stat st;
  return stat_quiet (req, path, 0, &st) && S_ISDIR (st.st_mode);
}

gboolean
gd_inspect_exists (GdRequest *req, const char *path)
{
  struct stat st;
  return stat_quiet (req, path, O_NOFOLLOW, &st);
}

/* The entry of directory dir (a guest path) called name, ignoring case. */
static char *
case_entry (GdRequest *req, const char *dir, const char *name)
{
  int fd = open_quiet (req, dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return NULL;
  struct stat st;
  if (fstatat (fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      close (fd);
      return g_strdup (name);
    }
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return NULL;
    }
  char *found = NULL;
  struct dirent *e;
  /* A directory with a huge number of entries is not a system directory;
   * stop after a bound so a hostile guest cannot make this slow. */
  for (int n = 0; found == NULL && n < 100000 && (e = readdir (d)) != NULL; n++)
    if (g_ascii_strcasecmp (e->d_name, name) == 0)
      found = g_strdup (e->d_name);
  closedir (d);
  return found;
}

char *
gd_inspect_case_path (GdRequest *req, const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr (GString) out = g_string_new ("");
  for (char **p = parts; *p; p++)
    {
      if (**p == '\0' || strcmp (*p, ".") == 0)
        continue;
      if (strcmp (*p, "..") == 0)
        return NULL;
      g_autofree char *e = case_entry (req, out->len ? out->str : "/", *p);
      if (e == NULL)
        return NULL;
      g_string_append_printf (out, "/%s", e);
    }
  if (out->len == 0)
    g_string_assign (out, "/");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
gd_inspect_parse_version (const char *s, int *major, int *minor)
{
  if (s == NULL)
    return FALSE;
  while (*s == ' ' || *s == '\t' || *s == 'v' || *s == 'V')
    s++;
  if (!g_ascii_isdigit (*s))
    return FALSE;
  char *end;
  guint64 ma = g_ascii_strtoull (s, &end, 10);
  guint64 mi = 0;
  if (*end == '.' && g_ascii_isdigit (end[1]))
    mi = g_ascii_strtoull (end + 1, NULL, 10);
  *major = (int) MIN (ma, G_MAXINT);
  *minor = (int) MIN (mi, G_MAXINT);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Architecture of a binary, from its header: ELF for Unix-like systems,
 * PE for Windows.
 */

static guint16
get16 (const guint8 *p, gboolean le)
{
  return le ? (guint16) (p[0] | p[1] << 8) : (guint16) (p[0] << 8 | p[1]);
}

static guint32
get32le (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static const char *
pe_arch (GdRequest *req, const char *path, const guint8 *h, gsize len)
{
  if (len < 0x40 || h[0] != 'M' || h[1] != 'Z')
    return NULL;
  guint32 off = get32le (h + 0x3c);
  if (off > 16 * 1024 * 1024)
    return NULL;
  int fd = open_quiet (req, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return NULL;
  guint8 pe[6];
  gboolean ok = pread (fd, pe, sizeof pe, off) == sizeof pe;
  close (fd);
  if (!ok || memcmp (pe, "PE\0\0", 4) != 0)
    return NULL;
  return gd_pe_machine_arch (get16 (pe + 4, TRUE));
}

char *
gd_inspect_binary_arch (GdRequest *req, const char *path)
{
  int fd = open_quiet (req, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return NULL;
  struct stat st;
  guint8 h[64];
  ssize_t n = -1;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
    n = pread (fd, h, sizeof h, 0);
  close (fd);
  if (n <= 0)
    return NULL;
  const char *a = gd_elf_arch (h, n);
  if (a == NULL)
    a = pe_arch (req, path, h, n);
  return g_strdup (a);
}
