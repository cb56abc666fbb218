/* libguestfsd handlers: mounting and unmounting under the sysroot.
 *
 * Mount points are guest paths, resolved inside the sysroot (a symlink in
 * the guest cannot send a mount elsewhere on the host).  Filesystems are
 * mounted with mount(8), except those the running kernel has no driver
 * for (a host kernel may lack iso9660, vfat or exfat): these are served
 * by a FUSE program (fuseiso, fusefat, exfat-fuse) mounted as "fuseblk"
 * with the device as its source, so they look like any other mount to
 * mounts, mountpoints, umount and umount_all.  The FUSE programs we start
 * run as our children; after their filesystem is unmounted we wait for
 * them to exit, so the device is free again when the call returns.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <blkid.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-loop.h"
#include "gd-private.h"
#include "hostpolicy.h"

/* ------------------------------------------------------------------------
 * Mount points.
 */

/* Mount ids of the mounts whose mount point is the host path target
 * (all of them, in mountinfo order, when target is NULL). */
static GArray *
mount_ids_at (const char *target)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GPtrArray) mounts = gd_mountinfo_read (NULL);
  for (guint i = 0; mounts && i < mounts->len; i++)
    {
      GdMountEntry *e = g_ptr_array_index (mounts, i);
      if (target == NULL || strcmp (e->target, target) == 0)
        g_array_append_val (ids, e->mnt_id);
    }
  return ids;
}

static gboolean
mount_id_exists (guint id)
{
  g_autoptr (GArray) ids = mount_ids_at (NULL);
  for (guint i = 0; i < ids->len; i++)
    if (g_array_index (ids, guint, i) == id)
      return TRUE;
  return FALSE;
}

/* The newest id at target that is not in before, or 0. */
static guint
new_mount_id (const char *target, GArray *before)
{
  g_autoptr (GArray) now = mount_ids_at (target);
  for (guint i = now->len; i-- > 0;)
    {
      guint id = g_array_index (now, guint, i);
      gboolean seen = FALSE;
      for (guint j = 0; j < before->len && !seen; j++)
        seen = g_array_index (before, guint, j) == id;
      if (!seen)
        return id;
    }
  return 0;
}

/* ------------------------------------------------------------------------
 * FUSE servers we started (per connection).
 */

typedef struct
{
  pid_t pid;
  guint mnt_id; /* the mount it serves */
  char *what;   /* program name, for messages */
} FuseChild;

#define FUSE_CHILDREN_KEY "mount.fuse-children"

static void
fuse_child_free (gpointer p)
{
  FuseChild *c = p;
  g_free (c->what);
  g_free (c);
}

/* Waits up to timeout_ms for pid to exit; then TERM, then KILL. */
static void
reap_child (pid_t pid, int timeout_ms)
{
  for (int waited = 0;; waited += 10)
    {
      pid_t r = waitpid (pid, NULL, WNOHANG);
      if (r == pid || (r < 0 && errno == ECHILD))
        return;
      if (waited == timeout_ms)
        kill (pid, SIGTERM);
      if (waited == timeout_ms + 1000)
        {
          kill (pid, SIGKILL);
          while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
            ;
          return;
        }
      g_usleep (10000);
    }
}

static void
fuse_children_free (gpointer p)
{
  GPtrArray *children = p;
  /* The connection is over and everything has been unmounted: the
   * servers are on their way out. */
  for (guint i = 0; i < children->len; i++)
    reap_child (((FuseChild *) g_ptr_array_index (children, i))->pid, 2000);
  g_ptr_array_unref (children);
}

static GPtrArray *
fuse_children (GdConnection *conn)
{
  GPtrArray *children = gd_conn_get_data (conn, FUSE_CHILDREN_KEY);
  if (children == NULL)
    {
      children = g_ptr_array_new_with_free_func (fuse_child_free);
      gd_conn_set_data (conn, FUSE_CHILDREN_KEY, children, fuse_children_free);
    }
  return children;
}

