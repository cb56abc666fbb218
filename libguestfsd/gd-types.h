/* libguestfsd: types shared by the generated stubs and the handlers.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdint.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct _GdRequest GdRequest;
typedef struct _GdConnection GdConnection;

/* A block device named by the client, after validation.  'guest' is the
 * name the guest uses (/dev/sda1, /dev/VG/LV), 'node' is the node the
 * daemon opens (/dev/loop3p1 on a host, /dev/sda1 in the appliance). */
typedef struct
{
  char *guest;
  char *node;
} GdDevice;

/* Values match the im_type field of struct internal_mountable. */
typedef enum
{
  GD_MOUNTABLE_DEVICE = 0,
  GD_MOUNTABLE_BTRFSVOL = 1,
  GD_MOUNTABLE_PATH = 2,
} GdMountableType;

typedef struct
{
  GdMountableType type;
  GdDevice *device; /* DEVICE and BTRFSVOL */
  char *volume;     /* BTRFSVOL: the subvolume */
  char *path;       /* PATH: an absolute guest path */
} GdMountable;

typedef struct
{
  GdDevice *device; /* non-NULL when the argument named a device */
  char *path;       /* otherwise an absolute guest path */
} GdDevOrPath;

void gd_device_free (GdDevice *dev);
GdDevice *gd_device_copy (const GdDevice *dev);
void gd_mountable_free (GdMountable *m);
void gd_dev_or_path_free (GdDevOrPath *d);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdDevice, gd_device_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdMountable, gd_mountable_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdDevOrPath, gd_dev_or_path_free)

G_END_DECLS
