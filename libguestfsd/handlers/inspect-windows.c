/* libguestfsd handlers: inspecting Windows and DOS.
 *
 * A Windows root has a system directory (\Windows, \WINNT ...) with
 * System32\config in it; names are matched ignoring case, as Windows
 * does.  The registry hives there (read with libhivex through an fd that
 * gd_open resolved inside the guest) give the product, version, variant,
 * hostname, current control set and drive letters.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <hivex.h>
#include <string.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "inspect.h"

/* ------------------------------------------------------------------------
 * Registry access.
 */

static hive_h *
open_hive (GdRequest *req, const char *path)
{
  g_autoptr (GError) err = NULL;
  int fd = gd_open (req, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0, &err);
  if (fd < 0)
    return NULL;
  /* hivex opens by name: the /proc name of our fd is the file gd_open
   * found, whatever the guest's symlinks say. */
  g_autofree char *name = gd_fd_path (fd);
  hive_h *h = hivex_open (name, 0);
  if (h == NULL)
    h = hivex_open (name, HIVEX_OPEN_UNSAFE);
  close (fd);
  if (h == NULL)
    gd_log (gd_request_connection (req), "inspect: %s: cannot open hive: %s", path,
            g_strerror (errno));
  return h;
}

/* The node at a backslash-separated path below the root, or 0. */
static hive_node_h
node_at (hive_h *h, const char *path)
{
  hive_node_h node = hivex_root (h);
  g_auto (GStrv) parts = g_strsplit (path, "\\", -1);
  for (char **p = parts; node != 0 && *p; p++)
    if (**p)
      node = hivex_node_get_child (h, node, *p);
  return node;
}

static char *
value_string (hive_h *h, hive_node_h node, const char *key)
{
  if (node == 0)
    return NULL;
  hive_value_h v = hivex_node_get_value (h, node, key);
  if (v == 0)
    return NULL;
  hive_type t;
  size_t len;
  if (hivex_value_type (h, v, &t, &len) < 0 || (t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ))
    return NULL;
  char *s = hivex_value_string (h, v);
  if (s == NULL)
    return NULL;
  char *out = g_strdup (g_strstrip (s));
  free (s);
  return out;
}

static gboolean
value_dword (hive_h *h, hive_node_h node, const char *key, guint32 *out)
{
  if (node == 0)
    return FALSE;
  hive_value_h v = hivex_node_get_value (h, node, key);
  if (v == 0)
    return FALSE;
  hive_type t;
  size_t len;
  if (hivex_value_type (h, v, &t, &len) < 0 ||
      (t != hive_t_REG_DWORD && t != hive_t_REG_DWORD_BIG_ENDIAN))
    return FALSE;
  errno = 0;
  int32_t d = hivex_value_dword (h, v);
  if (d == -1 && errno != 0)
    return FALSE;
  *out = (guint32) d;
  return TRUE;
}

/* ------------------------------------------------------------------------
 * SOFTWARE: product, variant, version.
 */

static void
read_software (GdRequest *req, GdInspectRoot *r)
{
  hive_h *h = open_hive (req, r->windows_software_hive);
  if (h == NULL)
    return;
  hive_node_h cv = node_at (h, "Microsoft\\Windows NT\\CurrentVersion");
  g_autofree char *product = value_string (h, cv, "ProductName");
  g_autofree char *variant = value_string (h, cv, "InstallationType");
  g_autofree char *version = value_string (h, cv, "CurrentVersion");
  gd_inspect_set (&r->product_name, product);
  gd_inspect_set (&r->product_variant, variant);
  guint32 major, minor;
  /* Windows 10 and later keep "6.3" in CurrentVersion for old programs
   * and the real numbers in these. */
  if (value_dword (h, cv, "CurrentMajorVersionNumber", &major))
    {
      r->major = (int) MIN (major, G_MAXINT);
      r->minor = value_dword (h, cv, "CurrentMinorVersionNumber", &minor)
                     ? (int) MIN (minor, G_MAXINT)
                     : 0;
    }
  else
    gd_inspect_parse_version (version, &r->major, &r->minor);
  hivex_close (h);
}