/* After unmounting: wait for the servers whose mount has gone. */
static void
reap_unmounted_fuse_children (GdConnection *conn)
{
  GPtrArray *children = gd_conn_get_data (conn, FUSE_CHILDREN_KEY);
  if (children == NULL)
    return;
  for (guint i = children->len; i-- > 0;)
    {
      FuseChild *c = g_ptr_array_index (children, i);
      if (waitpid (c->pid, NULL, WNOHANG) == c->pid)
        g_ptr_array_remove_index (children, i);
      else if (!mount_id_exists (c->mnt_id))
        {
          reap_child (c->pid, 5000);
          g_ptr_array_remove_index (children, i);
        }
    }
}

/* ------------------------------------------------------------------------
 * Filesystem types the kernel lacks.
 */

typedef struct
{
  const char *fstype;
  const char *program;
  gboolean daemonizes; /* cannot be kept in the foreground */
} FuseDriver;

static const FuseDriver fuse_drivers[] = {
  { "iso9660", "fuseiso", FALSE },       { "vfat", "fusefat", FALSE },
  { "msdos", "fusefat", FALSE },         { "fat", "fusefat", FALSE },
  { "exfat", "mount.exfat-fuse", TRUE },
};

/* The filesystem type on node as libblkid sees it, or NULL. */
static char *
probe_fstype (const char *node)
{
  blkid_probe pr = blkid_new_probe_from_filename (node);
  if (pr == NULL)
    return NULL;
  blkid_probe_enable_superblocks (pr, 1);
  blkid_probe_set_superblocks_flags (pr, BLKID_SUBLKS_TYPE);
  char *type = NULL;
  const char *v = NULL;
  if (blkid_do_safeprobe (pr) == 0 && blkid_probe_lookup_value (pr, "TYPE", &v, NULL) == 0)
    type = g_strdup (v);
  blkid_free_probe (pr);
  return type;
}

static const FuseDriver *
fuse_driver_for (const char *fstype)
{
  /* When /proc/filesystems cannot tell, mount(8) tries the kernel. */
  if (fstype == NULL || gd_kernel_has_filesystem (fstype) ||
      access ("/proc/filesystems", R_OK) != 0)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (fuse_drivers); i++)
    if (strcmp (fuse_drivers[i].fstype, fstype) == 0)
      return &fuse_drivers[i];
  return NULL;
}

static char *
find_program (const char *prog)
{
  char *p = g_find_program_in_path (prog);
  if (p != NULL)
    return p;
  static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *full = g_build_filename (dirs[i], prog, NULL);
      if (access (full, X_OK) == 0)
        return g_steal_pointer (&full);
    }
  return NULL;
}

static gboolean
options_say_ro (const char *options)
{
  if (options == NULL)
    return FALSE;
  g_auto (GStrv) opts = g_strsplit (options, ",", -1);
  gboolean ro = FALSE;
  for (char **o = opts; *o; o++)
    {
      if (strcmp (*o, "ro") == 0)
        ro = TRUE;
      else if (strcmp (*o, "rw") == 0)
        ro = FALSE;
    }
  return ro;
}

