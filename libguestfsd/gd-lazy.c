/* libguestfsd: heavy optional libraries, loaded on first use.
 *
 * Every library linked into libguestfsd is mapped and relocated at every
 * start of the daemon, whether or not the session uses it.  Some are
 * expensive and serve a few calls only (CPU to start a program linked
 * with each, perf stat: 0.5 ms for none):
 *
 *   libtsk (the Sleuth Kit, C++, ~40 more libraries): guestfsd --version
 *     took 20.1 ms of CPU with it linked, 1.9 ms without;
 *   libarchive (tar, cpio: libxml2, libicu, nettle, compressors): 4.6 ms;
 *   libaugeas (libfa, libxml2): 3.2 ms;  libyara (libcrypto): 2.0 ms;
 *   librpm (librpmio, sqlite, lua, popt): 2.1 ms;  libsystemd: 1.6 ms.
 *
 * So they are not linked: the functions the handlers call are defined
 * here, with the library header's prototypes, and each resolves its real
 * counterpart with dlopen/dlsym the first time it is called.  Handlers
 * call them as usual.  All the functions of libarchive, augeas, the
 * journal and yara are wrapped (generated from their headers by
 * gd-lazy-gen.py); for libtsk and librpm only those used so far are, and
 * a handler that starts using another one gets an undefined reference at
 * link time: add a line below (LAZY_FN, or LAZY_VOID for functions
 * returning nothing).
 *
 * Handlers that run library code in a chrooted child cannot dlopen there,
 * so the library must be loaded before the fork: the engine loads the
 * library of a procedure's group before calling its handler
 * (gd_lazy_prepare), and gd_spawn_confined() loads libarchive too.  The
 * library is then mapped in the child and dlsym needs no file.
 *
 * If a library is missing at run time, its functions fail the way the
 * library reports errors, with a message naming what is missing.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include <glib.h>

#include <archive.h>
#include <archive_entry.h>
#include <augeas.h>
#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmts.h>
#include <systemd/sd-journal.h>
#include <tsk/libtsk.h>
#include <yara.h>

#include "gd-engine.h"

typedef struct
{
  const char *soname;
  void *handle;
  gboolean tried;
  char *error;
} LazyLib;

static gboolean
lazy_open (LazyLib *lib)
{
  if (!lib->tried)
    {
      lib->tried = TRUE;
      lib->handle = dlopen (lib->soname, RTLD_NOW | RTLD_LOCAL);
      if (lib->handle == NULL)
        lib->error = g_strdup_printf ("%s cannot be loaded: %s", lib->soname, dlerror ());
    }
  return lib->handle != NULL;
}

static void *
lazy_sym (LazyLib *lib, const char *name)
{
  if (!lazy_open (lib))
    return NULL;
  void *sym = dlsym (lib->handle, name);
  if (sym == NULL && lib->error == NULL)
    lib->error = g_strdup_printf ("%s: %s missing", lib->soname, name);
  return sym;
}

/* A function whose real counterpart is resolved on first call; fail is
 * returned when the library or the symbol is missing. */
