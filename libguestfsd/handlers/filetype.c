/* libguestfsd handlers: file types and architectures.
 *
 * file and zfile run file(1) on stdin (the guest file or device as an fd),
 * so the description is file's own, without a name.  Non-regular guest
 * files are described without opening them.
 *
 * file_architecture reads the binary's own header (ELF e_ident/e_machine,
 * PE machine, Linux kernel image magic) in a child chrooted into the
 * sysroot, after libarchive has undone any compression; for an initrd (a
 * cpio archive) it looks at the first well-known program inside.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "confine.h"
#include "filetype.h"
#include "gd-actions.h"
#include "gd-private.h"

static gboolean
run_file (GdRequest *req, const char *flags, int fd, char **ret, GError **error)
{
  const char *argv[] = { "file", flags, "-", NULL };
  GdRunOpts opts = {
    .argv = argv, .flags = GD_RUN_ANY_STATUS, .stdin_fd = fd, .stdout_fd = -1, .max_out = 65536
  };
  char *out = NULL;
  g_autofree char *err = NULL;
  int status;
  if (!gd_run_full (req, &opts, &out, &err, &status, error))
    return FALSE;
  if (status != 0)
    {
      gd_error (error, "file: %s", *gd_chomp (err) ? err : "failed");
      g_free (out);
      return FALSE;
    }
  *ret = gd_chomp (out);
  return TRUE;
}

/* file(1) given the file by name (as the original runs it) starts with
 * the special mode bits, which it cannot see on stdin: "setuid, setgid
 * POSIX shell script ...", "setuid, empty". */
static char *
with_mode_words (char *desc, mode_t mode)
{
  GString *words = g_string_new (NULL);
  if (mode & S_ISUID)
    g_string_append (words, "setuid");
  if (mode & S_ISGID)
    g_string_append (words, words->len ? ", setgid" : "setgid");
  if (mode & S_ISVTX)
    g_string_append (words, words->len ? ", sticky" : "sticky");
  if (words->len == 0)
    {
      g_string_free (words, TRUE);
      return desc;
    }
  g_string_append (words, strcmp (desc, "empty") == 0 ? ", " : " ");
  g_string_append (words, desc);
  g_free (desc);
  return g_string_free (words, FALSE);
}