static gboolean
device_read_only (const char *node)
{
  int fd = open (node, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  int ro = 0;
  gboolean r = ioctl (fd, BLKROGET, &ro) == 0 && ro;
  close (fd);
  return r;
}

static char *
read_log (int fd)
{
  GString *s = g_string_new (NULL);
  char buf[4096];
  ssize_t n;
  lseek (fd, 0, SEEK_SET);
  while (s->len < 65536 && (n = read (fd, buf, sizeof buf)) > 0)
    g_string_append_len (s, buf, n);
  return gd_chomp (g_string_free (s, FALSE));
}

/* Starts the FUSE server for node on target and waits until its
 * filesystem is mounted. */
static gboolean
fuse_mount (GdRequest *req, const FuseDriver *drv, const char *node, const char *target,
            const char *options, GError **error)
{
  g_autofree char *prog = find_program (drv->program);
  if (prog == NULL)
    {
      gd_error_errno (error, ENODEV,
                      "%s: this kernel has no %s driver, and the FUSE program %s that could "
                      "stand in for it is not installed",
                      node, drv->fstype, drv->program);
      return FALSE;
    }
  gboolean ro = options_say_ro (options) || device_read_only (node);
  g_autofree char *fsopts = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) drv->program);
  if (strcmp (drv->program, "fuseiso") == 0)
    {
      /* -n: no ~/.mtab.fuseiso; ISO 9660 is read-only anyway. */
      fsopts = g_strdup_printf ("ro,fsname=%s,blkdev", node);
      const char *a[] = { "-n", node, target, "-f", "-o", fsopts };
      for (guint i = 0; i < G_N_ELEMENTS (a); i++)
        g_ptr_array_add (argv, (gpointer) a[i]);
    }
  else if (strcmp (drv->program, "fusefat") == 0)
    {
      /* rw+ is fusefat's (experimental) write support. */
      fsopts = g_strdup_printf ("%s,fsname=%s,blkdev", ro ? "ro" : "rw+", node);
      const char *a[] = { "-f", "-o", fsopts, node, target };
      for (guint i = 0; i < G_N_ELEMENTS (a); i++)
        g_ptr_array_add (argv, (gpointer) a[i]);
    }
  else
    {
      /* exfat-fuse names the device as the source itself. */
      if (ro)
        {
          g_ptr_array_add (argv, "-o");
          g_ptr_array_add (argv, "ro");
        }
      g_ptr_array_add (argv, (gpointer) node);
      g_ptr_array_add (argv, (gpointer) target);
    }
  g_ptr_array_add (argv, NULL);
  gd_log (gd_request_connection (req), "%s: no %s in this kernel, mounting with %s", node,
          drv->fstype, drv->program);

  g_autoptr (GArray) before = mount_ids_at (target);
  if (drv->daemonizes)
    {
      /* It forks once its filesystem is mounted. */
      if (!gd_runv (req, (const char *const *) argv->pdata, GD_RUN_DEFAULT, NULL, error))
        return FALSE;
      if (new_mount_id (target, before) == 0)
        {
          gd_error_errno (error, EIO, "%s: %s did not mount the filesystem", node, drv->program);
          return FALSE;
        }
      return TRUE;
    }

  /* Its output goes to a memory file (a pipe we stopped reading would
   * block it), read back if it fails. */
  int log = memfd_create ("fuse-log", MFD_CLOEXEC);
  int devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log < 0 || devnull < 0)
    {
      gd_perror (error, "memfd_create");
      if (log >= 0)
        close (log);
      if (devnull >= 0)
        close (devnull);
      return FALSE;
    }
  char **av = (char **) argv->pdata;
  pid_t pid = fork ();
  if (pid == 0)
    {
      setsid ();
      /* If we die, it unmounts and goes too, instead of holding the
       * device (and our mount namespace) forever. */
      prctl (PR_SET_PDEATHSIG, SIGTERM);
      signal (SIGPIPE, SIG_DFL);
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      dup2 (devnull, 0);
      dup2 (log, 1);
      dup2 (log, 2);
      /* Only 0-2: it outlives this request, and must not hold anything of
       * ours open (an fd its embedder let us inherit, say). */
      close_range (3, ~0U, 0);
      if (chdir ("/") < 0)
        _exit (126);
      execv (prog, av);
      _exit (127);
    }
  int saved = errno;
  close (devnull);
  if (pid < 0)
    {
      close (log);
      errno = saved;
      gd_perror (error, "fork");
      return FALSE;
    }

  gboolean ok = FALSE;
  for (int waited = 0;; waited += 10)
    {
      guint id = new_mount_id (target, before);
      if (id != 0)
        {
          FuseChild *c = g_new0 (FuseChild, 1);
          c->pid = pid;
          c->mnt_id = id;
          c->what = g_strdup (drv->program);
          g_ptr_array_add (fuse_children (gd_request_connection (req)), c);
          ok = TRUE;
          break;
        }
      int status;
      if (waitpid (pid, &status, WNOHANG) == pid)
        {
          g_autofree char *msg = read_log (log);
          const char *last = strrchr (msg, '\n');
          last = last ? last + 1 : msg;
          gd_error_errno (error, EINVAL, "%s: %s could not mount it: is it %s?%s%s%s", node,
                          drv->program, drv->fstype, *last ? " (" : "", last, *last ? ")" : "");
          break;
        }
      if (waited >= 30000)
        {
          reap_child (pid, 0);
          gd_error_errno (error, ETIMEDOUT, "%s: %s did not mount it within 30 s", node,
                          drv->program);
          break;
        }
      g_usleep (10000);
    }
  close (log);
  return ok;
}

