/* libguestfsd: heavy optional libraries, loaded on first use.
 *
 * Linking libtsk (the Sleuth Kit, C++) made the dynamic loader map about
 * 40 more libraries at every start of the daemon (libstdc++, libcrypto,
 * gnutls, libewf ...): guestfsd --version went from 2 to 20 ms of CPU, for
 * a handful of calls few sessions make.  The library is therefore not
 * linked: the functions the handlers call are defined here with the
 * header's own prototypes, and each resolves its real counterpart with
 * dlopen/dlsym the first time it is called.  Handlers call them as usual.
 *
 * Handlers that run library code in a confined (chrooted) child cannot
 * dlopen there, so gd_lazy_preload() loads everything before the fork.
 *
 * If a library is missing at run time, its functions fail the way the
 * library reports errors, with a message saying what is missing.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dlfcn.h>
#include <stdio.h>

#include <glib.h>

#include "gd-engine.h"

#include <tsk/libtsk.h>

typedef struct
{
  const char *soname;
  void *handle;
  gboolean tried;
  char *error;
} LazyLib;

static void *
lazy_sym (LazyLib *lib, const char *name)
{
  if (!lib->tried)
    {
      lib->tried = TRUE;
      lib->handle = dlopen (lib->soname, RTLD_NOW | RTLD_LOCAL);
      if (lib->handle == NULL)
        lib->error = g_strdup_printf ("%s cannot be loaded: %s", lib->soname, dlerror ());
    }
  if (lib->handle == NULL)
    return NULL;
  void *sym = dlsym (lib->handle, name);
  if (sym == NULL && lib->error == NULL)
    lib->error = g_strdup_printf ("%s: %s missing", lib->soname, name);
  return sym;
}

/* Resolves fn (a static pointer of the function's own type) once. */
#define LAZY(lib, fn, name) ((fn) != NULL || ((fn) = lazy_sym (&(lib), name)) != NULL)

static LazyLib tsk = { .soname = TSK_SONAME };
static __typeof__ (tsk_error_get) *tsk_error_get_p;
static __typeof__ (tsk_img_open_external) *tsk_img_open_external_p;
static __typeof__ (tsk_fs_open_img) *tsk_fs_open_img_p;
static __typeof__ (tsk_fs_dir_walk) *tsk_fs_dir_walk_p;

/* The header declares it without a prototype. */
const char *tsk_error_get (void);

const char *
tsk_error_get (void)
{
  if (LAZY (tsk, tsk_error_get_p, "tsk_error_get"))
    return tsk_error_get_p ();
  return tsk.error;
}

TSK_IMG_INFO *
tsk_img_open_external (void *ext_img_info, TSK_OFF_T size, unsigned int sector_size,
                       ssize_t (*read) (TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len),
                       void (*close) (TSK_IMG_INFO *), void (*imgstat) (TSK_IMG_INFO *, FILE *))
{
  if (!LAZY (tsk, tsk_img_open_external_p, "tsk_img_open_external"))
    return NULL;
  return tsk_img_open_external_p (ext_img_info, size, sector_size, read, close, imgstat);
}

TSK_FS_INFO *
tsk_fs_open_img (TSK_IMG_INFO *img, TSK_OFF_T offset, TSK_FS_TYPE_ENUM type)
{
  if (!LAZY (tsk, tsk_fs_open_img_p, "tsk_fs_open_img"))
    return NULL;
  return tsk_fs_open_img_p (img, offset, type);
}

uint8_t
tsk_fs_dir_walk (TSK_FS_INFO *fs, TSK_INUM_T inode, TSK_FS_DIR_WALK_FLAG_ENUM flags,
                 TSK_FS_DIR_WALK_CB action, void *ptr)
{
  if (!LAZY (tsk, tsk_fs_dir_walk_p, "tsk_fs_dir_walk"))
    return 1;
  return tsk_fs_dir_walk_p (fs, inode, flags, action, ptr);
}

void
gd_lazy_preload (void)
{
  (void) LAZY (tsk, tsk_error_get_p, "tsk_error_get");
  (void) LAZY (tsk, tsk_img_open_external_p, "tsk_img_open_external");
  (void) LAZY (tsk, tsk_fs_open_img_p, "tsk_fs_open_img");
  (void) LAZY (tsk, tsk_fs_dir_walk_p, "tsk_fs_dir_walk");
}
