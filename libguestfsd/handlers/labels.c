/* libguestfsd handlers: filesystem labels and UUIDs.
 *
 * set_label, set_uuid and set_uuid_random probe the filesystem type and
 * use that filesystem's own tool; a type we cannot change is ENOTSUP, as
 * the API documents.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "fs-util.h"

gboolean
gd_fs_is_ext (const char *t)
{
  return strcmp (t, "ext2") == 0 || strcmp (t, "ext3") == 0 || strcmp (t, "ext4") == 0;
}

gboolean
gd_fs_is_fat (const char *t)
{
  return strcmp (t, "vfat") == 0 || strcmp (t, "msdos") == 0 || strcmp (t, "fat") == 0;
}

typedef struct
{
  const char *fstype;
  guint max;
  gboolean chars; /* max counts characters of UTF-8 text, not bytes */
} LabelLimit;

/* swap and btrfs: the fields are 16 and 256 bytes, and the tools keep a
 * terminating NUL (they would silently truncate a longer label). */
static const LabelLimit label_limits[] = {
  { "ext2", 16, FALSE }, { "ext3", 16, FALSE },   { "ext4", 16, FALSE }, { "jbd", 16, FALSE },
  { "xfs", 12, FALSE },  { "btrfs", 254, FALSE }, { "vfat", 11, FALSE }, { "msdos", 11, FALSE },
  { "fat", 11, FALSE },  { "swap", 15, FALSE },   { "ntfs", 128, TRUE }, { "exfat", 11, TRUE },
  { "f2fs", 512, TRUE },
};

gboolean
gd_fs_check_label (const char *fstype, const char *label, GError **error)
{
  if (strchr (label, '\n') != NULL)
    {
      gd_error_errno (error, EINVAL, "%s: a label cannot contain a newline", label);
      return FALSE;
    }
  for (size_t i = 0; i < G_N_ELEMENTS (label_limits); i++)
    {
      const LabelLimit *l = &label_limits[i];
      if (strcmp (l->fstype, fstype) != 0)
        continue;
      if (l->chars && !g_utf8_validate (label, -1, NULL))
        {
          gd_error_errno (error, EINVAL, "%s: %s labels must be valid UTF-8", label, fstype);
          return FALSE;
        }
      size_t len = l->chars ? (size_t) g_utf8_strlen (label, -1) : strlen (label);
      if (len > l->max)
        {
          gd_error_errno (error, EINVAL, "%s: %s labels are limited to %u %s", label, fstype,
                          l->max, l->chars ? "characters" : "bytes");
          return FALSE;
        }
      return TRUE;
    }
  return TRUE;
}

static char *
probe_type (GdRequest *req, const char *node, GError **error)
{
  return gd_fs_probe_tag (req, node, "TYPE", error);
}

gboolean
gd_do_set_label (GdRequest *req, const GdMountable *mountable, const char *label, GError **error)
{
  const GdDevice *dev = gd_mountable_device (mountable, error);
  if (dev == NULL || !gd_fs_check_writable (dev->node, dev->guest, error))
    return FALSE;
  const char *node = dev->node;
  g_autofree char *type = probe_type (req, node, error);
  if (type == NULL)
    return FALSE;
  if (!gd_fs_check_label (type, label, error))
    return FALSE;

  if (gd_fs_is_ext (type))
    return gd_run (req, NULL, error, "e2label", node, label, NULL);
  if (strcmp (type, "ntfs") == 0)
    return gd_run (req, NULL, error, "ntfslabel", node, label, NULL);
  if (strcmp (type, "xfs") == 0)
    {
      /* xfs_admin reads "--" as "clear the label", so that text cannot be
       * a label. */
      if (strcmp (label, "--") == 0)
        {
          gd_error_errno (error, EINVAL, "%s: not a valid XFS label", label);
          return FALSE;
        }
      return gd_run (req, NULL, error, "xfs_admin", "-L", *label ? label : "--", node, NULL);
    }
  if (strcmp (type, "btrfs") == 0)
    return gd_run (req, NULL, error, "btrfs", "filesystem", "label", node, label, NULL);
  if (gd_fs_is_fat (type))
    {
      if (*label == '\0')
        return gd_run (req, NULL, error, "fatlabel", "-r", node, NULL);
      return gd_run (req, NULL, error, "fatlabel", node, label, NULL);
    }
  if (strcmp (type, "swap") == 0)
    return gd_run (req, NULL, error, "swaplabel", "-L", label, node, NULL);
  if (strcmp (type, "exfat") == 0 && gd_prog_exists ("exfatlabel"))
    return gd_run (req, NULL, error, "exfatlabel", node, label, NULL);

  gd_error_errno (error, ENOTSUP, "don't know how to set the label for '%s' filesystems", type);
  return FALSE;
}

