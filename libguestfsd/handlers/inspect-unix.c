/* libguestfsd handlers: inspecting Linux, the BSDs, Hurd and MINIX.
 *
 * A filesystem is the root of a Unix-like system when it has /etc and a
 * sign of a system around it (/bin, /usr/bin, an os-release file).  Its fstab says which other filesystems belong to it; when /usr
 * is one of them it is mounted too, since /etc/os-release and the
 * binaries often live there.  The distribution comes from os-release,
 * or from the older release files.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "inspect.h"

/* ------------------------------------------------------------------------
 * Small parsers.
 */

/* Value of NAME in shell-style assignments (os-release, lsb-release,
 * rc.conf ...), unquoted, or NULL. */
static char *
shell_var (const char *text, const char *name)
{
  if (text == NULL)
    return NULL;
  size_t n = strlen (name);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  char *found = NULL;
  for (char **l = lines; *l; l++)
    {
      const char *p = *l;
      while (*p == ' ' || *p == '\t')
        p++;
      if (g_str_has_prefix (p, "export "))
        p += strlen ("export ");
      if (strncmp (p, name, n) != 0 || p[n] != '=')
        continue;
      p += n + 1;
      GString *v = g_string_new (NULL);
      char quote = 0;
      for (; *p; p++)
        {
          if (quote == 0 && (*p == '"' || *p == '\''))
            quote = *p;
          else if (quote != 0 && *p == quote)
            quote = 0;
          else if (quote != '\'' && *p == '\\' && p[1] != '\0')
            g_string_append_c (v, *++p);
          else if (quote == 0 && (*p == '#' || *p == ' ' || *p == '\t' || *p == ';'))
            break;
          else
            g_string_append_c (v, *p);
        }
      g_free (found);
      found = g_string_free (v, FALSE); /* the last assignment wins */
    }
  if (found != NULL && *found == '\0')
    g_clear_pointer (&found, g_free);
  return found;
}

/* The version after "release " (or the first number) in s. */
static gboolean
release_version (const char *s, int *major, int *minor)
{
  if (s == NULL)
    return FALSE;
  const char *r = strstr (s, "release ");
  if (r != NULL && gd_inspect_parse_version (r + strlen ("release "), major, minor))
    return TRUE;
  for (const char *p = s; *p && *p != '\n'; p++)
    if (g_ascii_isdigit (*p) && (p == s || !g_ascii_isalnum (p[-1])))
      return gd_inspect_parse_version (p, major, minor);
  return FALSE;
}

static char *
first_line (const char *text)
{
  if (text == NULL)
    return NULL;
  g_autofree char *l = g_strndup (text, strcspn (text, "\n"));
  g_strstrip (l);
  return *l ? g_steal_pointer (&l) : NULL;
}

/* ------------------------------------------------------------------------
 * fstab.
 */

