/* libguestfsd handlers: ext2/3/4 tools.
 *
 * File attributes and generation numbers are read and set with the
 * FS_IOC_* ioctls on a confined fd (what lsattr/chattr do), so no guest
 * path is ever handed to a host program.  The rest runs e2fsprogs.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"
#include "fs-util.h"

#define EXT2_LABEL_MAX 16

static gboolean
is_power_of_2 (int64_t v)
{
  return v > 0 && (v & (v - 1)) == 0;
}

static gboolean
check_blocksize (int64_t bs, GError **error)
{
  if (!is_power_of_2 (bs) || bs < 1024 || bs > 65536)
    {
      gd_error_errno (error, EINVAL,
                      "%" PRId64 ": block size must be a power of 2 from 1024 to 65536", bs);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_ext_label (const char *label, GError **error)
{
  if (strlen (label) > EXT2_LABEL_MAX)
    {
      gd_error_errno (error, EINVAL, "%s: ext2/3/4 labels are limited to %d bytes", label,
                      EXT2_LABEL_MAX);
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_argv (GdRequest *req, GPtrArray *argv, GdRunFlags flags, GError **error)
{
  g_ptr_array_add (argv, NULL);
  return gd_runv (req, (const char *const *) argv->pdata, flags | GD_RUN_PULSE, NULL, error);
}

#define ADD(...) g_ptr_array_add (argv, g_strdup_printf (__VA_ARGS__))

/* ------------------------------------------------------------------------
 * tune2fs.
 */

gboolean
gd_do_tune2fs_l (GdRequest *req, const GdDevice *device, char ***ret, GError **error)
{
  g_autofree char *out = NULL;
  if (!gd_run (req, &out, error, "tune2fs", "-l", device->node, NULL))
    return FALSE;
  g_auto (GStrv) lines = gd_split_lines (out);
  GPtrArray *list = g_ptr_array_new ();
  for (char **l = lines; *l; l++)
    {
      char *line = *l;
      /* The banner ("tune2fs 1.47.0 (5-Feb-2023)") and blank lines. */
      if (l == lines && g_str_has_prefix (line, "tune2fs "))
        continue;
      if (*line == '\0')
        continue;
      char *colon = strchr (line, ':');
      if (colon == NULL)
        {
          g_ptr_array_add (list, g_strdup (line));
          g_ptr_array_add (list, g_strdup (""));
          continue;
        }
      *colon = '\0';
      const char *value = colon + 1;
      while (*value == ' ' || *value == '\t')
        value++;
      g_ptr_array_add (list, g_strdup (line));
      /* tune2fs's placeholders for "nothing" become empty strings. */
      if (strcmp (value, "<none>") == 0 || strcmp (value, "<not available>") == 0 ||
          strcmp (value, "(none)") == 0)
        value = "";
      /* "0 (user root)": a name from the user database of the machine we
       * run on, not the guest's; the original's appliance has none and
       * says "unknown". */
      const char *paren;
      if ((g_str_has_prefix (line, "Reserved blocks uid") ||
           g_str_has_prefix (line, "Reserved blocks gid")) &&
          (paren = strstr (value, " (")) != NULL)
        {
          g_ptr_array_add (list, g_strdup_printf ("%.*s (%s unknown)", (int) (paren - value), value,
                                                  line[16] == 'u' ? "user" : "group"));
          continue;
        }
      g_ptr_array_add (list, g_strdup (value));
    }
  g_ptr_array_add (list, NULL);
  *ret = (char **) g_ptr_array_free (list, FALSE);
  return TRUE;
}

static gboolean
check_reserved_percentage (int percent, GError **error)
{
  if (percent < 0 || percent > 50)
    {
      gd_error_errno (error, EINVAL, "%d: the reserved blocks percentage must be 0 to 50", percent);
      return FALSE;
    }
  return TRUE;
}

