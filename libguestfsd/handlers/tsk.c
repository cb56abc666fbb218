/* libguestfsd handlers: the Sleuth Kit.
 *
 * internal_filesystem_walk and internal_find_inode walk a filesystem with
 * libtsk and stream one XDR tsk_dirent per entry (the client's
 * filesystem_walk and find_inode decode them until the end of the
 * stream).  libtsk parses whatever the guest left on its disk, so it runs
 * in a child process, chrooted into the sysroot, reading the device
 * through an fd opened here: a crash or a hang costs that child, never
 * the daemon.
 *
 * download_inode and download_blocks stream the output of icat(1) and
 * blkls(1).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <tsk/libtsk.h>

#include "confine.h"
#include "devdata.h"
#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

/* tsk_dirent flags (see filesystem_walk in guestfs(3)). */
#define DIRENT_ALLOCATED 0x0001
#define DIRENT_REALLOCATED 0x0002
#define DIRENT_COMPRESSED 0x0004

/* Encoded entries are gathered and written in pieces of this size. */
#define OUT_BUFSIZE (256 * 1024)

typedef struct
{
  int dev_fd; /* the device, read by the child */
  guint64 dev_size;
  gboolean find; /* internal_find_inode: only entries naming inode */
  guint64 inode;
  TSK_INUM_T root;
  guint8 *out;
  size_t used;
  gboolean write_failed;
} Walk;

/* A disk image for libtsk that reads our fd. */
typedef struct
{
  TSK_IMG_INFO info; /* first: libtsk sees a TSK_IMG_INFO */
  int fd;
} FdImage;

