/* libguestfsd handlers: LUKS and cryptsetup.
 *
 * Keys go to cryptsetup on its standard input (--key-file=-), never on
 * a command line, in a file or in the log.  Two keys (luks_add_key) go
 * one after the other, each read by its exact length.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <blkid.h>

#include "gd-actions.h"
#include "gd-private.h"

/* Runs cryptsetup with secret (may be NULL) on its stdin. */
static gboolean
cryptsetup (GdRequest *req, const char *const *argv, const char *secret, size_t secret_len,
            char **out, GError **error)
{
  GdRunOpts opts = {
    .argv = argv,
    .flags = GD_RUN_ANY_STATUS,
    .stdin_fd = -1,
    .stdout_fd = -1,
    .stdin_data = secret,
    .stdin_len = secret_len,
  };
  g_autofree char *o = NULL, *e = NULL;
  int status = 0;
  if (!gd_run_full (req, &opts, &o, &e, &status, error))
    return FALSE;
  if (status != 0)
    {
      g_autofree char *msg = g_strdup (*e ? e : o);
      g_strstrip (msg);
      /* Status 2: no key slot opened with this passphrase. */
      int code = status == 2 ? EPERM : 0;
      if (*msg == '\0')
        gd_error_errno (error, code, "cryptsetup exited with status %d", status);
      else
        gd_error_errno (error, code, "cryptsetup exited with status %d: %s", status, msg);
      return FALSE;
    }
  if (out)
    *out = g_steal_pointer (&o);
  return TRUE;
}

