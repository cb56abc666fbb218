/* libguestfsd handlers: ISO 9660 volume descriptors.
 *
 * The primary volume descriptor is a fixed 2048-byte record in the volume
 * descriptor set, which starts at sector 16 (ECMA-119 8.4); it is read and
 * decoded here directly.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

#define ISO_SECTOR 2048
#define ISO_FIRST_VD 16
#define ISO_MAX_VDS 64 /* descriptors to look at before giving up */

/* A fixed-width text field, trailing padding removed. */
static char *
text_field (const guint8 *pvd, size_t off, size_t len)
{
  size_t n = len;
  while (n > 0 && (pvd[off + n - 1] == ' ' || pvd[off + n - 1] == '\0'))
    n--;
  char *s = g_strndup ((const char *) pvd + off, n);
  /* Control characters, and bytes that are not UTF-8, become '?'. */
  for (char *p = s; *p; p++)
    if ((guint8) *p < 0x20 || *p == 0x7f)
      *p = '?';
  if (!g_utf8_validate (s, -1, NULL))
    for (char *p = s; *p; p++)
      if ((guint8) *p >= 0x80)
        *p = '?';
  return s;
}

/* Both-byte-order fields: the little-endian half comes first. */
static guint32
le32 (const guint8 *p)
{
  return p[0] | p[1] << 8 | p[2] << 16 | (guint32) p[3] << 24;
}

static guint16
le16 (const guint8 *p)
{
  return p[0] | p[1] << 8;
}

static int
digits (const guint8 *p, int n)
{
  int v = 0;
  for (int i = 0; i < n; i++)
    {
      if (p[i] < '0' || p[i] > '9')
        return -1;
      v = v * 10 + (p[i] - '0');
    }
  return v;
}

/* A 17-byte volume date ("YYYYMMDDHHMMSScc" + offset from GMT in 15
 * minute units) as seconds since the epoch; -1 when it is not set (all
 * digits zero) or not valid. */
static gint64
volume_time (const guint8 *p)
{
  int year = digits (p, 4), mon = digits (p + 4, 2), day = digits (p + 6, 2);
  int hour = digits (p + 8, 2), min = digits (p + 10, 2), sec = digits (p + 12, 2);
  if (year <= 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || min < 0 ||
      min > 59 || sec < 0 || sec > 60)
    return -1;
  struct tm tm = { .tm_year = year - 1900,
                   .tm_mon = mon - 1,
                   .tm_mday = day,
                   .tm_hour = hour,
                   .tm_min = min,
                   .tm_sec = sec };
  gint64 t = timegm (&tm);
  int offset = (gint8) p[16];
  if (offset < -48 || offset > 52)
    offset = 0;
  return t - (gint64) offset * 15 * 60;
}

static gboolean
read_pvd (int fd, const char *name, gd_isoinfo *ret, GError **error)
{
  guint8 vd[ISO_SECTOR];
  for (int i = 0; i < ISO_MAX_VDS; i++)
    {
      off_t off = (off_t) (ISO_FIRST_VD + i) * ISO_SECTOR;
      ssize_t n = pread (fd, vd, sizeof vd, off);
      if (n < 0)
        {
          gd_perror (error, "%s", name);
          return FALSE;
        }
      if (n < (ssize_t) sizeof vd || memcmp (vd + 1, "CD001", 5) != 0)
        break;
      if (vd[0] == 255) /* set terminator */
        break;
      if (vd[0] != 1)
        continue;
      ret->iso_system_id = text_field (vd, 8, 32);
      ret->iso_volume_id = text_field (vd, 40, 32);
      ret->iso_volume_space_size = le32 (vd + 80);
      ret->iso_volume_set_size = le16 (vd + 120);
      ret->iso_volume_sequence_number = le16 (vd + 124);
      ret->iso_logical_block_size = le16 (vd + 128);
      ret->iso_volume_set_id = text_field (vd, 190, 128);
      ret->iso_publisher_id = text_field (vd, 318, 128);
      ret->iso_data_preparer_id = text_field (vd, 446, 128);
      ret->iso_application_id = text_field (vd, 574, 128);
      ret->iso_copyright_file_id = text_field (vd, 702, 37);
      ret->iso_abstract_file_id = text_field (vd, 739, 37);
      ret->iso_bibliographic_file_id = text_field (vd, 776, 37);
      ret->iso_volume_creation_t = volume_time (vd + 813);
      ret->iso_volume_modification_t = volume_time (vd + 830);
      ret->iso_volume_expiration_t = volume_time (vd + 847);
      ret->iso_volume_effective_t = volume_time (vd + 864);
      return TRUE;
    }
  gd_error_errno (error, EINVAL, "%s: not an ISO 9660 volume (no primary volume descriptor)", name);
  return FALSE;
}

gboolean
gd_do_isoinfo_device (GdRequest *req, const GdDevice *device, gd_isoinfo *ret, GError **error)
{
  (void) req;
  int fd = open (device->node, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      gd_perror (error, "%s", device->guest);
      return FALSE;
    }
  gboolean ok = read_pvd (fd, device->guest, ret, error);
  close (fd);
  return ok;
}

gboolean
gd_do_isoinfo (GdRequest *req, const char *isofile, gd_isoinfo *ret, GError **error)
{
  /* Only a regular file: a device node in the guest could name any device
   * of the machine. */
  int pfd = gd_open (req, isofile, O_PATH, 0, error);
  if (pfd < 0)
    return FALSE;
  struct stat st;
  if (fstat (pfd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (pfd);
      gd_error_errno (error, EINVAL, "%s: not a regular file", isofile);
      return FALSE;
    }
  g_autofree char *link = gd_fd_path (pfd);
  int fd = open (link, O_RDONLY | O_CLOEXEC);
  close (pfd);
  if (fd < 0)
    {
      gd_perror (error, "%s", isofile);
      return FALSE;
    }
  gboolean ok = read_pvd (fd, isofile, ret, error);
  close (fd);
  return ok;
}