/* ------------------------------------------------------------------------
 * Mounting.
 */

/* mount(2) straight away when mount(8) would do nothing more: a known
 * filesystem type without a mount.TYPE helper, and options that are all
 * mount flags.  FALSE when that does not apply or the kernel refuses: the
 * caller then runs mount(8), which gives its usual error message.  Saves
 * an exec of mount(8) (libmount, libblkid, libselinux) per mount: ~3 ms
 * of CPU on a host, far more in a TCG appliance. */
static gboolean
mount_direct (const char *node, const char *target, const char *options, const char *fstype)
{
  static const struct
  {
    const char *name;
    unsigned long set, clear;
  } words[] = {
    { "defaults", 0, 0 },           { "ro", MS_RDONLY, 0 },
    { "rw", 0, MS_RDONLY },         { "nodev", MS_NODEV, 0 },
    { "dev", 0, MS_NODEV },         { "nosuid", MS_NOSUID, 0 },
    { "suid", 0, MS_NOSUID },       { "noexec", MS_NOEXEC, 0 },
    { "exec", 0, MS_NOEXEC },       { "noatime", MS_NOATIME, 0 },
    { "relatime", MS_RELATIME, 0 }, { "nodiratime", MS_NODIRATIME, 0 },
    { "sync", MS_SYNCHRONOUS, 0 },  { "async", 0, MS_SYNCHRONOUS },
    { "dirsync", MS_DIRSYNC, 0 },
  };
  if (fstype == NULL || *fstype == '\0' || strchr (fstype, '/') != NULL ||
      strchr (fstype, ',') != NULL || g_str_has_prefix (fstype, "fuse"))
    return FALSE;
  static const char *const helper_dirs[] = { "/sbin", "/usr/sbin", "/sbin/fs.d", "/sbin/fs" };
  for (size_t i = 0; i < G_N_ELEMENTS (helper_dirs); i++)
    {
      g_autofree char *helper = g_strdup_printf ("%s/mount.%s", helper_dirs[i], fstype);
      if (access (helper, F_OK) == 0)
        return FALSE;
    }
  unsigned long flags = 0;
  g_auto (GStrv) opts = g_strsplit (options ? options : "", ",", -1);
  for (char **o = opts; *o; o++)
    {
      if (**o == '\0')
        continue;
      size_t i;
      for (i = 0; i < G_N_ELEMENTS (words); i++)
        if (strcmp (*o, words[i].name) == 0)
          break;
      if (i == G_N_ELEMENTS (words))
        return FALSE;
      flags = (flags | words[i].set) & ~words[i].clear;
    }
  return mount (node, target, fstype, flags, NULL) == 0;
}