#define LAZY_FN(lib, fail, ret, name, params, args)                                                \
  static __typeof__ (name) *name##_p;                                                              \
  ret name params                                                                                  \
  {                                                                                                \
    if (name##_p == NULL && (name##_p = lazy_sym (&lib, #name)) == NULL)                           \
      return fail;                                                                                 \
    return name##_p args;                                                                          \
  }

#define LAZY_VOID(lib, name, params, args)                                                         \
  static __typeof__ (name) *name##_p;                                                              \
  void name params                                                                                 \
  {                                                                                                \
    if (name##_p != NULL || (name##_p = lazy_sym (&lib, #name)) != NULL)                           \
      name##_p args;                                                                               \
  }

/* ---- libtsk ---------------------------------------------------------- */

static LazyLib tsk = { .soname = TSK_SONAME };

/* The header declares it without a prototype. */
const char *tsk_error_get (void);

LAZY_FN (tsk, tsk.error, const char *, tsk_error_get, (void), ())
LAZY_FN (tsk, NULL, TSK_IMG_INFO *, tsk_img_open_external,
         (void *a0, TSK_OFF_T a1, unsigned int a2,
          ssize_t (*a3) (TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len),
          void (*a4) (TSK_IMG_INFO *), void (*a5) (TSK_IMG_INFO *, FILE *)),
         (a0, a1, a2, a3, a4, a5))
LAZY_FN (tsk, NULL, TSK_FS_INFO *, tsk_fs_open_img,
         (TSK_IMG_INFO * a0, TSK_OFF_T a1, TSK_FS_TYPE_ENUM a2), (a0, a1, a2))
LAZY_FN (tsk, 1, uint8_t, tsk_fs_dir_walk,
         (TSK_FS_INFO * a0, TSK_INUM_T a1, TSK_FS_DIR_WALK_FLAG_ENUM a2, TSK_FS_DIR_WALK_CB a3,
          void *a4),
         (a0, a1, a2, a3, a4))

/* ---- libarchive ------------------------------------------------------ */

static LazyLib lazy_archive = { .soname = ARCHIVE_SONAME };

/* Every function of <archive.h> and <archive_entry.h> but the variadic
 * archive_set_error, generated at build time by gd-lazy-gen.py; the same
 * for the three libraries below. */
/* Deprecated functions are wrapped too, for handlers that still call them. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include "gd-lazy-archive.inc"

/* ---- augeas (used in a worker process forked unchrooted: it loads the
 * library itself before its own workers chroot) --------------------------- */

static LazyLib lazy_augeas = { .soname = AUGEAS_SONAME };
#include "gd-lazy-augeas.inc"

/* ---- libsystemd's journal --------------------------------------------- */

static LazyLib lazy_journal = { .soname = SYSTEMD_SONAME };
#include "gd-lazy-journal.inc"

/* ---- yara -------------------------------------------------------------- */

static LazyLib lazy_yara = { .soname = YARA_SONAME };
#include "gd-lazy-yara.inc"

/* ---- librpm (and librpmio, which dlsym finds through it) -------------- */

static LazyLib rpm = { .soname = RPM_SONAME };

LAZY_FN (rpm, -1, int, rpmReadConfigFiles, (const char *a0, const char *a1), (a0, a1))
LAZY_FN (rpm, -1, int, rpmPushMacro,
         (rpmMacroContext a0, const char *a1, const char *a2, const char *a3, int a4),
         (a0, a1, a2, a3, a4))
LAZY_FN (rpm, NULL, rpmts, rpmtsCreate, (void), ())
LAZY_FN (rpm, NULL, rpmts, rpmtsFree, (rpmts a0), (a0))
LAZY_FN (rpm, -1, int, rpmtsSetRootDir, (rpmts a0, const char *a1), (a0, a1))
LAZY_FN (rpm, 0, rpmVSFlags, rpmtsSetVSFlags, (rpmts a0, rpmVSFlags a1), (a0, a1))
LAZY_FN (rpm, -1, int, rpmtsOpenDB, (rpmts a0, int a1), (a0, a1))
LAZY_FN (rpm, NULL, rpmdbMatchIterator, rpmtsInitIterator,
         (const rpmts a0, rpmDbiTagVal a1, const void *a2, size_t a3), (a0, a1, a2, a3))
LAZY_FN (rpm, NULL, Header, rpmdbNextIterator, (rpmdbMatchIterator a0), (a0))
LAZY_FN (rpm, NULL, rpmdbMatchIterator, rpmdbFreeIterator, (rpmdbMatchIterator a0), (a0))
LAZY_FN (rpm, NULL, const char *, headerGetString, (Header a0, rpmTagVal a1), (a0, a1))
LAZY_FN (rpm, 0, uint64_t, headerGetNumber, (Header a0, rpmTagVal a1), (a0, a1))

/* ---- loading ahead of use --------------------------------------------- */

/* The library the procedures of a group call, or NULL. */
static LazyLib *
group_library (GdGroup group)
{
  switch (group)
    {
    case GD_GROUP_LIBTSK:
      return &tsk;
    case GD_GROUP_JOURNAL:
      return &lazy_journal;
    case GD_GROUP_LIBYARA:
      return &lazy_yara;
    default:
      return NULL;
    }
}

void
gd_lazy_prepare (GdRequest *req)
{
  LazyLib *lib = req->proc != NULL ? group_library (req->proc->group) : NULL;
  if (lib != NULL)
    lazy_open (lib);
}

void
gd_lazy_preload (GdRequest *req)
{
  gd_lazy_prepare (req);
  lazy_open (&lazy_archive);
}

gboolean
gd_lazy_available (GdGroup group)
{
  LazyLib *lib = group_library (group);
  return lib == NULL || lazy_open (lib);
}