gboolean
gd_do_file (GdRequest *req, const GdDevOrPath *path, char **ret, GError **error)
{
  if (path->device)
    {
      int fd = open (path->device->node, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          gd_perror (error, "%s", path->device->guest);
          return FALSE;
        }
      gboolean ok = run_file (req, "-zbsL", fd, ret, error);
      close (fd);
      return ok;
    }

  g_autofree char *name = NULL;
  int pfd = gd_open_parent (req, path->path, &name, error);
  if (pfd < 0)
    return FALSE;
  struct stat st;
  if (fstatat (pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      gd_perror (error, "%s", path->path);
      close (pfd);
      return FALSE;
    }
  const char *kind = NULL;
  switch (st.st_mode & S_IFMT)
    {
    case S_IFDIR:
      kind = "directory";
      break;
    case S_IFCHR:
      kind = "character device";
      break;
    case S_IFBLK:
      kind = "block device";
      break;
    case S_IFIFO:
      kind = "FIFO";
      break;
    case S_IFLNK:
      kind = "symbolic link";
      break;
    case S_IFSOCK:
      kind = "socket";
      break;
    }
  if (kind)
    {
      close (pfd);
      *ret = g_strdup (kind);
      return TRUE;
    }
  int fd = openat (pfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  close (pfd);
  struct stat now;
  if (fd < 0 || fstat (fd, &now) < 0 || !S_ISREG (now.st_mode))
    {
      if (fd >= 0)
        close (fd);
      gd_error_errno (error, fd < 0 ? errno : EAGAIN, "%s: %s", path->path,
                      fd < 0 ? g_strerror (errno) : "changed while being examined");
      return FALSE;
    }
  gboolean ok = run_file (req, "-zb", fd, ret, error);
  close (fd);
  if (ok)
    *ret = with_mode_words (*ret, now.st_mode);
  return ok;
}

gboolean
gd_do_zfile (GdRequest *req, const char *meth, const char *path, char **ret, GError **error)
{
  const char *zcat;
  if (strcmp (meth, "gzip") == 0 || strcmp (meth, "compress") == 0)
    zcat = "zcat";
  else if (strcmp (meth, "bzip2") == 0)
    zcat = "bzcat";
  else
    {
      gd_error_errno (error, EINVAL, "%s: unknown method (use gzip, compress or bzip2)", meth);
      return FALSE;
    }
  int fd = gdc_open_file (req, path, NULL, error);
  if (fd < 0)
    return FALSE;
  int p[2];
  if (!gdc_pipe (p, error))
    {
      close (fd);
      return FALSE;
    }
  const char *argv[] = { zcat, NULL };
  GdRunOpts opts = { .argv = argv, .stdin_fd = fd, .stdout_fd = p[1] };
  GdChild *prog = gd_child_spawn (req, &opts, error);
  close (fd);
  close (p[1]);
  if (prog == NULL)
    {
      close (p[0]);
      return FALSE;
    }
  gboolean ok = run_file (req, "-bsL", p[0], ret, error);
  close (p[0]);
  /* file stops reading early; the decompressor's end is no concern. */
  gd_child_wait (prog, TRUE, NULL);
  return ok;
}

/* ---- file_architecture -------------------------------------------------- */

#define HEADER_SIZE 65536

static guint32
get16 (const guint8 *p, gboolean le)
{
  return le ? (guint32) p[0] | (guint32) p[1] << 8 : (guint32) p[0] << 8 | p[1];
}

static guint32
get32 (const guint8 *p, gboolean le)
{
  return le ? get16 (p, TRUE) | get16 (p + 2, TRUE) << 16
            : get16 (p, FALSE) << 16 | get16 (p + 2, FALSE);
}

const char *
gd_elf_arch (const guint8 *h, size_t n)
{
  if (n < 20 || memcmp (h, "\177ELF", 4) != 0)
    return NULL;
  gboolean is64 = h[4] == 2, le = h[5] == 1;
  switch (get16 (h + 18, le))
    {
    case 2:  /* EM_SPARC */
    case 18: /* EM_SPARC32PLUS */
      return "sparc";
    case 43: /* EM_SPARCV9 */
      return "sparc64";
    case 3: /* EM_386 */
    case 6: /* EM_486 */
      return "i386";
    case 62:
      return "x86_64";
    case 8: /* EM_MIPS */
      return is64 ? (le ? "mips64el" : "mips64") : (le ? "mipsel" : "mips");
    case 20:
      return "ppc";
    case 21:
      return le ? "ppc64le" : "ppc64";
    case 22:
      return is64 ? "s390x" : "s390";
    case 40:
      return "arm";
    case 50:
      return "ia64";
    case 183:
      return "aarch64";
    case 243:
      return is64 ? "riscv64" : "riscv32";
    case 258:
      return "loongarch64";
    case 0x9026:
      return "alpha";
    default:
      return NULL;
    }
}

const char *
gd_pe_machine_arch (guint16 machine)
{
  switch (machine)
    {
    case 0x14c:
      return "i386";
    case 0x8664:
      return "x86_64";
    case 0xaa64:
      return "aarch64";
    case 0x1c0:
    case 0x1c2:
    case 0x1c4:
      return "arm";
    case 0x200:
      return "ia64";
    default:
      return NULL;
    }
}

/* The canonical architecture of a binary from its first bytes, or NULL.
 * *why says what kind of file it is when that is all we can say. */
static const char *
arch_of (const guint8 *b, size_t n, const char **why)
{
  *why = NULL;
  if (n >= 20 && memcmp (b, "\177ELF", 4) == 0)
    {
      const char *arch = gd_elf_arch (b, n);
      if (arch == NULL)
        *why = "ELF binary of an unknown architecture";
      return arch;
    }
  if (n >= 0x40 && b[0] == 'M' && b[1] == 'Z')
    {
      guint32 pe = get32 (b + 0x3c, TRUE);
      const char *arch = pe < n - 6 && memcmp (b + pe, "PE\0\0", 4) == 0
                             ? gd_pe_machine_arch (get16 (b + pe + 4, TRUE))
                             : NULL;
      if (arch != NULL)
        return arch;
      if (n >= 0x206 && memcmp (b + 0x202, "HdrS", 4) == 0)
        {
          *why = "x86 Linux kernel (bzImage): use the initrd or a module instead";
          return NULL;
        }
    }
  /* Linux kernel Image headers. */
  if (n >= 64 && memcmp (b + 56, "ARM\x64", 4) == 0)
    return "aarch64";
  if (n >= 64 && memcmp (b + 56, "RSC\x05", 4) == 0)
    return "riscv64";
  if (n >= 0x30 && get32 (b + 0x24, TRUE) == 0x016f2818)
    return "arm";
  if (n >= 0x206 && memcmp (b + 0x202, "HdrS", 4) == 0)
    {
      *why = "x86 Linux kernel (bzImage): use the initrd or a module instead";
      return NULL;
    }
  return NULL;
}

/* Programs that every initrd has some of, best first. */
static const char *const initrd_programs[] = {
  "bin/ls",       "bin/rm",          "bin/modprobe", "sbin/modprobe",     "bin/sh",
  "bin/bash",     "bin/dash",        "bin/busybox",  "bin/nash",          "sbin/nash",
  "usr/bin/ls",   "usr/bin/rm",      "usr/bin/kmod", "usr/sbin/modprobe", "usr/bin/bash",
  "usr/bin/dash", "usr/bin/busybox", "init",
};

/* Up to HEADER_SIZE bytes of the current entry's data. */
static size_t
read_head (struct archive *a, guint8 *buf)
{
  size_t n = 0;
  while (n < HEADER_SIZE)
    {
      la_ssize_t r = archive_read_data (a, buf + n, HEADER_SIZE - n);
      if (r <= 0)
        break;
      n += r;
    }
  return n;
}

static const char *
strip_prefix (const char *name)
{
  while (name[0] == '/' || (name[0] == '.' && name[1] == '/'))
    name += name[0] == '/' ? 1 : 2;
  return name;
}

static int
arch_child (gpointer p)
{
  const char *path = p;
  struct archive *a = archive_read_new ();
  archive_read_support_format_cpio (a);
  archive_read_support_format_raw (a);
  gdc_read_support_native_filters (a);
  if (archive_read_open_fd (a, 0, 65536) != ARCHIVE_OK)
    return gdc_fail (0, "unknown architecture: %s: %s", path, archive_error_string (a));
  g_autofree guint8 *buf = g_malloc (HEADER_SIZE);
  struct archive_entry *e;
  int r = archive_read_next_header (a, &e);
  if (r == ARCHIVE_EOF)
    return gdc_fail (0, "unknown architecture: %s: empty file", path);
  if (r < ARCHIVE_WARN)
    return gdc_fail (0, "unknown architecture: %s: %s", path, archive_error_string (a));

  const char *why = NULL;
  const char *arch = NULL;
  if ((archive_format (a) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_CPIO)
    {
      size_t n = read_head (a, buf);
      arch = arch_of (buf, n, &why);
    }
  else
    {
      /* An initrd: the best known program in it. */
      guint best = G_N_ELEMENTS (initrd_programs);
      for (; r >= ARCHIVE_WARN; r = archive_read_next_header (a, &e))
        {
          if (archive_entry_filetype (e) != AE_IFREG || archive_entry_pathname (e) == NULL)
            continue;
          const char *name = strip_prefix (archive_entry_pathname (e));
          for (guint i = 0; i < best; i++)
            if (strcmp (name, initrd_programs[i]) == 0)
              {
                const char *ignored;
                const char *found = arch_of (buf, read_head (a, buf), &ignored);
                if (found)
                  {
                    arch = found;
                    best = i;
                  }
                break;
              }
          if (best == 0)
            break;
        }
      if (arch == NULL)
        why = "initrd without a known program in it";
    }
  if (arch == NULL)
    return gdc_fail (0, "unknown architecture: %s%s%s", path, why ? ": " : "", why ? why : "");
  if (!gdc_write_all (1, arch, strlen (arch)))
    return gdc_fail_errno ("write");
  return 0;
}

gboolean
gd_do_file_architecture (GdRequest *req, const char *filename, char **ret, GError **error)
{
  int fd = gdc_open_file (req, filename, NULL, error);
  if (fd < 0)
    return FALSE;
  GByteArray *out = NULL;
  gboolean ok = gdc_run (req, "file_architecture", arch_child, (gpointer) filename, -1, fd, FALSE,
                         &out, 64, error);
  close (fd);
  if (!ok)
    return FALSE;
  *ret = g_strndup ((const char *) out->data, out->len);
  g_byte_array_unref (out);
  return TRUE;
}