static gboolean
mount_node_1 (GdRequest *req, const char *node, const char *target, const char *options,
              const char *vfstype, GError **error)
{
  if (vfstype != NULL && (*vfstype == '\0' || strcmp (vfstype, "auto") == 0))
    vfstype = NULL;
  g_autofree char *probed = vfstype ? NULL : probe_fstype (node);
  /* In the appliance the kernel loads filesystem modules on demand; a
   * host's kernel is what it is, so there FUSE stands in. */
  const FuseDriver *drv = gd_conn_host_mode (gd_request_connection (req))
                              ? fuse_driver_for (vfstype ? vfstype : probed)
                              : NULL;
  gboolean ok;
  if (drv != NULL)
    ok = fuse_mount (req, drv, node, target, options, error);
  else
    {
      g_autoptr (GPtrArray) argv = g_ptr_array_new ();
      g_autofree char *host_options = NULL;
      /* On a host, device nodes and setuid files of a guest image must not
       * act on the host (FUSE mounts are nodev,nosuid already). */
      if (gd_conn_host_mode (gd_request_connection (req)))
        options = host_options = g_strconcat (options && *options ? options : "",
                                              options && *options ? "," : "", "nodev,nosuid", NULL);
      if (mount_direct (node, target, options, vfstype ? vfstype : probed))
        {
          gd_sysroot_changed (req);
          return TRUE;
        }
      g_ptr_array_add (argv, "mount");
      g_ptr_array_add (argv, "-n"); /* nothing in the host's utab */
      if (options != NULL && *options)
        {
          g_ptr_array_add (argv, "-o");
          g_ptr_array_add (argv, (gpointer) options);
        }
      if (vfstype != NULL)
        {
          g_ptr_array_add (argv, "-t");
          g_ptr_array_add (argv, (gpointer) vfstype);
        }
      g_ptr_array_add (argv, "--");
      g_ptr_array_add (argv, (gpointer) node);
      g_ptr_array_add (argv, (gpointer) target);
      g_ptr_array_add (argv, NULL);
      ok = gd_runv (req, (const char *const *) argv->pdata, GD_RUN_DEFAULT, NULL, error);
    }
  gd_sysroot_changed (req);
  return ok;
}

/* Errors from mount(8) and the FUSE programs name the host's paths: put
 * the guest's names in their place. */
static void
guest_names_in_error (GError *err, const char *node, const char *guest_dev, const char *target,
                      const char *mountpoint)
{
  if (err == NULL)
    return;
  /* "mount: mount: /x: wrong fs type ...\n       dmesg(1) may have ...":
   * the program's name twice (ours, its own) and a hint for a console. */
  const char *m = err->message;
  for (int i = 0; i < 2 && g_str_has_prefix (m, "mount: "); i++)
    m += strlen ("mount: ");
  g_auto (GStrv) lines = g_strsplit (m, "\n", -1);
  g_autoptr (GString) kept = g_string_new (NULL);
  for (char **l = lines; *l; l++)
    if (**l && strstr (*l, "dmesg(1) may have more information") == NULL)
      g_string_append_printf (kept, "%s%s", kept->len ? "\n" : "", *l);
  g_autofree char *a = gd_str_replace (kept->str, target, mountpoint);
  char *b = gd_str_replace (a, node, guest_dev);
  g_free (err->message);
  err->message = b;
}

/* The option that mounts a filesystem of this type without replaying its
 * journal or log, or NULL. */
static const char *
no_replay_option (const char *fstype)
{
  if (fstype == NULL)
    return NULL;
  if (strcmp (fstype, "ext3") == 0 || strcmp (fstype, "ext4") == 0)
    return "noload";
  if (strcmp (fstype, "xfs") == 0)
    return "norecovery";
  if (strcmp (fstype, "btrfs") == 0)
    return "nologreplay";
  return NULL;
}

/* Mounts the block device node on the host directory target. */
static gboolean
mount_node (GdRequest *req, const char *node, const char *target, const char *options,
            const char *vfstype, const char *guest_dev, const char *mountpoint, GError **error)
{
  g_autoptr (GError) local = NULL;
  gboolean ok = mount_node_1 (req, node, target, options, vfstype, &local);
  /* A filesystem whose journal needs replaying (the disk of a running or
   * crashed guest) cannot be mounted from a read-only device, even
   * read-only: the kernel must write to replay.  The appliance never
   * meets this (a read-only drive is a writable overlay there); on a host
   * a read-only drive is read-only, so mount it without replaying.  What
   * only the journal holds is not seen, the rest is. */
  if (!ok && device_read_only (node))
    {
      g_autofree char *probed = vfstype && *vfstype && strcmp (vfstype, "auto") != 0
                                    ? g_strdup (vfstype)
                                    : probe_fstype (node);
      const char *extra = no_replay_option (probed);
      if (extra != NULL)
        {
          g_autofree char *opts = g_strdup_printf ("%s%sro,%s", options ? options : "",
                                                   options && *options ? "," : "", extra);
          if (mount_node_1 (req, node, target, opts, vfstype, NULL))
            {
              gd_log (gd_request_connection (req),
                      "%s: mounted with %s: the device is read-only and the journal needs "
                      "replaying",
                      node, extra);
              return TRUE;
            }
        }
    }
  if (!ok)
    {
      guest_names_in_error (local, node, guest_dev, target, mountpoint);
      g_propagate_error (error, g_steal_pointer (&local));
    }
  return ok;
}