/* Hex digits only, exactly n of them. */
static gboolean
is_hex (const char *s, size_t n)
{
  if (strlen (s) != n)
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isxdigit (s[i]))
      return FALSE;
  return TRUE;
}

/* A FAT volume serial as blkid shows it ("ABCD-1234") or plain 8 hex
 * digits, as fatlabel -i takes it. */
static char *
fat_serial (const char *uuid)
{
  g_autofree char *s = g_strdup (uuid);
  if (strlen (s) == 9 && s[4] == '-')
    memmove (s + 4, s + 5, 5);
  return is_hex (s, 8) ? g_steal_pointer (&s) : NULL;
}

static gboolean
set_uuid (GdRequest *req, const GdDevice *device, const char *uuid, GError **error)
{
  const char *node = device->node;
  if (!gd_fs_check_writable (node, device->guest, error))
    return FALSE;
  g_autofree char *type = probe_type (req, node, error);
  if (type == NULL)
    return FALSE;
  gboolean random = uuid == NULL;
  gboolean valid = random || g_uuid_string_is_valid (uuid);

  if (gd_fs_is_ext (type))
    {
      if (!valid && strcmp (uuid, "clear") != 0 && strcmp (uuid, "random") != 0 &&
          strcmp (uuid, "time") != 0)
        goto invalid;
      return gd_run (req, NULL, error, "tune2fs", "-U", random ? "random" : uuid, node, NULL);
    }
  if (strcmp (type, "xfs") == 0)
    {
      if (!valid && strcmp (uuid, "generate") != 0 && strcmp (uuid, "nil") != 0)
        goto invalid;
      return gd_run (req, NULL, error, "xfs_admin", "-U", random ? "generate" : uuid, node, NULL);
    }
  if (strcmp (type, "btrfs") == 0)
    {
      if (!valid)
        goto invalid;
      if (random)
        return gd_run (req, NULL, error, "btrfstune", "-f", "-u", node, NULL);
      return gd_run (req, NULL, error, "btrfstune", "-f", "-U", uuid, node, NULL);
    }
  if (strcmp (type, "swap") == 0)
    {
      if (!valid)
        goto invalid;
      g_autofree char *fresh = random ? g_uuid_string_random () : NULL;
      return gd_run (req, NULL, error, "swaplabel", "-U", random ? fresh : uuid, node, NULL);
    }
  if (gd_fs_is_fat (type))
    {
      if (random)
        return gd_run (req, NULL, error, "fatlabel", "-i", "-r", node, NULL);
      g_autofree char *serial = fat_serial (uuid);
      if (serial == NULL)
        {
          gd_error_errno (error, EINVAL, "%s: a FAT volume serial is 8 hex digits (XXXX-XXXX)",
                          uuid);
          return FALSE;
        }
      return gd_run (req, NULL, error, "fatlabel", "-i", node, serial, NULL);
    }
  if (strcmp (type, "exfat") == 0 && gd_prog_exists ("exfatlabel"))
    {
      g_autofree char *serial =
          random ? g_strdup_printf ("%08x", g_random_int ()) : fat_serial (uuid);
      if (serial == NULL)
        {
          gd_error_errno (error, EINVAL, "%s: an exFAT volume serial is 8 hex digits (XXXX-XXXX)",
                          uuid);
          return FALSE;
        }
      g_autofree char *arg = g_strconcat ("0x", serial, NULL);
      return gd_run (req, NULL, error, "exfatlabel", "-i", node, arg, NULL);
    }
  if (strcmp (type, "ntfs") == 0)
    {
      if (random)
        return gd_run (req, NULL, error, "ntfslabel", "--new-serial", node, NULL);
      if (!is_hex (uuid, 16))
        {
          gd_error_errno (error, EINVAL, "%s: an NTFS volume serial is 16 hex digits", uuid);
          return FALSE;
        }
      g_autofree char *opt = g_strconcat ("--new-serial=", uuid, NULL);
      return gd_run (req, NULL, error, "ntfslabel", opt, node, NULL);
    }

  gd_error_errno (error, ENOTSUP, "don't know how to set the UUID for '%s' filesystems", type);
  return FALSE;

invalid:
  gd_error_errno (error, EINVAL, "%s: not a valid UUID", uuid);
  return FALSE;
}

gboolean
gd_do_set_uuid (GdRequest *req, const GdDevice *device, const char *uuid, GError **error)
{
  return set_uuid (req, device, uuid, error);
}

gboolean
gd_do_set_uuid_random (GdRequest *req, const GdDevice *device, GError **error)
{
  return set_uuid (req, device, NULL, error);
}
