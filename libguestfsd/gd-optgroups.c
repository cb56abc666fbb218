/* libguestfsd: optional groups of procedures.
 *
 * A group is reported available only when this daemon has a handler for
 * every procedure in it and the programs or kernel features those handlers
 * need are present, so that a client which checks availability never
 * meets ENOTSUP afterwards.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-engine.h"

gboolean
gd_kernel_has_filesystem (const char *fs)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/filesystems", &text, NULL, NULL))
    return FALSE;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      const char *name = strrchr (*l, '\t');
      name = name ? name + 1 : g_strstrip (*l);
      if (strcmp (name, fs) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Whether the running kernel has the loadable module file.ko (e.g.
 * "md-mod"): modprobe, or the kernel itself, loads it on first use. */
static gboolean
kernel_module_exists (const char *file)
{
  struct utsname u;
  if (uname (&u) < 0)
    return FALSE;
  g_autofree char *dep = g_strdup_printf ("/lib/modules/%s/modules.dep", u.release);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (dep, &text, NULL, NULL))
    return FALSE;
  g_autofree char *needle = g_strdup_printf ("/%s.ko", file);
  return strstr (text, needle) != NULL;
}

/* md is often a module that nothing has loaded yet: mdadm (or the
 * kernel, when /dev/mdN is opened) loads it on first use. */
static gboolean
have_md (void)
{
  return access ("/proc/mdstat", F_OK) == 0 || kernel_module_exists ("md-mod");
}

gboolean
gd_kernel_can_mount (const char *fs)
{
  if (gd_kernel_has_filesystem (fs))
    return TRUE;
  if (access ("/proc/modules", F_OK) != 0 || !gd_prog_exists ("modprobe"))
    return FALSE;
  /* Whatever modprobe says, the kernel's list tells. */
  const char *argv[] = { "modprobe", "--", fs, NULL };
  g_spawn_sync ("/", (char **) argv, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                NULL, NULL, NULL, NULL, NULL);
  return gd_kernel_has_filesystem (fs);
}

/* The device-mapper driver registers the misc device "device-mapper".  A
 * /dev/mapper/control node alone proves nothing (a host may have the
 * node and no driver); with the node the kernel loads dm-mod on open. */
static gboolean
have_device_mapper (void)
{
  g_autofree char *misc = NULL;
  if (g_file_get_contents ("/proc/misc", &misc, NULL, NULL) &&
      strstr (misc, " device-mapper\n") != NULL)
    return TRUE;
  return access ("/dev/mapper/control", F_OK) == 0 && kernel_module_exists ("dm-mod");
}

/* What the system must provide for a group, beyond our handlers. */
static gboolean
system_supports (GdGroup group)
{
  switch (group)
    {
    case GD_GROUP_BTRFS:
      return gd_prog_exists ("btrfs") && gd_kernel_can_mount ("btrfs");
    case GD_GROUP_EXTLINUX:
      return gd_prog_exists ("extlinux");
    case GD_GROUP_F2FS:
      return gd_prog_exists ("resize.f2fs");
    case GD_GROUP_FSTRIM:
      return gd_prog_exists ("fstrim");
    case GD_GROUP_GDISK:
      return gd_prog_exists ("sgdisk");
    case GD_GROUP_GRUB:
      /* grub_install installs for i386-pc: without its modules (Debian's
       * grub-pc-bin) grub-install always fails. */
      return gd_prog_exists ("grub-install") && access ("/usr/lib/grub/i386-pc", F_OK) == 0;
    case GD_GROUP_LDM:
      return gd_prog_exists ("ldmtool") && have_device_mapper ();
    case GD_GROUP_LINUXMODULES:
      return access ("/proc/modules", F_OK) == 0 && gd_prog_exists ("modprobe");
    case GD_GROUP_LUKS:
      return gd_prog_exists ("cryptsetup") && have_device_mapper ();
    case GD_GROUP_LVM2:
      return gd_prog_exists ("lvm") && have_device_mapper ();
    case GD_GROUP_MDADM:
      return gd_prog_exists ("mdadm") && have_md ();
    case GD_GROUP_NTFS3G:
      return gd_prog_exists ("ntfs-3g.probe");
    case GD_GROUP_NTFSPROGS:
      return gd_prog_exists ("ntfsresize");
    case GD_GROUP_RSYNC:
      return gd_prog_exists ("rsync");
    case GD_GROUP_SCRUB:
      return gd_prog_exists ("scrub");
    case GD_GROUP_SELINUXRELABEL:
      return gd_prog_exists ("setfiles");
    case GD_GROUP_SLEUTHKIT:
      return gd_prog_exists ("icat");
    case GD_GROUP_LIBTSK:
    case GD_GROUP_JOURNAL:
    case GD_GROUP_LIBYARA:
      return gd_lazy_available (group); /* loads it: it is about to be used */
    case GD_GROUP_SQUASHFS:
      return gd_prog_exists ("mksquashfs");
    case GD_GROUP_SYSLINUX:
      return gd_prog_exists ("syslinux");
    case GD_GROUP_WIPEFS:
      return gd_prog_exists ("wipefs");
    case GD_GROUP_XFS:
      return gd_prog_exists ("mkfs.xfs");
    case GD_GROUP_XZ:
      return gd_prog_exists ("xz");
    case GD_GROUP_ZEROFREE:
      return gd_prog_exists ("zerofree");
    default:
      /* Groups built on in-process code (acl, inotify, xattrs, ...). */
      return TRUE;
    }
}

static gboolean
all_handlers_present (GdGroup group)
{
  gboolean any = FALSE;
  for (size_t i = 0;; i++)
    {
      const GdProcedure *p = gd_procedure_nth (i);
      if (p == NULL)
        break;
      if (p->group != group)
        continue;
      if (p->handler == NULL)
        return FALSE;
      any = TRUE;
    }
  return any;
}

gboolean
gd_group_available (GdGroup group)
{
  static gint8 cache[GD_GROUP__COUNT]; /* 0 unknown, 1 yes, -1 no */
  if (group <= GD_GROUP_NONE || group >= GD_GROUP__COUNT)
    return FALSE;
  if (cache[group] == 0)
    {
      gboolean avail;
      if (group == GD_GROUP_AUGEAS || group == GD_GROUP_REALPATH)
        avail = TRUE; /* retired names, always reported present */
      else
        avail = all_handlers_present (group) && system_supports (group);
      cache[group] = avail ? 1 : -1;
    }
  return cache[group] > 0;
}

GdGroup
gd_group_lookup (const char *name)
{
  for (int g = GD_GROUP_NONE + 1; g < GD_GROUP__COUNT; g++)
    if (strcmp (gd_group_names[g], name) == 0)
      return g;
  return GD_GROUP_NONE;
}