static gboolean
do_mount (GdRequest *req, const GdMountable *mountable, const char *mountpoint, const char *options,
          const char *vfstype, GError **error)
{
  if (!gd_mount_policy_check (req, vfstype, options, error))
    return FALSE;
  const GdDevice *dev = gd_mountable_device (mountable, error);
  if (dev == NULL)
    return FALSE;
  g_autofree char *target = gd_mountpoint_resolve (req, mountpoint, error);
  if (target == NULL)
    return FALSE;
  /* Live mode: the running system's own filesystems are mounted already;
   * mounting one again where it is (what tools do with the mountpoints
   * inspection gives) would cover the running system with a second
   * mount of itself, and nothing would take it away. */
  struct stat tst, dst;
  if (gd_conn_live (gd_request_connection (req)) && mountable->type == GD_MOUNTABLE_DEVICE &&
      stat (target, &tst) == 0 && stat (dev->node, &dst) == 0 && S_ISBLK (dst.st_mode) &&
      dst.st_rdev == tst.st_dev)
    return TRUE;
  g_autoptr (GString) opts = g_string_new (options ? options : "");
  if (mountable->type == GD_MOUNTABLE_BTRFSVOL)
    g_string_append_printf (opts, "%ssubvol=%s", opts->len ? "," : "", mountable->volume);
  return mount_node (req, dev->node, target, opts->str, vfstype, dev->guest, mountpoint, error);
}

gboolean
gd_do_mount (GdRequest *req, const GdMountable *mountable, const char *mountpoint, GError **error)
{
  return do_mount (req, mountable, mountpoint, NULL, NULL, error);
}

gboolean
gd_do_mount_ro (GdRequest *req, const GdMountable *mountable, const char *mountpoint,
                GError **error)
{
  return do_mount (req, mountable, mountpoint, "ro", NULL, error);
}

gboolean
gd_do_mount_options (GdRequest *req, const char *options, const GdMountable *mountable,
                     const char *mountpoint, GError **error)
{
  return do_mount (req, mountable, mountpoint, options, NULL, error);
}

gboolean
gd_do_mount_vfs (GdRequest *req, const char *options, const char *vfstype,
                 const GdMountable *mountable, const char *mountpoint, GError **error)
{
  return do_mount (req, mountable, mountpoint, options, vfstype, error);
}

/* Attaches the open file fd to a free loop device that goes away by
 * itself once nothing uses it (LO_FLAGS_AUTOCLEAR).  Returns the loop
 * device's fd; the caller closes it after mounting. */