/* ------------------------------------------------------------------------
 * SYSTEM: control set, hostname, drive letters.
 */

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint64
le64 (const guint8 *p)
{
  return (guint64) le32 (p) | (guint64) le32 (p + 4) << 32;
}

/* The partition an MBR-style MountedDevices value names: the disk whose
 * signature (at byte 440 of its MBR) matches, and the partition starting
 * at the byte offset given. */
static const char *
mbr_partition (GdInspectCtx *ctx, guint32 signature, guint64 offset)
{
  for (guint i = 0; i < ctx->disks->len; i++)
    {
      const GdDevice *d = g_ptr_array_index (ctx->disks, i);
      int fd = open (d->node, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      guint8 sig[4];
      gboolean match = pread (fd, sig, 4, 440) == 4 && le32 (sig) == signature;
      close (fd);
      if (!match)
        continue;
      for (guint j = 0; j < ctx->cands->len; j++)
        {
          GdInspectCand *c = g_ptr_array_index (ctx->cands, j);
          if (c->disk_index == (int) i && c->start == offset)
            return c->dev->node;
        }
    }
  return NULL;
}

static const char *
gpt_partition (GdInspectCtx *ctx, const guint8 *g)
{
  g_autofree char *uuid = g_strdup_printf (
      "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", le32 (g), (guint) (g[4] | g[5] << 8),
      (guint) (g[6] | g[7] << 8), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
  for (guint j = 0; j < ctx->cands->len; j++)
    {
      GdInspectCand *c = g_ptr_array_index (ctx->cands, j);
      if (c->partuuid && g_ascii_strcasecmp (c->partuuid, uuid) == 0)
        return c->dev->node;
    }
  return NULL;
}

static void
drive_mappings (GdInspectCtx *ctx, GdInspectRoot *r, hive_h *h)
{
  hive_node_h md = node_at (h, "MountedDevices");
  if (md == 0)
    return;
  hive_value_h *values = hivex_node_values (h, md);
  if (values == NULL)
    return;
  char *found[26] = { NULL };
  for (size_t i = 0; values[i] != 0; i++)
    {
      g_autofree char *key = hivex_value_key (h, values[i]);
      if (key == NULL || !g_str_has_prefix (key, "\\DosDevices\\") || strlen (key) != 14 ||
          !g_ascii_isalpha (key[12]) || key[13] != ':')
        continue;
      int letter = g_ascii_toupper (key[12]) - 'A';
      hive_type t;
      size_t len = 0;
      g_autofree guint8 *data = (guint8 *) hivex_value_value (h, values[i], &t, &len);
      if (data == NULL || t != hive_t_REG_BINARY)
        continue;
      const char *node = NULL;
      if (len == 12)
        node = mbr_partition (ctx, le32 (data), le64 (data + 4));
      else if (len == 24 && memcmp (data, "DMIO:ID:", 8) == 0)
        node = gpt_partition (ctx, data + 8);
      /* Other values (CD-ROMs, USB sticks, volume GUIDs) name no disk. */
      if (node != NULL && found[letter] == NULL)
        found[letter] = g_strdup (node);
    }
  free (values);
  for (int i = 0; i < 26; i++)
    if (found[i] != NULL)
      {
        g_ptr_array_add (r->drive_mappings, g_strdup_printf ("%c", 'A' + i));
        g_ptr_array_add (r->drive_mappings, found[i]);
      }
}

static void
read_system (GdInspectCtx *ctx, GdInspectRoot *r)
{
  hive_h *h = open_hive (ctx->req, r->windows_system_hive);
  if (h == NULL)
    return;
  guint32 current;
  if (value_dword (h, node_at (h, "Select"), "Current", &current) && current < 1000)
    r->windows_current_control_set = g_strdup_printf ("ControlSet%03u", current);
  if (r->windows_current_control_set != NULL)
    {
      g_autofree char *cn = g_strdup_printf ("%s\\Control\\ComputerName\\ComputerName",
                                             r->windows_current_control_set);
      g_autofree char *tcpip =
          g_strdup_printf ("%s\\Services\\Tcpip\\Parameters", r->windows_current_control_set);
      g_autofree char *name = value_string (h, node_at (h, cn), "ComputerName");
      if (name == NULL)
        name = value_string (h, node_at (h, tcpip), "Hostname");
      gd_inspect_set (&r->hostname, name);
    }
  drive_mappings (ctx, r, h);
  hivex_close (h);
}

/* ------------------------------------------------------------------------
 * The roots.
 */

static char *
find_systemroot (GdRequest *req)
{
  static const char *const names[] = { "/Windows", "/WINNT", "/WIN32", "/WIN" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *sr = gd_inspect_case_path (req, names[i]);
      if (sr == NULL || !gd_inspect_is_dir (req, sr))
        continue;
      g_autofree char *config = g_strconcat (sr, "/System32/config", NULL);
      g_autofree char *real = gd_inspect_case_path (req, config);
      if (real != NULL && gd_inspect_is_dir (req, real))
        return g_steal_pointer (&sr);
    }
  return NULL;
}

static char *
hive_path (GdRequest *req, const char *systemroot, const char *name)
{
  g_autofree char *p = g_strconcat (systemroot, "/System32/config/", name, NULL);
  char *real = gd_inspect_case_path (req, p);
  if (real != NULL && !gd_inspect_is_file (req, real))
    g_clear_pointer (&real, g_free);
  return real;
}

GdInspectRoot *
gd_inspect_windows (GdInspectCtx *ctx, const char *mountable)
{
  GdRequest *req = ctx->req;
  g_autofree char *sr = find_systemroot (req);
  if (sr == NULL)
    return NULL;
  GdInspectRoot *r = gd_inspect_root_new (mountable);
  gd_inspect_set (&r->type, "windows");
  gd_inspect_set (&r->distro, "windows");
  r->windows_systemroot = g_steal_pointer (&sr);
  g_ptr_array_add (r->mountpoints, g_strdup ("/"));
  g_ptr_array_add (r->mountpoints, g_strdup (mountable));
  g_ptr_array_add (r->filesystems, g_strdup (mountable));

  r->windows_software_hive = hive_path (req, r->windows_systemroot, "SOFTWARE");
  r->windows_system_hive = hive_path (req, r->windows_systemroot, "SYSTEM");
  if (r->windows_software_hive != NULL)
    read_software (req, r);
  if (r->windows_system_hive != NULL)
    read_system (ctx, r);

  static const char *const bins[] = { "/System32/cmd.exe", "/System32/ntoskrnl.exe",
                                      "/explorer.exe", "/regedit.exe" };
  for (guint i = 0; i < G_N_ELEMENTS (bins) && r->arch == NULL; i++)
    {
      g_autofree char *p = g_strconcat (r->windows_systemroot, bins[i], NULL);
      g_autofree char *real = gd_inspect_case_path (req, p);
      if (real != NULL)
        r->arch = gd_inspect_binary_arch (req, real);
    }
  return r;
}

GdInspectRoot *
gd_inspect_dos (GdInspectCtx *ctx, const char *mountable)
{
  GdRequest *req = ctx->req;
  g_autofree char *kernel = gd_inspect_case_path (req, "/KERNEL.SYS");
  g_autofree char *io = gd_inspect_case_path (req, "/IO.SYS");
  g_autofree char *msdos = gd_inspect_case_path (req, "/MSDOS.SYS");
  g_autofree char *autoexec = gd_inspect_case_path (req, "/AUTOEXEC.BAT");
  g_autofree char *config = gd_inspect_case_path (req, "/CONFIG.SYS");
  g_autofree char *command = gd_inspect_case_path (req, "/COMMAND.COM");
  gboolean system = kernel != NULL || io != NULL || msdos != NULL;
  if (!system || (autoexec == NULL && config == NULL && command == NULL))
    return NULL;
  GdInspectRoot *r = gd_inspect_root_new (mountable);
  gd_inspect_set (&r->type, "dos");
  gd_inspect_set (&r->distro, kernel != NULL ? "freedos" : "msdos");
  if (kernel != NULL)
    gd_inspect_set (&r->product_name, "FreeDOS");
  g_ptr_array_add (r->mountpoints, g_strdup ("/"));
  g_ptr_array_add (r->mountpoints, g_strdup (mountable));
  g_ptr_array_add (r->filesystems, g_strdup (mountable));
  return r;
}