gboolean
gd_do_tune2fs (GdRequest *req, const GdDevice *device, gboolean force, int maxmountcount,
               int mountcount, const char *errorbehavior, int64_t group, int intervalbetweenchecks,
               int reservedblockspercentage, const char *lastmounteddirectory,
               int64_t reservedblockscount, int64_t user, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  ADD ("tune2fs");
#define HAS(f) gd_request_has_optarg (req, GD_TUNE2FS_##f##_BITMASK)
  if (HAS (FORCE) && force)
    ADD ("-f");
  if (HAS (MAXMOUNTCOUNT))
    {
      /* -1 (or 0) means "do not check after a number of mounts". */
      if (maxmountcount < -1)
        {
          gd_error_errno (error, EINVAL, "maxmountcount must be -1 (no check by count) or more");
          return FALSE;
        }
      ADD ("-c");
      ADD ("%d", maxmountcount);
    }
  if (HAS (MOUNTCOUNT))
    {
      if (!gd_fs_check_not_negative (NULL, "mountcount", mountcount, error))
        return FALSE;
      ADD ("-C");
      ADD ("%d", mountcount);
    }
  if (HAS (ERRORBEHAVIOR))
    {
      if (strcmp (errorbehavior, "continue") != 0 && strcmp (errorbehavior, "remount-ro") != 0 &&
          strcmp (errorbehavior, "panic") != 0)
        {
          gd_error_errno (error, EINVAL,
                          "%s: error behavior must be 'continue', 'remount-ro' or 'panic'",
                          errorbehavior);
          return FALSE;
        }
      ADD ("-e");
      ADD ("%s", errorbehavior);
    }
  if (HAS (GROUP))
    {
      if (!gd_fs_check_not_negative (NULL, "group", group, error))
        return FALSE;
      ADD ("-g");
      ADD ("%" PRId64, group);
    }
  if (HAS (INTERVALBETWEENCHECKS))
    {
      if (!gd_fs_check_not_negative (NULL, "intervalbetweenchecks", intervalbetweenchecks, error))
        return FALSE;
      ADD ("-i");
      ADD ("%ds", intervalbetweenchecks);
    }
  if (HAS (RESERVEDBLOCKSPERCENTAGE))
    {
      if (!check_reserved_percentage (reservedblockspercentage, error))
        return FALSE;
      ADD ("-m");
      ADD ("%d", reservedblockspercentage);
    }
  if (HAS (LASTMOUNTEDDIRECTORY))
    {
      ADD ("-M");
      ADD ("%s", lastmounteddirectory);
    }
  if (HAS (RESERVEDBLOCKSCOUNT))
    {
      if (!gd_fs_check_not_negative (NULL, "reservedblockscount", reservedblockscount, error))
        return FALSE;
      ADD ("-r");
      ADD ("%" PRId64, reservedblockscount);
    }
  if (HAS (USER))
    {
      if (!gd_fs_check_not_negative (NULL, "user", user, error))
        return FALSE;
      ADD ("-u");
      ADD ("%" PRId64, user);
    }
#undef HAS
  ADD ("%s", device->node);
  return run_argv (req, argv, GD_RUN_FOLD_STDERR, error);
}

/* ------------------------------------------------------------------------
 * Labels and UUIDs (the old ext-only calls).
 */

gboolean
gd_do_set_e2label (GdRequest *req, const GdDevice *device, const char *label, GError **error)
{
  if (!check_ext_label (label, error))
    return FALSE;
  return gd_run (req, NULL, error, "e2label", device->node, label, NULL);
}

gboolean
gd_do_get_e2label (GdRequest *req, const GdDevice *device, char **ret, GError **error)
{
  return (*ret = gd_fs_probe_tag (req, device->node, "LABEL", error)) != NULL;
}

gboolean
gd_do_set_e2uuid (GdRequest *req, const GdDevice *device, const char *uuid, GError **error)
{
  return gd_run (req, NULL, error, "tune2fs", "-U", uuid, device->node, NULL);
}

gboolean
gd_do_get_e2uuid (GdRequest *req, const GdDevice *device, char **ret, GError **error)
{
  return (*ret = gd_fs_probe_tag (req, device->node, "UUID", error)) != NULL;
}

/* ------------------------------------------------------------------------
 * Checking and resizing.
 */

/* e2fsck's exit status: 0 clean, 1 errors corrected, 2 corrected and the
 * system should reboot (meaningless for an unmounted filesystem), 4 and up
 * errors left or operational failure.  Without a correcting mode the check
 * is read-only (-n, e2fsck will not run unattended otherwise) and anything
 * but 0 is a failure. */