static int
loop_attach_fd (int file_fd, gboolean readonly, char **node, GError **error)
{
  int ctl = open ("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (ctl < 0)
    {
      gd_perror (error, "/dev/loop-control");
      return -1;
    }
  int loop_fd = -1;
  int last = 0;
  for (int attempt = 0; attempt < 64 && loop_fd < 0; attempt++)
    {
      int n = ioctl (ctl, LOOP_CTL_GET_FREE);
      if (n < 0)
        {
          last = errno;
          break;
        }
      g_autofree char *name = g_strdup_printf ("/dev/loop%d", n);
      int fd = gd_loop_open_node (name, readonly ? O_RDONLY : O_RDWR);
      if (fd < 0)
        {
          last = errno;
          continue;
        }
      struct loop_config cfg;
      memset (&cfg, 0, sizeof cfg);
      cfg.fd = (guint32) file_fd;
      cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (readonly ? LO_FLAGS_READ_ONLY : 0);
      if (ioctl (fd, LOOP_CONFIGURE, &cfg) < 0)
        {
          last = errno;
          close (fd);
          if (last == EBUSY)
            continue;
          break;
        }
      loop_fd = fd;
      *node = g_steal_pointer (&name);
    }
  close (ctl);
  if (loop_fd < 0)
    {
      errno = last;
      gd_perror (error, "cannot attach a loop device");
    }
  return loop_fd;
}

gboolean
gd_do_mount_loop (GdRequest *req, const char *file, const char *mountpoint, GError **error)
{
  gboolean readonly = FALSE;
  g_autoptr (GError) local = NULL;
  int fd = gd_open (req, file, O_RDWR, 0, &local);
  if (fd < 0 && (gd_error_get_errno (local) == EROFS || gd_error_get_errno (local) == EACCES))
    {
      g_clear_error (&local);
      readonly = TRUE;
      fd = gd_open (req, file, O_RDONLY, 0, &local);
    }
  if (fd < 0)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      gd_error_errno (error, EINVAL, "%s: not a regular file", file);
      return FALSE;
    }
  g_autofree char *target = gd_mountpoint_resolve (req, mountpoint, error);
  if (target == NULL)
    {
      close (fd);
      return FALSE;
    }
  g_autofree char *node = NULL;
  int loop_fd = loop_attach_fd (fd, readonly, &node, error);
  close (fd);
  if (loop_fd < 0)
    return FALSE;
  gboolean ok =
      mount_node (req, node, target, readonly ? "ro" : NULL, NULL, node, mountpoint, error);
  /* Mounted, the filesystem keeps the loop device; otherwise this frees it. */
  close (loop_fd);
  return ok;
}

gboolean
gd_do_remount (GdRequest *req, const char *mountpoint, gboolean rw, GError **error)
{
  g_autofree char *target = gd_mountpoint_resolve (req, mountpoint, error);
  if (target == NULL)
    return FALSE;
  gboolean set_rw = gd_request_has_optarg (req, GD_REMOUNT_RW_BITMASK);
  g_autoptr (GPtrArray) mounts = gd_mounts_list (gd_request_connection (req), error);
  if (mounts == NULL)
    return FALSE;
  GdMountEntry *entry = NULL;
  for (guint i = 0; i < mounts->len; i++)
    {
      GdMountEntry *e = g_ptr_array_index (mounts, i);
      g_autofree char *host = gd_sysroot_path (req, e->target);
      if (strcmp (host, target) == 0)
        entry = e;
    }
  if (entry == NULL)
    {
      gd_error_errno (error, EINVAL, "%s: not a mount point", mountpoint);
      return FALSE;
    }
  if (set_rw && rw && g_str_has_prefix (entry->source, "/dev/") && device_read_only (entry->source))
    {
      g_autofree char *guest = gd_device_guest_name (gd_request_connection (req), entry->source);
      gd_error_errno (error, EROFS, "%s: cannot remount read-write: %s is read-only", mountpoint,
                      guest);
      return FALSE;
    }
  const char *opts = !set_rw ? "remount" : rw ? "remount,rw" : "remount,ro";
  const char *argv[] = { "mount", "-n", "-o", opts, "--", target, NULL };
  gboolean ok = gd_runv (req, argv, GD_RUN_DEFAULT, NULL, error);
  gd_sysroot_changed (req);
  return ok;
}

/* Directories for mounts, made before anything is mounted on / (the
 * sysroot itself is the parent then): no Pathname, so no root check. */
static gboolean
check_exempt_path (const char *path, GError **error)
{
  if (path[0] == '/')
    return TRUE;
  gd_error_errno (error, EINVAL, "%s: path must be absolute", path);
  return FALSE;
}

gboolean
gd_do_mkmountpoint (GdRequest *req, const char *exemptpath, GError **error)
{
  /* mkdir, but without the Pathname's "something is mounted" check. */
  return check_exempt_path (exemptpath, error) && gd_do_mkdir (req, exemptpath, error);
}

gboolean
gd_do_rmmountpoint (GdRequest *req, const char *exemptpath, GError **error)
{
  return check_exempt_path (exemptpath, error) && gd_do_rmdir (req, exemptpath, error);
}

/* ------------------------------------------------------------------------
 * Unmounting and listing.
 */