static gboolean
check_key (const char *key, GError **error)
{
  if (*key == '\0')
    {
      gd_error_errno (error, EINVAL, "the key must not be empty");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_mapname (const char *mapname, GError **error)
{
  if (*mapname == '\0' || strchr (mapname, '/') != NULL || strcmp (mapname, "control") == 0 ||
      strcmp (mapname, ".") == 0 || strcmp (mapname, "..") == 0 || strlen (mapname) > 127)
    {
      gd_error_errno (error, EINVAL, "%s: not a usable device-mapper name", mapname);
      return FALSE;
    }
  g_autofree char *path = g_build_filename ("/dev/mapper", mapname, NULL);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      gd_error_errno (error, EEXIST, "%s: this device-mapper name is in use", path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
open_device (GdRequest *req, const GdDevice *device, const char *key, const char *mapname,
             gboolean readonly, const char *type, GError **error)
{
  if (!check_key (key, error) || !check_mapname (mapname, error))
    return FALSE;
  g_autofree char *typeopt = type ? g_strdup_printf ("--type=%s", type) : NULL;
  const char *argv[8];
  int n = 0;
  argv[n++] = "cryptsetup";
  argv[n++] = "--key-file=-";
  if (readonly)
    argv[n++] = "--readonly";
  if (typeopt)
    argv[n++] = typeopt;
  argv[n++] = "open";
  argv[n++] = device->node;
  argv[n++] = mapname;
  argv[n] = NULL;
  if (!cryptsetup (req, argv, key, strlen (key), NULL, error))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

gboolean
gd_do_luks_open (GdRequest *req, const GdDevice *device, const char *key, const char *mapname,
                 GError **error)
{
  return open_device (req, device, key, mapname, FALSE, "luks", error);
}

gboolean
gd_do_luks_open_ro (GdRequest *req, const GdDevice *device, const char *key, const char *mapname,
                    GError **error)
{
  return open_device (req, device, key, mapname, TRUE, "luks", error);
}

/* The type cryptsetup needs for an encrypted device: LUKS, or BitLocker. */
static const char *
detect_type (const char *node)
{
  const char *type = "luks";
  blkid_probe pr = blkid_new_probe_from_filename (node);
  if (pr == NULL)
    return type;
  blkid_probe_enable_superblocks (pr, 1);
  blkid_probe_set_superblocks_flags (pr, BLKID_SUBLKS_TYPE);
  const char *t = NULL;
  if (blkid_do_safeprobe (pr) == 0 && blkid_probe_lookup_value (pr, "TYPE", &t, NULL) == 0 &&
      strcmp (t, "BitLocker") == 0)
    type = "bitlk";
  blkid_free_probe (pr);
  return type;
}

gboolean
gd_do_cryptsetup_open (GdRequest *req, const GdDevice *device, const char *key, const char *mapname,
                       gboolean readonly, const char *crypttype, GError **error)
{
  if (!gd_request_has_optarg (req, GD_CRYPTSETUP_OPEN_READONLY_BITMASK))
    readonly = FALSE;
  const char *type;
  if (gd_request_has_optarg (req, GD_CRYPTSETUP_OPEN_CRYPTTYPE_BITMASK) && *crypttype)
    type = crypttype;
  else
    type = detect_type (device->node);
  return open_device (req, device, key, mapname, readonly, type, error);
}

/* The device-mapper name of a mapping that cryptsetup made. */
static char *
crypt_mapping_name (const GdDevice *device, GError **error)
{
  g_autofree char *name = NULL, *uuid = NULL;
  if (gd_device_dm_info (device->node, &name, &uuid) && g_str_has_prefix (uuid, "CRYPT-"))
    return g_steal_pointer (&name);
  gd_error_errno (error, EINVAL,
                  "%s: you must call this on the /dev/mapper device created by cryptsetup-open",
                  device->guest);
  return NULL;
}

gboolean
gd_do_cryptsetup_close (GdRequest *req, const GdDevice *device, GError **error)
{
  g_autofree char *name = crypt_mapping_name (device, error);
  if (name == NULL)
    return FALSE;
  const char *argv[] = { "cryptsetup", "close", name, NULL };
  if (!cryptsetup (req, argv, NULL, 0, NULL, error))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

gboolean
gd_do_luks_close (GdRequest *req, const GdDevice *device, GError **error)
{
  return gd_do_cryptsetup_close (req, device, error);
}

static gboolean
format (GdRequest *req, const GdDevice *device, const char *key, int keyslot, const char *cipher,
        GError **error)
{
  if (!check_key (key, error))
    return FALSE;
  g_autofree char *slot = g_strdup_printf ("--key-slot=%d", keyslot);
  g_autofree char *cipheropt = cipher ? g_strdup_printf ("--cipher=%s", cipher) : NULL;
  const char *argv[] = {
    "cryptsetup", "--batch-mode", "--key-file=-", slot, "luksFormat", device->node, cipheropt, NULL,
  };
  /* The cipher option goes before the device when there is one. */
  if (cipheropt)
    {
      argv[4] = cipheropt;
      argv[5] = "luksFormat";
      argv[6] = device->node;
    }
  if (!cryptsetup (req, argv, key, strlen (key), NULL, error))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

gboolean
gd_do_luks_format (GdRequest *req, const GdDevice *device, const char *key, int keyslot,
                   GError **error)
{
  return format (req, device, key, keyslot, NULL, error);
}

gboolean
gd_do_luks_format_cipher (GdRequest *req, const GdDevice *device, const char *key, int keyslot,
                          const char *cipher, GError **error)
{
  return format (req, device, key, keyslot, cipher, error);
}

gboolean
gd_do_luks_add_key (GdRequest *req, const GdDevice *device, const char *key, const char *newkey,
                    int keyslot, GError **error)
{
  if (!check_key (key, error) || !check_key (newkey, error))
    return FALSE;
  /* Both keys on stdin: the existing one, then the new one ("-"). */
  size_t klen = strlen (key), nlen = strlen (newkey);
  g_autofree char *keysize = g_strdup_printf ("--keyfile-size=%zu", klen);
  g_autofree char *newsize = g_strdup_printf ("--new-keyfile-size=%zu", nlen);
  g_autofree char *slot = g_strdup_printf ("--key-slot=%d", keyslot);
  g_autofree char *both = g_malloc (klen + nlen);
  memcpy (both, key, klen);
  memcpy (both + klen, newkey, nlen);
  const char *argv[] = {
    "cryptsetup", "--batch-mode", "--key-file=-", keysize, newsize,
    slot,         "luksAddKey",   device->node,   "-",     NULL,
  };
  gboolean ok = cryptsetup (req, argv, both, klen + nlen, NULL, error);
  memset (both, 0, klen + nlen);
  return ok;
}

gboolean
gd_do_luks_kill_slot (GdRequest *req, const GdDevice *device, const char *key, int keyslot,
                      GError **error)
{
  if (!check_key (key, error))
    return FALSE;
  g_autofree char *slot = g_strdup_printf ("%d", keyslot);
  const char *argv[] = {
    "cryptsetup", "--batch-mode", "--key-file=-", "luksKillSlot", device->node, slot, NULL,
  };
  return cryptsetup (req, argv, key, strlen (key), NULL, error);
}

gboolean
gd_do_luks_uuid (GdRequest *req, const GdDevice *device, char **ret, GError **error)
{
  const char *argv[] = { "cryptsetup", "luksUUID", device->node, NULL };
  g_autofree char *out = NULL;
  g_autoptr (GError) err = NULL;
  if (!cryptsetup (req, argv, NULL, 0, &out, &err))
    {
      /* cryptsetup says nothing when the device has no LUKS header. */
      if (strchr (err->message, ':') == NULL)
        gd_error_errno (error, EINVAL, "%s: not a LUKS device", device->guest);
      else
        g_propagate_error (error, g_steal_pointer (&err));
      return FALSE;
    }
  *ret = g_strdup (g_strstrip (out));
  return TRUE;
}
