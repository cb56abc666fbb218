/* libguestfsd handlers: checksums of files and devices.
 *
 * Computed in process, in the formats of the coreutils programs the
 * original ran: lowercase hex digests, and for "crc" the decimal POSIX
 * cksum CRC.  GLib has every digest but SHA-224, which is SHA-256 with
 * other initial values, done here.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "confine.h"
#include "gd-actions.h"
#include "gd-private.h"

#define READ_SIZE (1024 * 1024)

/* ---- SHA-224 (FIPS 180-4) ---------------------------------------------- */

typedef struct
{
  guint32 h[8];
  guint8 block[64];
  size_t used;
  guint64 bytes;
} Sha224;

static const guint32 sha256_k[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block (guint32 h[8], const guint8 *p)
{
  guint32 w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (guint32) p[4 * i] << 24 | (guint32) p[4 * i + 1] << 16 | (guint32) p[4 * i + 2] << 8 |
           p[4 * i + 3];
  for (int i = 16; i < 64; i++)
    {
      guint32 s0 = ROR32 (w[i - 15], 7) ^ ROR32 (w[i - 15], 18) ^ (w[i - 15] >> 3);
      guint32 s1 = ROR32 (w[i - 2], 17) ^ ROR32 (w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
  guint32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++)
    {
      guint32 t1 = hh + (ROR32 (e, 6) ^ ROR32 (e, 11) ^ ROR32 (e, 25)) + ((e & f) ^ (~e & g)) +
                   sha256_k[i] + w[i];
      guint32 t2 = (ROR32 (a, 2) ^ ROR32 (a, 13) ^ ROR32 (a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

static void
sha224_init (Sha224 *s)
{
  static const guint32 iv[8] = { 0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939,
                                 0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4 };
  memcpy (s->h, iv, sizeof iv);
  s->used = 0;
  s->bytes = 0;
}

static void
sha224_update (Sha224 *s, const guint8 *p, size_t len)
{
  s->bytes += len;
  if (s->used)
    {
      size_t take = MIN (len, 64 - s->used);
      memcpy (s->block + s->used, p, take);
      s->used += take;
      p += take;
      len -= take;
      if (s->used < 64)
        return;
      sha256_block (s->h, s->block);
      s->used = 0;
    }
  for (; len >= 64; p += 64, len -= 64)
    sha256_block (s->h, p);
  memcpy (s->block, p, len);
  s->used = len;
}

static char *
sha224_hex (Sha224 *s)
{
  guint64 bits = s->bytes * 8;
  guint8 pad[72] = { 0x80 };
  size_t padlen = (s->used < 56 ? 56 : 120) - s->used;
  for (int i = 0; i < 8; i++)
    pad[padlen + i] = bits >> (56 - 8 * i);
  sha224_update (s, pad, padlen + 8);
  GString *hex = g_string_new (NULL);
  for (int i = 0; i < 7; i++)
    g_string_append_printf (hex, "%08x", s->h[i]);
  return g_string_free (hex, FALSE);
}

/* ---- POSIX cksum CRC ---------------------------------------------------- */

static guint32 crc_table[256];

static void
crc_init_table (void)
{
  static gsize done;
  if (!g_once_init_enter (&done))
    return;
  for (guint32 i = 0; i < 256; i++)
    {
      guint32 c = i << 24;
      for (int k = 0; k < 8; k++)
        c = (c & 0x80000000) ? (c << 1) ^ 0x04c11db7 : c << 1;
      crc_table[i] = c;
    }
  g_once_init_leave (&done, 1);
}

static guint32
crc_update (guint32 crc, const guint8 *p, size_t len)
{
  for (size_t i = 0; i < len; i++)
    crc = (crc << 8) ^ crc_table[(crc >> 24) ^ p[i]];
  return crc;
}

/* ---- one interface for all -------------------------------------------- */

typedef enum
{
  SUM_CRC,
  SUM_SHA224,
  SUM_GLIB,
} SumKind;

typedef struct
{
  SumKind kind;
  GChecksum *glib;
  Sha224 sha224;
  guint32 crc;
  guint64 bytes;
} Hasher;

/* Checks csumtype; *kind and *glib_type describe it. */
static gboolean
parse_type (const char *csumtype, SumKind *kind, GChecksumType *glib_type, GError **error)
{
  static const struct
  {
    const char *name;
    SumKind kind;
    GChecksumType glib_type;
  } types[] = {
    { "crc", SUM_CRC, 0 },
    { "md5", SUM_GLIB, G_CHECKSUM_MD5 },
    { "sha1", SUM_GLIB, G_CHECKSUM_SHA1 },
    { "sha224", SUM_SHA224, 0 },
    { "sha256", SUM_GLIB, G_CHECKSUM_SHA256 },
    { "sha384", SUM_GLIB, G_CHECKSUM_SHA384 },
    { "sha512", SUM_GLIB, G_CHECKSUM_SHA512 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_ascii_strcasecmp (csumtype, types[i].name) == 0)
      {
        *kind = types[i].kind;
        *glib_type = types[i].glib_type;
        return TRUE;
      }
  gd_error_errno (error, EINVAL,
                  "%s: unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512",
                  csumtype);
  return FALSE;
}

static void
hasher_init (Hasher *h, SumKind kind, GChecksumType glib_type)
{
  memset (h, 0, sizeof *h);
  h->kind = kind;
  switch (kind)
    {
    case SUM_CRC:
      crc_init_table ();
      break;
    case SUM_SHA224:
      sha224_init (&h->sha224);
      break;
    case SUM_GLIB:
      h->glib = g_checksum_new (glib_type);
      break;
    }
}

static void
hasher_update (Hasher *h, const guint8 *p, size_t len)
{
  h->bytes += len;
  switch (h->kind)
    {
    case SUM_CRC:
      h->crc = crc_update (h->crc, p, len);
      break;
    case SUM_SHA224:
      sha224_update (&h->sha224, p, len);
      break;
    case SUM_GLIB:
      g_checksum_update (h->glib, p, len);
      break;
    }
}

/* The result as the coreutils program prints it; frees the state. */
static char *
hasher_finish (Hasher *h)
{
  char *r = NULL;
  switch (h->kind)
    {
    case SUM_CRC:
      {
        guint32 crc = h->crc;
        for (guint64 n = h->bytes; n; n >>= 8)
          {
            guint8 b = n & 0xff;
            crc = crc_update (crc, &b, 1);
          }
        r = g_strdup_printf ("%u", ~crc);
      }
      break;
    case SUM_SHA224:
      r = sha224_hex (&h->sha224);
      break;
    case SUM_GLIB:
      r = g_strdup (g_checksum_get_string (h->glib));
      g_checksum_free (h->glib);
      h->glib = NULL;
      break;
    }
  return r;
}

/* Hashes fd to its end; pulse progress while it runs. */
static gboolean
hash_fd (GdRequest *req, int fd, const char *name, Hasher *h, guint8 *buf, GError **error)
{
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  for (;;)
    {
      ssize_t n = read (fd, buf, READ_SIZE);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          gd_perror (error, "%s", name);
          return FALSE;
        }
      if (n == 0)
        return TRUE;
      hasher_update (h, buf, n);
      if (req)
        gd_pulse_tick (req);
    }
}

static gboolean
checksum_fd (GdRequest *req, const char *csumtype, int fd, const char *name, char **ret,
             GError **error)
{
  SumKind kind;
  GChecksumType glib_type;
  if (!parse_type (csumtype, &kind, &glib_type, error))
    return FALSE;
  Hasher h;
  hasher_init (&h, kind, glib_type);
  g_autofree guint8 *buf = g_malloc (READ_SIZE);
  gboolean ok = hash_fd (req, fd, name, &h, buf, error);
  g_autofree char *sum = hasher_finish (&h);
  if (!ok)
    return FALSE;
  gd_pulse_end (req);
  *ret = g_steal_pointer (&sum);
  return TRUE;
}

gboolean
gd_do_checksum (GdRequest *req, const char *csumtype, const char *path, char **ret, GError **error)
{
  SumKind kind;
  GChecksumType glib_type;
  if (!parse_type (csumtype, &kind, &glib_type, error))
    return FALSE;
  int fd = gdc_open_file (req, path, NULL, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = checksum_fd (req, csumtype, fd, path, ret, error);
  close (fd);
  return ok;
}

gboolean
gd_do_checksum_device (GdRequest *req, const char *csumtype, const GdDevice *device, char **ret,
                       GError **error)
{
  SumKind kind;
  GChecksumType glib_type;
  if (!parse_type (csumtype, &kind, &glib_type, error))
    return FALSE;
  int fd = open (device->node, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      gd_perror (error, "%s", device->guest);
      return FALSE;
    }
  gboolean ok = checksum_fd (req, csumtype, fd, device->guest, ret, error);
  close (fd);
  return ok;
}

/* ---- checksums_out ----------------------------------------------------- */

typedef struct
{
  GdRequest *req;
  SumKind kind;
  GChecksumType glib_type;
  guint8 *buf;
  GString *line;
} SumsWalk;

/* The name as md5sum prints it: with a backslash in front of the line and
 * escapes when it has a backslash, newline or carriage return. */
static void
append_name (GString *line, const char *name, gboolean *escaped)
{
  *escaped = strpbrk (name, "\\\n\r") != NULL;
  if (!*escaped)
    {
      g_string_append (line, name);
      return;
    }
  for (const char *p = name; *p; p++)
    switch (*p)
      {
      case '\\':
        g_string_append (line, "\\\\");
        break;
      case '\n':
        g_string_append (line, "\\n");
        break;
      case '\r':
        g_string_append (line, "\\r");
        break;
      default:
        g_string_append_c (line, *p);
      }
}

static gboolean
sums_visit (int dirfd, const char *name, const char *relpath, const struct stat *st,
            GdWalkPhase phase, gpointer data, GError **error)
{
  SumsWalk *w = data;
  if (phase != GD_WALK_FILE || !S_ISREG (st->st_mode))
    return TRUE;
  int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  struct stat now;
  if (fd >= 0 && (fstat (fd, &now) < 0 || !S_ISREG (now.st_mode)))
    {
      /* Replaced by something else since the walk looked at it. */
      close (fd);
      return TRUE;
    }
  if (fd < 0)
    {
      gd_perror (error, "%s", relpath);
      return FALSE;
    }
  Hasher h;
  hasher_init (&h, w->kind, w->glib_type);
  gboolean ok = hash_fd (NULL, fd, relpath, &h, w->buf, error);
  close (fd);
  g_autofree char *sum = hasher_finish (&h);
  if (!ok)
    return FALSE;

  GString *line = w->line;
  g_string_truncate (line, 0);
  if (w->kind == SUM_CRC)
    /* cksum: "CRC SIZE NAME", names as they are. */
    g_string_append_printf (line, "%s %" G_GUINT64_FORMAT " ./%s\n", sum, h.bytes, relpath);
  else
    {
      g_string_append_printf (line, "%s  ./", sum);
      gboolean escaped;
      append_name (line, relpath, &escaped);
      g_string_append_c (line, '\n');
      if (escaped)
        g_string_prepend_c (line, '\\');
    }
  return gd_fileout_write (w->req, line->str, line->len, error);
}

gboolean
gd_do_checksums_out (GdRequest *req, const char *csumtype, const char *directory, GError **error)
{
  SumsWalk w = { .req = req };
  if (!parse_type (csumtype, &w.kind, &w.glib_type, error))
    return FALSE;
  int dirfd = gd_open (req, directory, O_PATH | O_DIRECTORY, 0, error);
  if (dirfd < 0)
    return FALSE;
  g_autofree guint8 *buf = g_malloc (READ_SIZE);
  g_autoptr (GString) line = g_string_new (NULL);
  w.buf = buf;
  w.line = line;
  gboolean ok = gd_walk (dirfd, "", GD_WALK_TYPE_ONLY, sums_visit, &w, error);
  close (dirfd);
  return ok;
}