static gboolean
run_e2fsck (GdRequest *req, const char *node, const char *mode, GError **error)
{
  const char *argv[] = { "e2fsck", "-f", mode ? mode : "-n", node, NULL };
  g_autofree char *out = NULL;
  int status;
  if (!gd_fs_run_checker (req, argv, -1, &out, &status, error))
    return FALSE;
  if (status == 0 || (mode != NULL && status >= 1 && status <= 3))
    return TRUE;
  gd_chomp (out);
  gd_error (error, "%s: e2fsck exited with status %d: %s", node, status, out);
  return FALSE;
}

gboolean
gd_do_e2fsck (GdRequest *req, const GdDevice *device, gboolean correct, gboolean forceall,
              GError **error)
{
  correct = gd_request_has_optarg (req, GD_E2FSCK_CORRECT_BITMASK) && correct;
  forceall = gd_request_has_optarg (req, GD_E2FSCK_FORCEALL_BITMASK) && forceall;
  if (correct && forceall)
    {
      gd_error_errno (error, EINVAL,
                      "only one of the options 'correct', 'forceall' may be specified");
      return FALSE;
    }
  /* Like the original's e2fsck, never on a mounted filesystem (even the
   * read-only check would report the live filesystem's churn). */
  g_autofree char *mp = gd_fs_mountpoint_of (device->node);
  if (mp != NULL)
    {
      gd_error_errno (error, EBUSY, "%s is mounted.\ne2fsck: Cannot continue, aborting.",
                      device->guest);
      return FALSE;
    }
  return run_e2fsck (req, device->node, correct ? "-p" : forceall ? "-y" : NULL, error);
}

gboolean
gd_do_e2fsck_f (GdRequest *req, const GdDevice *device, GError **error)
{
  return run_e2fsck (req, device->node, "-p", error);
}

/* resize2fs insists on a freshly checked filesystem when it is not
 * mounted; check (and repair) it first, as the API promises a resize. */
static gboolean
resize (GdRequest *req, const GdDevice *device, const char *option, const char *size,
        GError **error)
{
  g_autofree char *mp = gd_fs_mountpoint_of (device->node);
  if (mp == NULL && !run_e2fsck (req, device->node, "-y", error))
    return FALSE;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  ADD ("resize2fs");
  if (option)
    ADD ("%s", option);
  ADD ("%s", device->node);
  if (size)
    ADD ("%s", size);
  return run_argv (req, argv, GD_RUN_DEFAULT, error);
}

gboolean
gd_do_resize2fs (GdRequest *req, const GdDevice *device, GError **error)
{
  return resize (req, device, NULL, NULL, error);
}

gboolean
gd_do_resize2fs_size (GdRequest *req, const GdDevice *device, int64_t size, GError **error)
{
  if (size <= 0 || size % 1024 != 0)
    {
      gd_error_errno (error, EINVAL, "%" PRId64 ": size must be a positive multiple of 1024", size);
      return FALSE;
    }
  g_autofree char *s = g_strdup_printf ("%" PRId64 "K", size / 1024);
  return resize (req, device, NULL, s, error);
}

gboolean
gd_do_resize2fs_M (GdRequest *req, const GdDevice *device, GError **error)
{
  return resize (req, device, "-M", NULL, error);
}

/* ------------------------------------------------------------------------
 * Making filesystems and external journals.
 */

static gboolean
check_ext_fstype (const char *fstype, GError **error)
{
  if (!gd_fs_is_ext (fstype))
    {
      gd_error_errno (error, EINVAL, "%s: not an ext2/3/4 filesystem type", fstype);
      return FALSE;
    }
  return TRUE;
}

static gboolean
make_journal (GdRequest *req, int blocksize, const char *label, const char *uuid,
              const GdDevice *device, GError **error)
{
  if (!check_blocksize (blocksize, error) || !gd_fs_check_unused (device, error))
    return FALSE;
  if (label && !check_ext_label (label, error))
    return FALSE;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  ADD ("mke2fs");
  ADD ("-F");
  ADD ("-O");
  ADD ("journal_dev");
  ADD ("-b");
  ADD ("%d", blocksize);
  if (label)
    {
      ADD ("-L");
      ADD ("%s", label);
    }
  if (uuid)
    {
      ADD ("-U");
      ADD ("%s", uuid);
    }
  ADD ("%s", device->node);
  return run_argv (req, argv, GD_RUN_DEFAULT, error);
}