/* \040 and friends in fstab fields. */
static char *
unoctal (const char *s)
{
  GString *out = g_string_new (NULL);
  for (const char *p = s; *p; p++)
    {
      if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
          p[3] <= '7')
        {
          g_string_append_c (out, (char) ((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0')));
          p += 3;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* \xNN in /dev/disk/by-label names. */
static char *
unhex (const char *s)
{
  GString *out = g_string_new (NULL);
  for (const char *p = s; *p; p++)
    {
      if (p[0] == '\\' && p[1] == 'x' && g_ascii_isxdigit (p[2]) && g_ascii_isxdigit (p[3]))
        {
          g_string_append_c (
              out, (char) (g_ascii_xdigit_value (p[2]) << 4 | g_ascii_xdigit_value (p[3])));
          p += 3;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static char *
strip_quotes (const char *s)
{
  size_t n = strlen (s);
  if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0])
    return g_strndup (s + 1, n - 2);
  return g_strdup (s);
}

typedef enum
{
  BY_UUID,
  BY_LABEL,
  BY_PARTUUID,
  BY_PARTLABEL,
} ByWhat;

static GdInspectCand *
find_by (GdInspectCtx *ctx, ByWhat what, const char *value)
{
  for (guint i = 0; i < ctx->cands->len; i++)
    {
      GdInspectCand *c = g_ptr_array_index (ctx->cands, i);
      const char *v = what == BY_UUID       ? c->uuid
                      : what == BY_LABEL    ? c->label
                      : what == BY_PARTUUID ? c->partuuid
                                            : c->partlabel;
      if (v == NULL)
        continue;
      gboolean eq = (what == BY_UUID || what == BY_PARTUUID) ? g_ascii_strcasecmp (v, value) == 0
                                                             : strcmp (v, value) == 0;
      if (eq)
        return c;
    }
  return NULL;
}

/* FreeBSD's names for GPT partitions of virtio, ATA and SCSI disks:
 * vtbd0p2 is partition 2 of the first disk. */
static char *
bsd_disk_name (const char *name)
{
  static const char *const prefixes[] = { "/dev/vtbd", "/dev/ada", "/dev/ad",
                                          "/dev/da",   "/dev/nvd", NULL };
  for (const char *const *pre = prefixes; *pre; pre++)
    {
      if (!g_str_has_prefix (name, *pre))
        continue;
      const char *p = name + strlen (*pre);
      char *end;
      if (!g_ascii_isdigit (*p))
        return NULL;
      guint64 disk = g_ascii_strtoull (p, &end, 10);
      if (*end != 'p' || !g_ascii_isdigit (end[1]) || disk >= 26)
        return NULL;
      guint64 part = g_ascii_strtoull (end + 1, &end, 10);
      if (*end != '\0' || part == 0 || part > 128)
        return NULL;
      return g_strdup_printf ("/dev/sd%c%u", (char) ('a' + disk), (guint) part);
    }
  return NULL;
}

/* The host node of one of our devices named by an fstab spec, or NULL. */
static char *
resolve_spec (GdInspectCtx *ctx, const char *spec, gboolean *is_device_name)
{
  static const struct
  {
    const char *prefix;
    ByWhat what;
    gboolean hex;
  } tags[] = {
    { "UUID=", BY_UUID, FALSE },
    { "LABEL=", BY_LABEL, FALSE },
    { "PARTUUID=", BY_PARTUUID, FALSE },
    { "PARTLABEL=", BY_PARTLABEL, FALSE },
    { "/dev/disk/by-uuid/", BY_UUID, TRUE },
    { "/dev/disk/by-label/", BY_LABEL, TRUE },
    { "/dev/disk/by-partuuid/", BY_PARTUUID, TRUE },
    { "/dev/disk/by-partlabel/", BY_PARTLABEL, TRUE },
    { "/dev/gptid/", BY_PARTUUID, FALSE }, /* FreeBSD */
    { "/dev/gpt/", BY_PARTLABEL, FALSE },
    { "/dev/ufs/", BY_LABEL, FALSE },
  };
  *is_device_name = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (tags); i++)
    {
      if (!g_str_has_prefix (spec, tags[i].prefix))
        continue;
      const char *rest = spec + strlen (tags[i].prefix);
      g_autofree char *value = tags[i].hex ? unhex (rest) : strip_quotes (rest);
      GdInspectCand *c = find_by (ctx, tags[i].what, value);
      return c ? g_strdup (c->dev->node) : NULL;
    }
  if (!g_str_has_prefix (spec, "/dev/"))
    return NULL;
  *is_device_name = TRUE;
  g_autofree char *bsd = bsd_disk_name (spec);
  g_autoptr (GdDevice) dev =
      gd_device_lookup (gd_request_connection (ctx->req), bsd ? bsd : spec, NULL);
  if (dev == NULL)
    return NULL;
  /* /dev/VG/LV or /dev/mapper/VG-LV: the candidate's own node, so that
   * the same filesystem is one mountable whatever the spelling. */
  GdInspectCand *c = gd_inspect_find_node (ctx, dev->node);
  return g_strdup (c ? c->dev->node : dev->node);
}

static gboolean
pseudo_fstype (const char *t)
{
  static const char *const pseudo[] = {
    "proc",        "sysfs",      "tmpfs",    "devpts",    "devtmpfs", "nfs",     "nfs4",
    "cifs",        "smbfs",      "smb3",     "autofs",    "usbfs",    "debugfs", "securityfs",
    "cgroup",      "cgroup2",    "efivarfs", "hugetlbfs", "mqueue",   "fusectl", "configfs",
    "binfmt_misc", "rpc_pipefs", "9p",       "virtiofs",  "nullfs",   "procfs",  "fdescfs",
    "linprocfs",   "linsysfs",   "kernfs",   "ptyfs",     "mfs",      "tmpfs",   "none",
    "sshfs",       "glusterfs",  "ceph",     "bind",      "rbind",    "overlay", "ramfs",
    NULL
  };
  if (g_str_has_prefix (t, "fuse"))
    return TRUE;
  for (const char *const *p = pseudo; *p; p++)
    if (strcmp (t, *p) == 0)
      return TRUE;
  return FALSE;
}

static char *
option_value (const char *options, const char *name)
{
  g_auto (GStrv) opts = g_strsplit (options, ",", -1);
  size_t n = strlen (name);
  for (char **o = opts; *o; o++)
    if (strncmp (*o, name, n) == 0 && (*o)[n] == '=')
      return g_strdup (*o + n + 1);
  return NULL;
}

static gboolean
has_option (const char *options, const char *name)
{
  g_auto (GStrv) opts = g_strsplit (options, ",", -1);
  return g_strv_contains ((const char *const *) opts, name);
}

static void
add_unique (GPtrArray *list, const char *s)
{
  for (guint i = 0; i < list->len; i++)
    if (strcmp (g_ptr_array_index (list, i), s) == 0)
      return;
  g_ptr_array_add (list, g_strdup (s));
}

/* Reverses a list of groups of n strings. */
static void
reverse (GPtrArray *list, guint n)
{
  guint groups = list->len / n;
  for (guint i = 0; i < groups / 2; i++)
    for (guint k = 0; k < n; k++)
      {
        gpointer *a = &list->pdata[i * n + k], *b = &list->pdata[(groups - 1 - i) * n + k];
        gpointer t = *a;
        *a = *b;
        *b = t;
      }
}

static gboolean
has_mountpoint (GdInspectRoot *r, const char *mp)
{
  for (guint i = 0; i < r->mountpoints->len; i += 2)
    if (strcmp (g_ptr_array_index (r->mountpoints, i), mp) == 0)
      return TRUE;
  return FALSE;
}

static void
parse_fstab (GdInspectCtx *ctx, GdInspectRoot *r, const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_strstrip (*l);
      if (**l == '\0' || **l == '#')
        continue;
      g_auto (GStrv) f = g_strsplit_set (*l, " \t", -1);
      const char *fields[4] = { NULL, NULL, "", "" };
      int nf = 0;
      for (char **p = f; *p && nf < 4; p++)
        if (**p)
          fields[nf++] = *p;
      if (nf < 2)
        continue;
      g_autofree char *spec = unoctal (fields[0]);
      g_autofree char *mp = unoctal (fields[1]);
      const char *type = fields[2], *options = fields[3];
      gboolean swap = strcmp (type, "swap") == 0 || strcmp (mp, "swap") == 0;
      if (!swap && (mp[0] != '/' || pseudo_fstype (type) || has_option (options, "bind") ||
                    has_option (options, "rbind")))
        continue;
      if (g_str_has_prefix (spec, "/dev/fd") || g_str_has_prefix (spec, "/dev/cdrom") ||
          g_str_has_prefix (spec, "/dev/sr") || g_str_has_prefix (spec, "/dev/dvd") ||
          g_str_has_prefix (spec, "/dev/floppy") || g_str_has_prefix (spec, "/dev/scd") ||
          g_str_has_prefix (spec, "/dev/cd"))
        continue;
      gboolean devname;
      g_autofree char *node = resolve_spec (ctx, spec, &devname);
      g_autofree char *mountable = NULL;
      if (node != NULL)
        {
          GdInspectCand *c = gd_inspect_find_node (ctx, node);
          g_autofree char *subvol = option_value (options, "subvol");
          const char *sv = subvol;
          while (sv && *sv == '/')
            sv++;
          if (sv && *sv && c && c->type && strcmp (c->type, "btrfs") == 0)
            mountable = g_strdup_printf ("btrfsvol:%s/%s", node, sv);
          else
            mountable = g_strdup (node);
        }
      else if (devname)
        /* As the guest wrote it, though it may not exist here (a swap
         * device opened at boot, /dev/mapper/cryptswap1, a disk not
         * attached): the original lists it among the filesystems. */
        mountable = g_strdup (spec);
      if (mountable == NULL)
        continue;
      if (!swap && strcmp (mp, "/") != 0 && !has_mountpoint (r, mp))
        {
          g_ptr_array_add (r->mountpoints, g_strdup (mp));
          g_ptr_array_add (r->mountpoints, g_strdup (mountable));
        }
      if (strcmp (mp, "/") != 0)
        add_unique (r->filesystems, mountable);
    }
}

/* A separate /usr holds os-release, the binaries and the package
 * database of many systems: look at it where the guest would. */
static void
mount_usr (GdInspectCtx *ctx, GdInspectRoot *r)
{
  for (guint i = 0; i < r->mountpoints->len; i += 2)
    {
      if (strcmp (g_ptr_array_index (r->mountpoints, i), "/usr") != 0)
        continue;
      g_autoptr (GError) err = NULL;
      if (!gd_inspect_is_dir (ctx->req, "/usr") ||
          !gd_inspect_mount (ctx, g_ptr_array_index (r->mountpoints, i + 1), "/usr", &err))
        gd_log (gd_request_connection (ctx->req), "inspect: /usr of %s not mounted: %s", r->root,
                err ? err->message : "no /usr directory");
      return;
    }
}

/* CoreOS has no fstab: its /usr, which holds os-release and the
 * binaries, is the partition labelled USR-A (USR-B is the other slot of
 * its A/B updates), mounted by the initramfs. */
static void
coreos_usr (GdInspectCtx *ctx, GdInspectRoot *r)
{
  if (!gd_inspect_exists (ctx->req, "/etc/coreos/update.conf") &&
      !gd_inspect_exists (ctx->req, "/etc/coreos"))
    return;
  for (guint i = 0; i < ctx->cands->len; i++)
    {
      GdInspectCand *c = g_ptr_array_index (ctx->cands, i);
      if (g_strcmp0 (c->label, "USR-A") != 0 || c->type == NULL)
        continue;
      g_ptr_array_add (r->mountpoints, g_strdup ("/usr"));
      g_ptr_array_add (r->mountpoints, g_strdup (c->dev->node));
      add_unique (r->filesystems, c->dev->node);
      return;
    }
}

/* ------------------------------------------------------------------------
 * Distributions.
 */

static const struct
{
  const char *id;
  const char *distro;
} os_release_ids[] = {
  { "alpine", "alpinelinux" },
  { "altlinux", "altlinux" },
  { "arch", "archlinux" },
  { "archarm", "archlinux" },
  { "buildroot", "buildroot" },
  { "centos", "centos" },
  { "cirros", "cirros" },
  { "coreos", "coreos" },
  { "debian", "debian" },
  { "fedora", "fedora" },
  { "freebsd", "freebsd" },
  { "frugalware", "frugalware" },
  { "gentoo", "gentoo" },
  { "kali", "kalilinux" },
  { "kylin", "kylin" },
  { "linuxmint", "linuxmint" },
  { "mageia", "mageia" },
  { "mandriva", "mandriva" },
  { "meego", "meego" },
  { "neokylin", "neokylin" },
  { "netbsd", "netbsd" },
  { "ol", "oraclelinux" },
  { "openbsd", "openbsd" },
  { "openmandriva", "openmandriva" },
  { "opensuse", "opensuse" },
  { "opensuse-leap", "opensuse" },
  { "opensuse-microos", "opensuse" },
  { "opensuse-tumbleweed", "opensuse" },
  { "pardus", "pardus" },
  { "pld", "pldlinux" },
  { "rhel", "rhel" },
  { "rocky", "rocky" },
  { "scientific", "scientificlinux" },
  { "slackware", "slackware" },
  { "sled", "sles" },
  { "sles", "sles" },
  { "sles_sap", "sles" },
  { "ttylinux", "ttylinux" },
  { "ubuntu", "ubuntu" },
  { "void", "voidlinux" },
};

static const char *
distro_of_id (const char *id)
{
  for (guint i = 0; id && i < G_N_ELEMENTS (os_release_ids); i++)
    if (strcmp (os_release_ids[i].id, id) == 0)
      return os_release_ids[i].distro;
  return NULL;
}

/* A distribution os-release does not name: a family from ID_LIKE. */
static const char *
distro_like (const char *like)
{
  if (like == NULL)
    return NULL;
  g_auto (GStrv) words = g_strsplit (like, " ", -1);
  for (char **w = words; *w; w++)
    {
      if (strcmp (*w, "rhel") == 0 || strcmp (*w, "fedora") == 0 || strcmp (*w, "centos") == 0)
        return "redhat-based";
      if (strcmp (*w, "suse") == 0 || strcmp (*w, "opensuse") == 0 || strcmp (*w, "sles") == 0)
        return "suse-based";
    }
  return NULL;
}

/* Debian's and CentOS's os-release give only the major version
 * (VERSION_ID="12"): their release files say more, and are what the
 * original reports then (product name "12.5" from /etc/debian_version). */
static gboolean
os_release_too_vague (const char *distro, const char *version_id)
{
  int major = 0, minor = 0;
  return distro != NULL && (strcmp (distro, "debian") == 0 || strcmp (distro, "centos") == 0) &&
         version_id != NULL && gd_inspect_parse_version (version_id, &major, &minor) && minor == 0;
}

static gboolean
from_os_release (GdRequest *req, GdInspectRoot *r, gboolean vague_ok)
{
  g_autofree char *text = gd_inspect_read (req, "/etc/os-release", 64 * 1024, NULL);
  if (text == NULL)
    text = gd_inspect_read (req, "/usr/lib/os-release", 64 * 1024, NULL);
  if (text == NULL)
    return FALSE;
  g_autofree char *id = shell_var (text, "ID");
  g_autofree char *like = shell_var (text, "ID_LIKE");
  g_autofree char *version_id = shell_var (text, "VERSION_ID");
  g_autofree char *pretty = shell_var (text, "PRETTY_NAME");
  g_autofree char *name = shell_var (text, "NAME");
  g_autofree char *version = shell_var (text, "VERSION");
  const char *distro = distro_of_id (id);
  if (distro == NULL)
    distro = distro_like (like);
  if (!vague_ok && os_release_too_vague (distro, version_id))
    return FALSE;
  gd_inspect_set (&r->distro, distro);
  if (version_id != NULL)
    gd_inspect_parse_version (version_id, &r->major, &r->minor);
  if (pretty != NULL)
    gd_inspect_set (&r->product_name, pretty);
  else if (name != NULL && version != NULL)
    {
      g_autofree char *s = g_strdup_printf ("%s %s", name, version);
      gd_inspect_set (&r->product_name, s);
    }
  else
    gd_inspect_set (&r->product_name, name);
  /* Package managers of derivatives os-release does not name. */
  if (distro == NULL && like != NULL)
    {
      g_auto (GStrv) words = g_strsplit (like, " ", -1);
      if (g_strv_contains ((const char *const *) words, "debian") ||
          g_strv_contains ((const char *const *) words, "ubuntu"))
        {
          gd_inspect_set (&r->package_format, "deb");
          gd_inspect_set (&r->package_management, "apt");
        }
      else if (g_strv_contains ((const char *const *) words, "arch"))
        {
          gd_inspect_set (&r->package_format, "pacman");
          gd_inspect_set (&r->package_management, "pacman");
        }
    }
  return distro != NULL;
}

/* The first line of a release file, its version, and the distro. */
static gboolean
release_file (GdRequest *req, GdInspectRoot *r, const char *path, const char *distro)
{
  g_autofree char *text = gd_inspect_read (req, path, 64 * 1024, NULL);
  if (text == NULL)
    return FALSE;
  g_autofree char *line = first_line (text);
  gd_inspect_set (&r->distro, distro);
  if (r->product_name == NULL)
    gd_inspect_set (&r->product_name, line);
  if (r->major == 0 && r->minor == 0)
    release_version (line, &r->major, &r->minor);
  return TRUE;
}

static gboolean
from_lsb_release (GdRequest *req, GdInspectRoot *r)
{
  g_autofree char *text = gd_inspect_read (req, "/etc/lsb-release", 64 * 1024, NULL);
  g_autofree char *id = shell_var (text, "DISTRIB_ID");
  const char *distro = NULL;
  if (id == NULL)
    return FALSE;
  if (strcmp (id, "Ubuntu") == 0)
    distro = "ubuntu";
  else if (strcmp (id, "LinuxMint") == 0)
    distro = "linuxmint";
  else if (strcmp (id, "Kali") == 0)
    distro = "kalilinux";
  else
    return FALSE;
  g_autofree char *release = shell_var (text, "DISTRIB_RELEASE");
  g_autofree char *desc = shell_var (text, "DISTRIB_DESCRIPTION");
  gd_inspect_set (&r->distro, distro);
  gd_inspect_set (&r->product_name, desc);
  gd_inspect_parse_version (release, &r->major, &r->minor);
  return TRUE;
}

static gboolean
from_redhat_release (GdRequest *req, GdInspectRoot *r)
{
  g_autofree char *text = gd_inspect_read (req, "/etc/redhat-release", 64 * 1024, NULL);
  g_autofree char *line = first_line (text);
  if (line == NULL)
    return FALSE;
  static const struct
  {
    const char *prefix;
    const char *distro;
  } names[] = {
    { "Red Hat Enterprise Linux", "rhel" },
    { "Fedora", "fedora" },
    { "CentOS", "centos" },
    { "Scientific Linux", "scientificlinux" },
    { "Rocky Linux", "rocky" },
    { "Oracle Linux", "oraclelinux" },
    { "Enterprise Linux", "oraclelinux" },
  };
  const char *distro = "redhat-based";
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_has_prefix (line, names[i].prefix))
      {
        distro = names[i].distro;
        break;
      }
  return release_file (req, r, "/etc/redhat-release", distro);
}

static gboolean
from_suse_release (GdRequest *req, GdInspectRoot *r)
{
  g_autofree char *text = gd_inspect_read (req, "/etc/SuSE-release", 64 * 1024, NULL);
  g_autofree char *line = first_line (text);
  if (line == NULL)
    return FALSE;
  const char *distro = "suse-based";
  if (strstr (line, "openSUSE") != NULL)
    distro = "opensuse";
  else if (strstr (line, "SUSE Linux Enterprise") != NULL)
    distro = "sles";
  gd_inspect_set (&r->distro, distro);
  gd_inspect_set (&r->product_name, line);
  /* "VERSION = 11" and "PATCHLEVEL = 2" lines. */
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) kv = g_strsplit (*l, "=", 2);
      if (kv[0] == NULL || kv[1] == NULL)
        continue;
      g_strstrip (kv[0]);
      g_strstrip (kv[1]);
      int ma, mi;
      if (strcmp (kv[0], "VERSION") == 0 && gd_inspect_parse_version (kv[1], &ma, &mi))
        r->major = ma, r->minor = mi;
      else if (strcmp (kv[0], "PATCHLEVEL") == 0 && gd_inspect_parse_version (kv[1], &ma, &mi))
        r->minor = ma;
    }
  return TRUE;
}

static gboolean
from_debian_version (GdRequest *req, GdInspectRoot *r)
{
  g_autofree char *line = gd_inspect_read_first_line (req, "/etc/debian_version");
  if (line == NULL)
    return FALSE;
  gd_inspect_set (&r->distro, "debian");
  gd_inspect_set (&r->product_name, line);
  gd_inspect_parse_version (line, &r->major, &r->minor);
  return TRUE;
}

/* Release files of systems without os-release, most specific first. */
static void
from_release_files (GdRequest *req, GdInspectRoot *r)
{
  static const struct
  {
    const char *path;
    const char *distro;
  } files[] = {
    { "/etc/fedora-release", "fedora" },      { "/etc/rocky-release", "rocky" },
    { "/etc/centos-release", "centos" },      { "/etc/oracle-release", "oraclelinux" },
    { "/etc/altlinux-release", "altlinux" },  { "/etc/mageia-release", "mageia" },
    { "/etc/mandriva-release", "mandriva" },  { "/etc/meego-release", "meego" },
    { "/etc/pardus-release", "pardus" },      { "/etc/frugalware-release", "frugalware" },
    { "/etc/pld-release", "pldlinux" },       { "/etc/gentoo-release", "gentoo" },
    { "/etc/alpine-release", "alpinelinux" }, { "/etc/slackware-version", "slackware" },
    { "/etc/ttylinux-target", "ttylinux" },   { "/etc/cirros/version", "cirros" },
    { "/etc/br-version", "buildroot" },
  };
  if (from_lsb_release (req, r))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    if (release_file (req, r, files[i].path, files[i].distro))
      return;
  if (from_redhat_release (req, r) || from_suse_release (req, r) || from_debian_version (req, r))
    return;
  if (gd_inspect_exists (req, "/etc/arch-release"))
    {
      gd_inspect_set (&r->distro, "archlinux");
      gd_inspect_set (&r->product_name, "Arch Linux");
    }
}

/* ------------------------------------------------------------------------
 * The BSDs, Hurd and MINIX.
 */

static void
freebsd (GdRequest *req, GdInspectRoot *r)
{
  gd_inspect_set (&r->type, "freebsd");
  gd_inspect_set (&r->distro, "freebsd");
  if (r->major != 0 || r->product_name != NULL)
    return;
  g_autofree char *text = gd_inspect_read (req, "/bin/freebsd-version", 256 * 1024, NULL);
  g_autofree char *v = shell_var (text, "USERLAND_VERSION");
  if (v != NULL && gd_inspect_parse_version (v, &r->major, &r->minor))
    {
      g_autofree char *name = g_strdup_printf ("FreeBSD %s", v);
      gd_inspect_set (&r->product_name, name);
    }
}

/* NetBSD's /etc/release and OpenBSD's /etc/motd start "NAME N.M ...". */
static void
bsd_banner (GdRequest *req, GdInspectRoot *r, const char *type, const char *path)
{
  gd_inspect_set (&r->type, type);
  gd_inspect_set (&r->distro, type);
  if (r->major != 0 || r->product_name != NULL)
    return;
  g_autofree char *line = gd_inspect_read_first_line (req, path);
  g_autofree char *name = g_strdup_printf ("%sBSD ", type[0] == 'n' ? "Net" : "Open");
  if (line != NULL && g_str_has_prefix (line, name))
    {
      gd_inspect_parse_version (line + strlen (name), &r->major, &r->minor);
      g_autofree char *product = g_strndup (line, strcspn (line, "("));
      g_strstrip (product);
      gd_inspect_set (&r->product_name, product);
    }
}

static void
minix (GdRequest *req, GdInspectRoot *r)
{
  gd_inspect_set (&r->type, "minix");
  g_autofree char *line = gd_inspect_read_first_line (req, "/etc/version");
  if (line != NULL && gd_inspect_parse_version (line, &r->major, &r->minor))
    {
      g_autofree char *name = g_strdup_printf ("MINIX %s", line);
      gd_inspect_set (&r->product_name, name);
    }
}

/* ------------------------------------------------------------------------
 * Architecture, hostname, packages.
 */

static void
find_arch (GdRequest *req, GdInspectRoot *r)
{
  static const char *const bins[] = {
    "/bin/bash",      "/bin/ls",
    "/bin/echo",      "/bin/rm",
    "/bin/sh",        "/usr/bin/bash",
    "/usr/bin/ls",    "/usr/bin/env",
    "/bin/busybox",   "/sbin/init",
    "/bin/cat",       "/usr/bin/cat",
    "/sbin/ldconfig", "/lib/ld-musl-x86_64.so.1",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bins); i++)
    {
      g_autofree char *a = gd_inspect_binary_arch (req, bins[i]);
      if (a != NULL)
        {
          gd_inspect_set (&r->arch, a);
          return;
        }
    }
}