static ssize_t
fd_image_read (TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
  FdImage *fi = (FdImage *) img;
  size_t done = 0;
  while (done < len)
    {
      ssize_t n = pread (fi->fd, buf + done, len - done, off + done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return done > 0 ? (ssize_t) done : -1;
      if (n == 0)
        break;
      done += n;
    }
  return done;
}

static void
fd_image_close (TSK_IMG_INFO *img)
{
  (void) img; /* the child exits instead */
}

static void
fd_image_stat (TSK_IMG_INFO *img, FILE *f)
{
  (void) img;
  fputs ("Image Type: guestfsd device\n", f);
}

/* In the child: reports what failed, and libtsk's reason. */
static int
child_error (const char *what)
{
  const char *why = tsk_error_get ();
  return gdc_fail (0, "%s%s%s", what, why && *why ? ": " : "", why ? why : "");
}

static gboolean
out_flush (Walk *w)
{
  size_t done = 0;
  while (done < w->used)
    {
      ssize_t n = write (1, w->out + done, w->used - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          w->write_failed = TRUE;
          return FALSE;
        }
      done += n;
    }
  w->used = 0;
  return TRUE;
}

static char
entry_type (const TSK_FS_FILE *file)
{
  if (file->meta != NULL)
    switch (file->meta->type)
      {
      case TSK_FS_META_TYPE_REG:
      case TSK_FS_META_TYPE_VIRT:
        return 'r';
      case TSK_FS_META_TYPE_DIR:
      case TSK_FS_META_TYPE_VIRT_DIR:
        return 'd';
      case TSK_FS_META_TYPE_FIFO:
        return 'f';
      case TSK_FS_META_TYPE_CHR:
        return 'c';
      case TSK_FS_META_TYPE_BLK:
        return 'b';
      case TSK_FS_META_TYPE_LNK:
        return 'l';
      case TSK_FS_META_TYPE_SHAD:
        return 'h';
      case TSK_FS_META_TYPE_SOCK:
        return 's';
      case TSK_FS_META_TYPE_WHT:
        return 'w';
      default:
        break;
      }
  /* No (usable) metadata, as for many deleted entries: what the
   * directory entry says. */
  switch (file->name->type)
    {
    case TSK_FS_NAME_TYPE_REG:
    case TSK_FS_NAME_TYPE_VIRT:
      return 'r';
    case TSK_FS_NAME_TYPE_DIR:
    case TSK_FS_NAME_TYPE_VIRT_DIR:
      return 'd';
    case TSK_FS_NAME_TYPE_FIFO:
      return 'f';
    case TSK_FS_NAME_TYPE_CHR:
      return 'c';
    case TSK_FS_NAME_TYPE_BLK:
      return 'b';
    case TSK_FS_NAME_TYPE_LNK:
      return 'l';
    case TSK_FS_NAME_TYPE_SHAD:
      return 'h';
    case TSK_FS_NAME_TYPE_SOCK:
      return 's';
    case TSK_FS_NAME_TYPE_WHT:
      return 'w';
    default:
      return 'u';
    }
}

static TSK_WALK_RET_ENUM
walk_entry (TSK_FS_FILE *file, const char *path, void *data)
{
  Walk *w = data;
  const TSK_FS_NAME *name = file->name;
  if (name == NULL || name->name == NULL)
    return TSK_WALK_CONT;
  /* Every directory's "." and "..", except the root's "." which stands
   * for the root directory itself. */
  if (strcmp (name->name, "..") == 0)
    return TSK_WALK_CONT;
  if (strcmp (name->name, ".") == 0 && !(*path == '\0' && name->meta_addr == w->root))
    return TSK_WALK_CONT;
  if (w->find && name->meta_addr != w->inode)
    return TSK_WALK_CONT;

  const TSK_FS_META *meta = file->meta;
  g_autofree char *full = g_strconcat (path, name->name, NULL);
  gd_tsk_dirent d = {
    .tsk_inode = name->meta_addr,
    .tsk_type = entry_type (file),
    .tsk_size = meta ? meta->size : -1,
    .tsk_name = full,
    .tsk_link = (char *) "",
  };
  if (name->flags & TSK_FS_NAME_FLAG_ALLOC)
    d.tsk_flags |= DIRENT_ALLOCATED;
  if (meta != NULL)
    {
      if ((name->flags & TSK_FS_NAME_FLAG_UNALLOC) && (meta->flags & TSK_FS_META_FLAG_ALLOC))
        d.tsk_flags |= DIRENT_REALLOCATED;
      if (meta->flags & TSK_FS_META_FLAG_COMP)
        d.tsk_flags |= DIRENT_COMPRESSED;
      d.tsk_atime_sec = meta->atime;
      d.tsk_atime_nsec = meta->atime_nano;
      d.tsk_mtime_sec = meta->mtime;
      d.tsk_mtime_nsec = meta->mtime_nano;
      d.tsk_ctime_sec = meta->ctime;
      d.tsk_ctime_nsec = meta->ctime_nano;
      d.tsk_crtime_sec = meta->crtime;
      d.tsk_crtime_nsec = meta->crtime_nano;
      d.tsk_nlink = meta->nlink;
      if (meta->type == TSK_FS_META_TYPE_LNK && meta->link != NULL)
        d.tsk_link = meta->link;
    }

  /* Fixed fields take 120 bytes; the strings their length plus 8. */
  size_t need = 128 + strlen (d.tsk_name) + strlen (d.tsk_link) + 8;
  if (w->used + need > OUT_BUFSIZE && !out_flush (w))
    return TSK_WALK_STOP;
  if (need > OUT_BUFSIZE)
    return TSK_WALK_CONT; /* a name no XDR string could carry anyway */
  XDR xdr;
  xdrmem_create (&xdr, (char *) w->out + w->used, OUT_BUFSIZE - w->used, XDR_ENCODE);
  gboolean ok = xdr_gd_tsk_dirent (&xdr, &d);
  if (ok)
    w->used += xdr_getpos (&xdr);
  xdr_destroy (&xdr);
  return TSK_WALK_CONT;
}

/* In the child: returns its exit status. */
static int
walk_child (gpointer data)
{
  Walk *w = data;
  FdImage *img = calloc (1, sizeof *img);
  if (img == NULL)
    return 1;
  img->fd = w->dev_fd;
  if (tsk_img_open_external (&img->info, w->dev_size, 512, fd_image_read, fd_image_close,
                             fd_image_stat) == NULL)
    return child_error ("cannot read the device");
  TSK_FS_INFO *fs = tsk_fs_open_img (&img->info, 0, TSK_FS_TYPE_DETECT);
  if (fs == NULL)
    return child_error ("no filesystem that the Sleuth Kit knows");
  w->root = fs->root_inum;
  w->out = malloc (OUT_BUFSIZE);
  if (w->out == NULL)
    return 1;
  int flags = TSK_FS_DIR_WALK_FLAG_ALLOC | TSK_FS_DIR_WALK_FLAG_UNALLOC |
              TSK_FS_DIR_WALK_FLAG_RECURSE | TSK_FS_DIR_WALK_FLAG_NOORPHAN;
  if (tsk_fs_dir_walk (fs, fs->root_inum, flags, walk_entry, w) != 0 && !w->write_failed)
    return child_error ("walking the filesystem");
  if (w->write_failed || !out_flush (w))
    return 3; /* the parent stopped listening */
  return 0;
}

static gboolean
stream_walk (GdRequest *req, const GdMountable *device, gboolean find, int64_t inode,
             GError **error)
{
  const GdDevice *dev = gd_mountable_device (device, error);
  if (dev == NULL)
    return FALSE;
  Walk w = { .find = find, .inode = inode };
  w.dev_fd = devdata_open_device (dev, O_RDONLY, error);
  if (w.dev_fd < 0)
    return FALSE;
  gboolean ok = FALSE;
  GdcChild child;
  if (devdata_fd_size (w.dev_fd, dev->guest, &w.dev_size, error) &&
      gdc_spawn (req, "the Sleuth Kit walk", walk_child, &w, GDC_STDOUT_PIPE, w.dev_fd, -1, -1,
                 &child, error))
    {
      if (!gd_fileout_from_fd (req, child.out, 0, error))
        gdc_abort (&child);
      else if (!gdc_wait (&child, error))
        g_prefix_error (error, "%s: ", dev->guest);
      else
        ok = TRUE;
    }
  close (w.dev_fd);
  return ok;
}

gboolean
gd_do_internal_filesystem_walk (GdRequest *req, const GdMountable *device, GError **error)
{
  return stream_walk (req, device, FALSE, 0, error);
}

gboolean
gd_do_internal_find_inode (GdRequest *req, const GdMountable *device, int64_t inode, GError **error)
{
  if (!gd_fs_check_not_negative (NULL, "inode", inode, error))
    return FALSE;
  return stream_walk (req, device, TRUE, inode, error);
}

gboolean
gd_do_download_inode (GdRequest *req, const GdMountable *device, int64_t inode, GError **error)
{
  const char *node;
  g_autofree char *num = devdata_inode_arg (device, inode, &node, error);
  if (num == NULL)
    return FALSE;
  /* -r: recover deleted files too. */
  const char *argv[] = { "icat", "-r", node, num, NULL };
  return devdata_program_to_fileout (req, argv, -1, error);
}

gboolean
gd_do_download_blocks (GdRequest *req, const GdMountable *device, int64_t start, int64_t stop,
                       gboolean unallocated, GError **error)
{
  const GdDevice *dev = gd_mountable_device (device, error);
  if (dev == NULL)
    return FALSE;
  if (!gd_fs_check_not_negative (NULL, "start", start, error) ||
      !gd_fs_check_not_negative (NULL, "stop", stop, error))
    return FALSE;
  if (stop < start)
    {
      gd_error_errno (error, EINVAL,
                      "stop (%" G_GINT64_FORMAT ") is before start (%" G_GINT64_FORMAT ")", stop,
                      start);
      return FALSE;
    }
  if (!gd_request_has_optarg (req, GD_DOWNLOAD_BLOCKS_UNALLOCATED_BITMASK))
    unallocated = FALSE;
  g_autofree char *range = g_strdup_printf ("%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, start, stop);
  /* -e: every block of the range; -A: only the unallocated ones. */
  const char *argv[] = { "blkls", unallocated ? "-A" : "-e", dev->node, range, NULL };
  return devdata_program_to_fileout (req, argv, -1, error);
}