gboolean
gd_do_mke2journal (GdRequest *req, int blocksize, const GdDevice *device, GError **error)
{
  return make_journal (req, blocksize, NULL, NULL, device, error);
}

gboolean
gd_do_mke2journal_L (GdRequest *req, int blocksize, const char *label, const GdDevice *device,
                     GError **error)
{
  return make_journal (req, blocksize, label, NULL, device, error);
}

gboolean
gd_do_mke2journal_U (GdRequest *req, int blocksize, const char *uuid, const GdDevice *device,
                     GError **error)
{
  return make_journal (req, blocksize, NULL, uuid, device, error);
}

/* mke2fs with an external journal given by node. */
static gboolean
make_with_journal (GdRequest *req, const char *fstype, int blocksize, const GdDevice *device,
                   const char *journal_node, GError **error)
{
  if (!check_ext_fstype (fstype, error) || !check_blocksize (blocksize, error) ||
      !gd_fs_check_unused (device, error))
    return FALSE;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  ADD ("mke2fs");
  ADD ("-F");
  ADD ("-t");
  ADD ("%s", fstype);
  ADD ("-J");
  ADD ("device=%s", journal_node);
  ADD ("-b");
  ADD ("%d", blocksize);
  ADD ("%s", device->node);
  return run_argv (req, argv, GD_RUN_DEFAULT, error);
}

gboolean
gd_do_mke2fs_J (GdRequest *req, const char *fstype, int blocksize, const GdDevice *device,
                const GdDevice *journal, GError **error)
{
  return make_with_journal (req, fstype, blocksize, device, journal->node, error);
}

gboolean
gd_do_mke2fs_JL (GdRequest *req, const char *fstype, int blocksize, const GdDevice *device,
                 const char *label, GError **error)
{
  /* mke2fs would search every block device of the machine for the label:
   * look only at ours. */
  g_autofree char *journal = gd_fs_find_by_tag (req, "LABEL", label, error);
  return journal && make_with_journal (req, fstype, blocksize, device, journal, error);
}

gboolean
gd_do_mke2fs_JU (GdRequest *req, const char *fstype, int blocksize, const GdDevice *device,
                 const char *uuid, GError **error)
{
  g_autofree char *journal = gd_fs_find_by_tag (req, "UUID", uuid, error);
  return journal && make_with_journal (req, fstype, blocksize, device, journal, error);
}