static gboolean
valid_hostname (const char *h)
{
  if (h == NULL || *h == '\0' || strlen (h) > 255)
    return FALSE;
  for (const char *p = h; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
      return FALSE;
  return TRUE;
}

static void
set_hostname (GdInspectRoot *r, char *h)
{
  if (h != NULL)
    g_strstrip (h);
  if (valid_hostname (h))
    gd_inspect_set (&r->hostname, h);
}

static void
find_hostname (GdRequest *req, GdInspectRoot *r)
{
  static const char *const plain[] = { "/etc/hostname", "/etc/HOSTNAME", "/etc/myname" };
  for (guint i = 0; i < G_N_ELEMENTS (plain) && r->hostname == NULL; i++)
    {
      g_autofree char *h = gd_inspect_read_first_line (req, plain[i]);
      set_hostname (r, h);
    }
  static const struct
  {
    const char *path;
    const char *var;
  } vars[] = {
    { "/etc/sysconfig/network", "HOSTNAME" },
    { "/etc/conf.d/hostname", "hostname" },
    { "/etc/rc.conf", "hostname" },
    { "/etc/rc.conf", "HOSTNAME" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (vars) && r->hostname == NULL; i++)
    {
      g_autofree char *text = gd_inspect_read (req, vars[i].path, 256 * 1024, NULL);
      g_autofree char *h = shell_var (text, vars[i].var);
      set_hostname (r, h);
    }
}

static void
set_packages (GdRequest *req, GdInspectRoot *r)
{
  const char *d = r->distro ? r->distro : "";
  const char *fmt = NULL, *mgmt = NULL;
  if (strcmp (d, "fedora") == 0)
    fmt = "rpm", mgmt = (r->major >= 22 || r->major == 0) ? "dnf" : "yum";
  else if (strcmp (d, "rhel") == 0 || strcmp (d, "centos") == 0 ||
           strcmp (d, "scientificlinux") == 0 || strcmp (d, "oraclelinux") == 0 ||
           strcmp (d, "rocky") == 0 || strcmp (d, "redhat-based") == 0)
    fmt = "rpm", mgmt = r->major >= 8 ? "dnf" : r->major >= 5 ? "yum" : "up2date";
  else if (strcmp (d, "debian") == 0 || strcmp (d, "ubuntu") == 0 || strcmp (d, "linuxmint") == 0 ||
           strcmp (d, "kalilinux") == 0)
    fmt = "deb", mgmt = "apt";
  else if (strcmp (d, "archlinux") == 0)
    fmt = "pacman", mgmt = "pacman";
  else if (strcmp (d, "gentoo") == 0)
    fmt = "ebuild", mgmt = "portage";
  else if (strcmp (d, "pardus") == 0)
    fmt = "pisi", mgmt = "pisi";
  else if (strcmp (d, "alpinelinux") == 0)
    fmt = "apk", mgmt = "apk";
  else if (strcmp (d, "voidlinux") == 0)
    fmt = "xbps", mgmt = "xbps";
  else if (strcmp (d, "opensuse") == 0 || strcmp (d, "sles") == 0 || strcmp (d, "suse-based") == 0)
    fmt = "rpm", mgmt = "zypper";
  else if (strcmp (d, "mageia") == 0 || strcmp (d, "mandriva") == 0)
    fmt = "rpm", mgmt = "urpmi";
  else if (strcmp (d, "openmandriva") == 0)
    fmt = "rpm", mgmt = "dnf";
  else if (strcmp (d, "altlinux") == 0)
    fmt = "rpm", mgmt = "apt";
  else if (strcmp (d, "netbsd") == 0)
    fmt = "pkgsrc";
  if (r->package_format == NULL)
    gd_inspect_set (&r->package_format, fmt);
  if (r->package_management == NULL)
    gd_inspect_set (&r->package_management, mgmt);
  if (r->package_format != NULL || strcmp (r->type, "linux") != 0)
    return;

  /* A distribution we do not know: what is installed tells. */
  if (gd_inspect_is_file (req, "/var/lib/dpkg/status"))
    fmt = "deb", mgmt = "apt";
  else if (gd_inspect_is_dir (req, "/var/lib/rpm") ||
           gd_inspect_is_dir (req, "/usr/lib/sysimage/rpm"))
    {
      fmt = "rpm";
      mgmt = gd_inspect_exists (req, "/usr/bin/dnf")      ? "dnf"
             : gd_inspect_exists (req, "/usr/bin/yum")    ? "yum"
             : gd_inspect_exists (req, "/usr/bin/zypper") ? "zypper"
             : gd_inspect_exists (req, "/usr/sbin/urpmi") ? "urpmi"
                                                          : NULL;
    }
  else if (gd_inspect_is_dir (req, "/var/lib/pacman"))
    fmt = "pacman", mgmt = "pacman";
  else if (gd_inspect_is_file (req, "/lib/apk/db/installed"))
    fmt = "apk", mgmt = "apk";
  else if (gd_inspect_is_dir (req, "/var/db/xbps"))
    fmt = "xbps", mgmt = "xbps";
  gd_inspect_set (&r->package_format, fmt);
  gd_inspect_set (&r->package_management, mgmt);
}

/* ------------------------------------------------------------------------
 * The root.
 */

GdInspectRoot *
gd_inspect_unix (GdInspectCtx *ctx, const char *mountable)
{
  GdRequest *req = ctx->req;
  if (!gd_inspect_is_dir (req, "/etc"))
    return NULL;
  /* An fstab alone is not a system: a data filesystem with a copy of
   * /etc is no root for the original either. */
  if (!gd_inspect_is_dir (req, "/bin") && !gd_inspect_is_dir (req, "/usr/bin") &&
      !gd_inspect_exists (req, "/etc/os-release"))
    return NULL;
  gboolean fstab = gd_inspect_is_file (req, "/etc/fstab");

  g_autoptr (GdInspectRoot) r = gd_inspect_root_new (mountable);
  g_ptr_array_add (r->mountpoints, g_strdup ("/"));
  g_ptr_array_add (r->mountpoints, g_strdup (mountable));
  g_ptr_array_add (r->filesystems, g_strdup (mountable));
  if (fstab)
    {
      g_autofree char *text = gd_inspect_read (req, "/etc/fstab", 1024 * 1024, NULL);
      if (text != NULL)
        parse_fstab (ctx, r, text);
    }
  else
    coreos_usr (ctx, r);
  mount_usr (ctx, r);
  /* The original answers with the last fstab entry first and the root
   * last: inspect_get_mountpoints and _filesystems keep that order. */
  reverse (r->mountpoints, 2);
  reverse (r->filesystems, 1);

  gd_inspect_set (&r->type, "linux");
  if (!from_os_release (req, r, FALSE))
    {
      from_release_files (req, r);
      if (r->distro == NULL)
        from_os_release (req, r, TRUE);
    }
  const char *d = r->distro ? r->distro : "";
  if (strcmp (d, "freebsd") == 0 || gd_inspect_is_file (req, "/bin/freebsd-version") ||
      gd_inspect_is_file (req, "/etc/freebsd-update.conf"))
    freebsd (req, r);
  else if (strcmp (d, "netbsd") == 0 ||
           (gd_inspect_is_file (req, "/netbsd") && gd_inspect_is_file (req, "/etc/release")))
    bsd_banner (req, r, "netbsd", "/etc/release");
  else if (strcmp (d, "openbsd") == 0 ||
           (gd_inspect_is_file (req, "/bsd") && gd_inspect_is_file (req, "/etc/motd")))
    bsd_banner (req, r, "openbsd", "/etc/motd");
  else if (gd_inspect_is_dir (req, "/hurd"))
    gd_inspect_set (&r->type, "hurd");
  else if (r->distro == NULL && gd_inspect_is_file (req, "/etc/version") &&
           gd_inspect_is_dir (req, "/boot/minix"))
    minix (req, r);

  find_arch (req, r);
  find_hostname (req, r);
  set_packages (req, r);
  return g_steal_pointer (&r);
}