/* /dev/VG/LV and /dev/mapper/VG-LV are one device: compare numbers. */
static gboolean
same_device (const char *a, const char *b)
{
  if (strcmp (a, b) == 0)
    return TRUE;
  struct stat sa, sb;
  return stat (a, &sa) == 0 && stat (b, &sb) == 0 && S_ISBLK (sa.st_mode) && S_ISBLK (sb.st_mode) &&
         sa.st_rdev == sb.st_rdev;
}

/* The host mount point of what the client named: a guest path, or a
 * device mounted under the sysroot (the most recent mount of it). */
static char *
umount_target (GdRequest *req, const GdDevOrPath *what, GError **error)
{
  if (what->device == NULL)
    return gd_mountpoint_resolve (req, what->path, error);
  g_autoptr (GPtrArray) mounts = gd_mounts_list (gd_request_connection (req), error);
  if (mounts == NULL)
    return NULL;
  for (guint i = mounts->len; i-- > 0;)
    {
      GdMountEntry *e = g_ptr_array_index (mounts, i);
      if (same_device (e->source, what->device->node))
        return gd_sysroot_path (req, e->target);
    }
  gd_error_errno (error, EINVAL, "%s: not mounted", what->device->guest);
  return NULL;
}

gboolean
gd_do_umount (GdRequest *req, const GdDevOrPath *pathordevice, gboolean force, gboolean lazyunmount,
              GError **error)
{
  const char *name = pathordevice->device ? pathordevice->device->guest : pathordevice->path;
  g_autofree char *target = umount_target (req, pathordevice, error);
  if (target == NULL)
    return FALSE;
  /* Our cached fd of the sysroot would keep a filesystem on / busy. */
  gd_sysroot_changed (req);
  int flags = UMOUNT_NOFOLLOW;
  if (gd_request_has_optarg (req, GD_UMOUNT_FORCE_BITMASK) && force)
    flags |= MNT_FORCE;
  if (gd_request_has_optarg (req, GD_UMOUNT_LAZYUNMOUNT_BITMASK) && lazyunmount)
    flags |= MNT_DETACH;
  int r;
  for (int tries = 0;; tries++)
    {
      r = umount2 (target, flags);
      /* A helper that just used the filesystem may still hold it. */
      if (r == 0 || errno != EBUSY || tries >= 10)
        break;
      g_usleep (50000);
    }
  int saved = errno;
  gd_sysroot_changed (req);
  if (r < 0)
    {
      if (saved == EINVAL)
        gd_error_errno (error, EINVAL, "%s: not mounted", name);
      else
        {
          errno = saved;
          gd_perror (error, "%s", name);
        }
      return FALSE;
    }
  reap_unmounted_fuse_children (gd_request_connection (req));
  return TRUE;
}

gboolean
gd_do_umount_all (GdRequest *req, GError **error)
{
  gd_sysroot_changed (req);
  gboolean ok = gd_umount_all (gd_request_connection (req), error);
  gd_sysroot_changed (req);
  reap_unmounted_fuse_children (gd_request_connection (req));
  return ok;
}

/* The devices mounted under the sysroot, each followed by its mount point
 * when with_targets. */
static gboolean
list_mounts (GdRequest *req, gboolean with_targets, char ***ret, GError **error)
{
  g_autoptr (GPtrArray) mounts = gd_mounts_list (gd_request_connection (req), error);
  if (mounts == NULL)
    return FALSE;
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < mounts->len; i++)
    {
      GdMountEntry *e = g_ptr_array_index (mounts, i);
      g_ptr_array_add (out, g_strdup (e->source));
      if (with_targets)
        g_ptr_array_add (out, g_strdup (e->target));
    }
  g_ptr_array_add (out, NULL);
  *ret = (char **) g_ptr_array_free (out, FALSE);
  return TRUE;
}

gboolean
gd_do_mounts (GdRequest *req, char ***ret, GError **error)
{
  return list_mounts (req, FALSE, ret, error);
}

gboolean
gd_do_mountpoints (GdRequest *req, char ***ret, GError **error)
{
  return list_mounts (req, TRUE, ret, error);
}