gboolean
gd_do_mke2fs (GdRequest *req, const GdDevice *device, int64_t blockscount, int64_t blocksize,
              int64_t fragsize, int64_t blockspergroup, int64_t numberofgroups,
              int64_t bytesperinode, int64_t inodesize, int64_t journalsize, int64_t numberofinodes,
              int64_t stridesize, int64_t stripewidth, int64_t maxonlineresize,
              int reservedblockspercentage, int mmpupdateinterval, const char *journaldevice,
              const char *label, const char *lastmounteddir, const char *creatoros,
              const char *fstype, const char *usagetype, const char *uuid, gboolean forcecreate,
              gboolean writesbandgrouponly, gboolean lazyitableinit, gboolean lazyjournalinit,
              gboolean testfs, gboolean discard, gboolean quotatype, gboolean extent,
              gboolean filetype, gboolean flexbg, gboolean hasjournal, gboolean journaldev,
              gboolean largefile, gboolean quota, gboolean resizeinode, gboolean sparsesuper,
              gboolean uninitbg, GError **error)
{
#define HAS(f) gd_request_has_optarg (req, GD_MKE2FS_##f##_BITMASK)
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) features = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) extended = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *journal_node = NULL;
  if (!gd_fs_check_unused (device, error))
    return FALSE;
  ADD ("mke2fs");

  /* Numeric options: name, value, option letter; all must be positive. */
  struct
  {
    gboolean has;
    const char *name;
    int64_t value;
    const char *opt;
  } nums[] = {
    { HAS (BLOCKSIZE), "blocksize", blocksize, "-b" },
    { HAS (FRAGSIZE), "fragsize", fragsize, "-f" },
    { HAS (BLOCKSPERGROUP), "blockspergroup", blockspergroup, "-g" },
    { HAS (NUMBEROFGROUPS), "numberofgroups", numberofgroups, "-G" },
    { HAS (BYTESPERINODE), "bytesperinode", bytesperinode, "-i" },
    { HAS (INODESIZE), "inodesize", inodesize, "-I" },
    { HAS (NUMBEROFINODES), "numberofinodes", numberofinodes, "-N" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (nums); i++)
    {
      if (!nums[i].has)
        continue;
      if (nums[i].value <= 0)
        {
          gd_error_errno (error, EINVAL, "%s: %" PRId64 ": must be greater than 0", nums[i].name,
                          nums[i].value);
          return FALSE;
        }
      ADD ("%s", nums[i].opt);
      ADD ("%" PRId64, nums[i].value);
    }
  if (HAS (BLOCKSIZE) && !check_blocksize (blocksize, error))
    return FALSE;
  if (HAS (BLOCKSCOUNT) && blockscount <= 0)
    {
      gd_error_errno (error, EINVAL, "blockscount: %" PRId64 ": must be greater than 0",
                      blockscount);
      return FALSE;
    }
  if (HAS (JOURNALSIZE))
    {
      if (journalsize <= 0)
        {
          gd_error_errno (error, EINVAL, "journalsize: %" PRId64 ": must be greater than 0",
                          journalsize);
          return FALSE;
        }
      ADD ("-J");
      ADD ("size=%" PRId64, journalsize);
    }
  if (HAS (JOURNALDEVICE))
    {
      journal_node = gd_fs_resolve_spec (req, journaldevice, error);
      if (journal_node == NULL)
        return FALSE;
      ADD ("-J");
      ADD ("device=%s", journal_node);
    }
  if (HAS (RESERVEDBLOCKSPERCENTAGE))
    {
      if (!check_reserved_percentage (reservedblockspercentage, error))
        return FALSE;
      ADD ("-m");
      ADD ("%d", reservedblockspercentage);
    }
  if (HAS (LABEL) && !check_ext_label (label, error))
    return FALSE;
  if (HAS (FSTYPE) && !check_ext_fstype (fstype, error))
    return FALSE;

  /* String options: value, option letter. */
  struct
  {
    gboolean has;
    const char *value;
    const char *opt;
  } strs[] = {
    { HAS (LABEL), label, "-L" },         { HAS (LASTMOUNTEDDIR), lastmounteddir, "-M" },
    { HAS (CREATOROS), creatoros, "-o" }, { HAS (FSTYPE), fstype, "-t" },
    { HAS (USAGETYPE), usagetype, "-T" }, { HAS (UUID), uuid, "-U" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (strs); i++)
    if (strs[i].has)
      {
        ADD ("%s", strs[i].opt);
        ADD ("%s", strs[i].value);
      }
  if (HAS (FORCECREATE) && forcecreate)
    ADD ("-F");
  if (HAS (WRITESBANDGROUPONLY) && writesbandgrouponly)
    ADD ("-S");

  /* Extended options (-E) and features (-O) go in one list each:
   * mke2fs keeps only the last -E it is given. */
  struct
  {
    gboolean has;
    const char *name;
    int64_t value;
    const char *key;
  } exts[] = {
    { HAS (STRIDESIZE), "stridesize", stridesize, "stride" },
    { HAS (STRIPEWIDTH), "stripewidth", stripewidth, "stripe_width" },
    { HAS (MAXONLINERESIZE), "maxonlineresize", maxonlineresize, "resize" },
    { HAS (MMPUPDATEINTERVAL), "mmpupdateinterval", mmpupdateinterval, "mmp_update_interval" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (exts); i++)
    {
      if (!exts[i].has)
        continue;
      if (!gd_fs_check_not_negative (NULL, exts[i].name, exts[i].value, error))
        return FALSE;
      g_ptr_array_add (extended, g_strdup_printf ("%s=%" PRId64, exts[i].key, exts[i].value));
    }
  if (HAS (LAZYITABLEINIT))
    g_ptr_array_add (extended, g_strdup_printf ("lazy_itable_init=%d", lazyitableinit ? 1 : 0));
  if (HAS (LAZYJOURNALINIT))
    g_ptr_array_add (extended, g_strdup_printf ("lazy_journal_init=%d", lazyjournalinit ? 1 : 0));
  if (HAS (TESTFS) && testfs)
    g_ptr_array_add (extended, g_strdup ("test_fs"));
  if (HAS (DISCARD))
    g_ptr_array_add (extended, g_strdup (discard ? "discard" : "nodiscard"));
  if (HAS (QUOTATYPE) && quotatype)
    g_ptr_array_add (extended, g_strdup ("quotatype=usrquota:grpquota"));

  struct
  {
    gboolean has, on;
    const char *feature;
  } feats[] = {
    { HAS (EXTENT), extent, "extent" },
    { HAS (FILETYPE), filetype, "filetype" },
    { HAS (FLEXBG), flexbg, "flex_bg" },
    { HAS (HASJOURNAL), hasjournal, "has_journal" },
    { HAS (JOURNALDEV), journaldev, "journal_dev" },
    { HAS (LARGEFILE), largefile, "large_file" },
    { HAS (QUOTA), quota, "quota" },
    { HAS (RESIZEINODE), resizeinode, "resize_inode" },
    { HAS (SPARSESUPER), sparsesuper, "sparse_super" },
    { HAS (UNINITBG), uninitbg, "uninit_bg" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (feats); i++)
    if (feats[i].has)
      g_ptr_array_add (features,
                       g_strdup_printf ("%s%s", feats[i].on ? "" : "^", feats[i].feature));
#undef HAS

  if (extended->len > 0)
    {
      g_ptr_array_add (extended, NULL);
      ADD ("-E");
      g_ptr_array_add (argv, g_strjoinv (",", (char **) extended->pdata));
    }
  if (features->len > 0)
    {
      g_ptr_array_add (features, NULL);
      ADD ("-O");
      g_ptr_array_add (argv, g_strjoinv (",", (char **) features->pdata));
    }
  ADD ("%s", device->node);
  if (gd_request_has_optarg (req, GD_MKE2FS_BLOCKSCOUNT_BITMASK))
    ADD ("%" PRId64, blockscount);
  return run_argv (req, argv, GD_RUN_DEFAULT, error);
}

/* ------------------------------------------------------------------------
 * lost+found.
 */

gboolean
gd_do_mklost_and_found (GdRequest *req, const char *mountpoint, GError **error)
{
  int dirfd = gd_open (req, mountpoint, O_PATH | O_DIRECTORY, 0, error);
  if (dirfd < 0)
    return FALSE;
  const char *argv[] = { "mklost+found", NULL };
  GdRunOpts opts = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .cwd_fd = dirfd };
  gboolean ok = gd_run_full (req, &opts, NULL, NULL, NULL, error);
  close (dirfd);
  return ok;
}

/* ------------------------------------------------------------------------
 * File attributes and generation numbers.
 */

typedef struct
{
  char letter;
  unsigned int flag;
} AttrLetter;

/* The letters of lsattr(1)/chattr(1).  0x400 was "X" (raw access to
 * compressed data) in old e2fsprogs and is "m" (do not compress) now: the
 * bit is shown as "m" and both letters set it. */
static const AttrLetter attr_letters[] = {
  { 'A', FS_NOATIME_FL },   { 'a', FS_APPEND_FL },       { 'B', 0x00000200 },
  { 'c', FS_COMPR_FL },     { 'C', FS_NOCOW_FL },        { 'D', FS_DIRSYNC_FL },
  { 'd', FS_NODUMP_FL },    { 'E', 0x00000800 },         { 'e', FS_EXTENT_FL },
  { 'F', 0x40000000 },      { 'h', 0x00040000 },         { 'I', FS_INDEX_FL },
  { 'i', FS_IMMUTABLE_FL }, { 'j', FS_JOURNAL_DATA_FL }, { 'm', 0x00000400 },
  { 'N', 0x10000000 },      { 'P', FS_PROJINHERIT_FL },  { 's', FS_SECRM_FL },
  { 'S', FS_SYNC_FL },      { 'T', FS_TOPDIR_FL },       { 't', FS_NOTAIL_FL },
  { 'u', FS_UNRM_FL },      { 'V', 0x00100000 },         { 'x', 0x02000000 },
  { 'X', 0x00000400 },      { 'Z', 0x00000100 },
};

static unsigned int
letter_flag (char c)
{
  for (size_t i = 0; i < G_N_ELEMENTS (attr_letters); i++)
    if (attr_letters[i].letter == c)
      return attr_letters[i].flag;
  return 0;
}

/* A readable fd on a regular file or directory, for the flag ioctls. */
static int
open_for_attrs (GdRequest *req, const char *path, GError **error)
{
  int pfd = gd_open (req, path, O_PATH, 0, error);
  if (pfd < 0)
    return -1;
  struct stat st;
  if (fstat (pfd, &st) < 0)
    {
      gd_perror (error, "%s", path);
      close (pfd);
      return -1;
    }
  if (!S_ISREG (st.st_mode) && !S_ISDIR (st.st_mode))
    {
      close (pfd);
      gd_error_errno (error, ENOTSUP,
                      "%s: file attributes exist only on regular files and directories", path);
      return -1;
    }
  g_autofree char *link = gd_fd_path (pfd);
  int fd = open (link, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    gd_perror (error, "%s", path);
  close (pfd);
  return fd;
}

gboolean
gd_do_get_e2attrs (GdRequest *req, const char *file, char **ret, GError **error)
{
  int fd = open_for_attrs (req, file, error);
  if (fd < 0)
    return FALSE;
  unsigned int flags = 0;
  int r = ioctl (fd, FS_IOC_GETFLAGS, &flags);
  close (fd);
  if (r < 0)
    {
      gd_perror (error, "%s: reading file attributes", file);
      return FALSE;
    }
  /* In byte order, so the result does not depend on table order. */
  GString *s = g_string_new (NULL);
  for (int c = 'A'; c <= 'z'; c++)
    {
      if (c == 'X')
        continue; /* shown as 'm' */
      unsigned int f = letter_flag ((char) c);
      if (f != 0 && (flags & f) == f)
        g_string_append_c (s, (char) c);
    }
  *ret = g_string_free (s, FALSE);
  return TRUE;
}

gboolean
gd_do_set_e2attrs (GdRequest *req, const char *file, const char *attrs, gboolean clear,
                   GError **error)
{
  unsigned int mask = 0;
  for (const char *p = attrs; *p; p++)
    {
      unsigned int f = letter_flag (*p);
      if (f == 0)
        {
          gd_error_errno (error, EINVAL, "%s: unknown file attribute '%c'", attrs, *p);
          return FALSE;
        }
      if (strchr (p + 1, *p) != NULL)
        {
          gd_error_errno (error, EINVAL, "%s: file attribute '%c' given more than once", attrs, *p);
          return FALSE;
        }
      mask |= f;
    }
  int fd = open_for_attrs (req, file, error);
  if (fd < 0)
    return FALSE;
  unsigned int flags = 0;
  gboolean ok = FALSE;
  if (ioctl (fd, FS_IOC_GETFLAGS, &flags) < 0)
    gd_perror (error, "%s: reading file attributes", file);
  else
    {
      unsigned int want = gd_request_has_optarg (req, GD_SET_E2ATTRS_CLEAR_BITMASK) && clear
                              ? flags & ~mask
                              : flags | mask;
      if (want != flags && ioctl (fd, FS_IOC_SETFLAGS, &want) < 0)
        gd_perror (error, "%s: setting file attributes", file);
      else
        ok = TRUE;
    }
  close (fd);
  return ok;
}

gboolean
gd_do_get_e2generation (GdRequest *req, const char *file, int64_t *ret, GError **error)
{
  int fd = open_for_attrs (req, file, error);
  if (fd < 0)
    return FALSE;
  unsigned int gen = 0;
  int r = ioctl (fd, FS_IOC_GETVERSION, &gen);
  close (fd);
  if (r < 0)
    {
      gd_perror (error, "%s: reading the generation", file);
      return FALSE;
    }
  *ret = gen;
  return TRUE;
}

gboolean
gd_do_set_e2generation (GdRequest *req, const char *file, int64_t generation, GError **error)
{
  if (generation < 0 || generation > UINT32_MAX)
    {
      gd_error_errno (error, EINVAL, "%" PRId64 ": the generation must be 0 to %u", generation,
                      UINT32_MAX);
      return FALSE;
    }
  int fd = open_for_attrs (req, file, error);
  if (fd < 0)
    return FALSE;
  unsigned int gen = (unsigned int) generation;
  int r = ioctl (fd, FS_IOC_SETVERSION, &gen);
  close (fd);
  if (r < 0)
    {
      gd_perror (error, "%s: setting the generation", file);
      return FALSE;
    }
  return TRUE;
}
