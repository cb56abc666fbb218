/* libguestfsd handlers: internal_list_rpm_applications.
 *
 * The 1.48 library asks for this from inspect_list_applications2 when
 * the guest (mounted on the sysroot by the caller) uses RPM.  librpm
 * reads the guest's database in a child chrooted into the sysroot, so
 * every path in the database directory resolves inside the guest.  The
 * child keeps only the capability to read files (no chroot escape, no
 * new privileges): the database is the guest's and may be hostile.  Its
 * rpm configuration is the host's, read by the daemon before forking;
 * nothing from the guest is ever read as configuration.
 *
 * The child writes one status byte and then ten NUL-terminated fields
 * per package into a memfd; the daemon turns them into application2
 * structs.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmts.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "inspect.h"

enum
{
  FIELD_NAME,
  FIELD_EPOCH,
  FIELD_VERSION,
  FIELD_RELEASE,
  FIELD_ARCH,
  FIELD_URL,
  FIELD_SUMMARY,
  FIELD_DESCRIPTION,
  FIELD_VENDOR,
  FIELD_SOURCERPM,
  N_FIELDS,
};

#define STATUS_OK 'O'
#define STATUS_NO_DB 'N'
#define STATUS_ERROR 'E'

/* ------------------------------------------------------------------------
 * The child.
 */

static void
confine_child (void)
{
  prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  for (int cap = 0; cap < 64; cap++)
    if (cap != CAP_DAC_READ_SEARCH)
      prctl (PR_CAPBSET_DROP, cap, 0, 0, 0);
  cap_t caps = cap_init ();
  if (caps != NULL)
    {
      cap_value_t keep[] = { CAP_DAC_READ_SEARCH };
      cap_set_flag (caps, CAP_PERMITTED, 1, keep, CAP_SET);
      cap_set_flag (caps, CAP_EFFECTIVE, 1, keep, CAP_SET);
      cap_set_proc (caps);
      cap_free (caps);
    }
}

static void
put (GString *out, const char *s)
{
  g_string_append (out, s ? s : "");
  g_string_append_c (out, '\0');
}

static int
write_all (GString *out)
{
  const char *p = out->str;
  gsize left = out->len;
  while (left > 0)
    {
      ssize_t n = write (1, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return 1;
      p += n;
      left -= n;
    }
  return 0;
}

static int
fail (GString *out, const char *msg)
{
  g_string_truncate (out, 0);
  g_string_append_c (out, STATUS_ERROR);
  put (out, msg);
  return write_all (out);
}

static int
rpm_child (gpointer data)
{
  const char *dbpath = data;
  /* Nothing but stdin, stdout and stderr: not the client's socket. */
  close_range (3, ~0U, 0);
  confine_child ();
  alarm (300); /* a database that makes librpm loop must not hang the daemon */
  GString *out = g_string_new (NULL);
  rpmPushMacro (NULL, "_dbpath", NULL, dbpath, RMIL_CMDLINE);
  /* Without the host's macro files (the appliance has the library but
   * not rpm's configuration) the backend must be named: the one whose
   * files are there. */
  static const struct
  {
    const char *file, *backend;
  } backends[] = {
    { "rpmdb.sqlite", "sqlite" },
    { "Packages.db", "ndb" },
    { "Packages", "bdb_ro" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (backends); i++)
    {
      g_autofree char *f = g_build_filename (dbpath, backends[i].file, NULL);
      if (g_file_test (f, G_FILE_TEST_IS_REGULAR))
        {
          rpmPushMacro (NULL, "_db_backend", NULL, backends[i].backend, RMIL_CMDLINE);
          break;
        }
    }
  rpmts ts = rpmtsCreate ();
  rpmtsSetRootDir (ts, "/");
  rpmtsSetVSFlags (ts, _RPMVSF_NOSIGNATURES | _RPMVSF_NODIGESTS | RPMVSF_NOHDRCHK);
  if (rpmtsOpenDB (ts, O_RDONLY) != 0)
    return fail (out, "cannot open the guest's rpm database (its format may be one this rpm "
                      "library cannot read)");
  rpmdbMatchIterator mi = rpmtsInitIterator (ts, RPMDBI_PACKAGES, NULL, 0);
  if (mi == NULL)
    return fail (out, "cannot read the guest's rpm database");
  g_string_append_c (out, STATUS_OK);
  Header h;
  while ((h = rpmdbNextIterator (mi)) != NULL)
    {
      const char *name = headerGetString (h, RPMTAG_NAME);
      /* Imported signing keys (gpg-pubkey) are listed too, as the
       * original does. */
      if (name == NULL)
        continue;
      char epoch[24];
      g_snprintf (epoch, sizeof epoch, "%" G_GUINT64_FORMAT, headerGetNumber (h, RPMTAG_EPOCH));
      put (out, name);
      put (out, epoch);
      put (out, headerGetString (h, RPMTAG_VERSION));
      put (out, headerGetString (h, RPMTAG_RELEASE));
      put (out, headerGetString (h, RPMTAG_ARCH));
      put (out, headerGetString (h, RPMTAG_URL));
      put (out, headerGetString (h, RPMTAG_SUMMARY));
      put (out, headerGetString (h, RPMTAG_DESCRIPTION));
      put (out, headerGetString (h, RPMTAG_VENDOR));
      put (out, headerGetString (h, RPMTAG_SOURCERPM));
    }
  rpmdbFreeIterator (mi);
  rpmtsFree (ts);
  return write_all (out);
}

/* ------------------------------------------------------------------------
 * The daemon's side.
 */

/* "bash-5.2.15-2.fc38.src.rpm" was built from the source package "bash". */
static char *
source_name (const char *srpm)
{
  if (srpm == NULL || *srpm == '\0')
    return g_strdup ("");
  g_autofree char *s = g_strdup (srpm);
  if (g_str_has_suffix (s, ".src.rpm"))
    s[strlen (s) - strlen (".src.rpm")] = '\0';
  else if (g_str_has_suffix (s, ".nosrc.rpm"))
    s[strlen (s) - strlen (".nosrc.rpm")] = '\0';
  for (int i = 0; i < 2; i++)
    {
      char *dash = strrchr (s, '-');
      if (dash == NULL || dash == s)
        return g_strdup ("");
      *dash = '\0';
    }
  return g_steal_pointer (&s);
}

/* The host's rpm configuration, once.  It is not needed to read a
 * database (the child names the backend and the path itself), so a
 * failure, as in an appliance without rpm's macro files, is only logged. */
static void
read_config (GdRequest *req)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      if (rpmReadConfigFiles (NULL, NULL) != 0)
        gd_log (gd_request_connection (req),
                "inspect: the rpm library's configuration could not be read; going on");
      g_once_init_leave (&done, 1);
    }
}

static char *
read_memfd (int fd, gsize *len)
{
  GString *s = g_string_new (NULL);
  char buf[65536];
  ssize_t n;
  lseek (fd, 0, SEEK_SET);
  while ((n = read (fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      g_string_append_len (s, buf, n);
  *len = s->len;
  return g_string_free (s, FALSE);
}

/* Where the guest keeps its database, and whether it is SQLite. */
static const char *
find_dbpath (GdRequest *req, gboolean *sqlite)
{
  static const char *const dirs[] = { "/var/lib/rpm", "/usr/lib/sysimage/rpm" };
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *db = g_strconcat (dirs[i], "/rpmdb.sqlite", NULL);
      g_autofree char *bdb = g_strconcat (dirs[i], "/Packages", NULL);
      g_autofree char *ndb = g_strconcat (dirs[i], "/Packages.db", NULL);
      *sqlite = gd_inspect_is_file (req, db);
      if (*sqlite || gd_inspect_is_file (req, bdb) || gd_inspect_is_file (req, ndb))
        return dirs[i];
    }
  return NULL;
}

/* Copies the guest file path (if it exists) to name in the directory dfd. */
static gboolean
copy_in (GdRequest *req, const char *path, int dfd, const char *name, GError **error)
{
  g_autoptr (GError) local = NULL;
  int in = gd_open (req, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0, &local);
  if (in < 0)
    {
      if (g_error_matches (local, GD_ERRNO_ERROR, ENOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  struct stat st;
  if (fstat (in, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (in);
      return TRUE;
    }
  /* Real databases are a few hundred MiB at most. */
  if (st.st_size > (off_t) 4 << 30)
    {
      close (in);
      gd_error_errno (error, EFBIG, "%s: too large for an rpm database", path);
      return FALSE;
    }
  int out = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  gboolean ok = out >= 0;
  char buf[65536];
  ssize_t n = 0;
  while (ok && (n = read (in, buf, sizeof buf)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      ok = n > 0 && write (out, buf, n) == n;
    }
  if (!ok)
    gd_perror (error, "%s: copying the rpm database", path);
  close (in);
  if (out >= 0)
    close (out);
  return ok;
}

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      unlink (p);
    }
  rmdir (dir);
}

/* A child chrooted into dir (our copy of the database), like
 * gd_spawn_confined does with the sysroot. */
static pid_t
spawn_in (const char *dir, int out_fd, GError **error)
{
  int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = fork ();
  if (pid == 0)
    {
      signal (SIGPIPE, SIG_DFL);
      signal (SIGALRM, SIG_DFL);
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      if (null >= 0)
        dup2 (null, 0);
      dup2 (out_fd, 1);
      if (chroot (dir) < 0 || chdir ("/") < 0)
        _exit (126);
      _exit (rpm_child ((gpointer) "/"));
    }
  int saved = errno;
  if (null >= 0)
    close (null);
  if (pid < 0)
    {
      errno = saved;
      gd_perror (error, "fork");
    }
  return pid;
}

/* Runs the reader and returns what it wrote. */
static char *
read_database (GdRequest *req, gsize *len, GError **error)
{
  gboolean sqlite = FALSE;
  const char *dbpath = find_dbpath (req, &sqlite);
  if (dbpath == NULL)
    {
      *len = 1;
      return g_strdup ("N");
    }
  int fd = memfd_create ("rpm-applications", MFD_CLOEXEC);
  if (fd < 0)
    {
      gd_perror (error, "memfd_create");
      return NULL;
    }
  pid_t pid;
  g_autofree char *tmp = NULL;
  if (sqlite)
    {
      /* SQLite will not read a write-ahead-log database from a read-only
       * filesystem, and should not write its shared-memory file into the
       * guest: read a private copy. */
      tmp = g_dir_make_tmp ("guestfsd-rpm-XXXXXX", NULL);
      int dfd = tmp ? open (tmp, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
      g_autofree char *db = g_strconcat (dbpath, "/rpmdb.sqlite", NULL);
      g_autofree char *wal = g_strconcat (dbpath, "/rpmdb.sqlite-wal", NULL);
      gboolean ok = dfd >= 0 && copy_in (req, db, dfd, "rpmdb.sqlite", error) &&
                    copy_in (req, wal, dfd, "rpmdb.sqlite-wal", error);
      if (dfd < 0)
        gd_perror (error, "temporary directory for the rpm database");
      if (dfd >= 0)
        close (dfd);
      pid = ok ? spawn_in (tmp, fd, error) : -1;
    }
  else
    pid = gd_spawn_confined (req, rpm_child, (gpointer) dbpath, -1, fd, error);
  gboolean ok = pid > 0 && gd_wait_child (pid, "rpm database reader", error);
  if (tmp != NULL)
    remove_dir (tmp);
  char *buf = ok ? read_memfd (fd, len) : NULL;
  close (fd);
  return buf;
}

gboolean
gd_do_internal_list_rpm_applications (GdRequest *req, gd_application2_list *ret, GError **error)
{
  read_config (req);
  gsize len;
  g_autofree char *buf = read_database (req, &len, error);
  if (buf == NULL)
    return FALSE;
  if (len == 0)
    {
      gd_error (error, "the rpm database reader gave no answer");
      return FALSE;
    }
  if (buf[0] == STATUS_ERROR)
    {
      gd_error (error, "%s", len > 1 ? buf + 1 : "cannot read the guest's rpm database");
      return FALSE;
    }
  g_autoptr (GArray) apps = g_array_new (FALSE, TRUE, sizeof (gd_application2));
  if (buf[0] == STATUS_OK)
    {
      const char *fields[N_FIELDS];
      const char *p = buf + 1, *end = buf + len;
      int nf = 0;
      while (p < end)
        {
          const char *nul = memchr (p, '\0', end - p);
          if (nul == NULL)
            break;
          fields[nf++] = p;
          p = nul + 1;
          if (nf < N_FIELDS)
            continue;
          nf = 0;
          gd_application2 a = { 0 };
          a.app2_name = g_strdup (fields[FIELD_NAME]);
          a.app2_display_name = g_strdup ("");
          a.app2_epoch = (int) MIN (g_ascii_strtoull (fields[FIELD_EPOCH], NULL, 10), G_MAXINT);
          a.app2_version = g_strdup (fields[FIELD_VERSION]);
          a.app2_release = g_strdup (fields[FIELD_RELEASE]);
          a.app2_arch = g_strdup (fields[FIELD_ARCH]);
          a.app2_install_path = g_strdup ("");
          a.app2_trans_path = g_strdup ("");
          a.app2_publisher = g_strdup (fields[FIELD_VENDOR]);
          a.app2_url = g_strdup (fields[FIELD_URL]);
          a.app2_source_package = source_name (fields[FIELD_SOURCERPM]);
          a.app2_summary = g_strdup (fields[FIELD_SUMMARY]);
          a.app2_description = g_strdup (fields[FIELD_DESCRIPTION]);
          a.app2_spare1 = g_strdup ("");
          a.app2_spare2 = g_strdup ("");
          a.app2_spare3 = g_strdup ("");
          a.app2_spare4 = g_strdup ("");
          g_array_append_val (apps, a);
        }
    }
  ret->gd_application2_list_len = apps->len;
  ret->gd_application2_list_val = (gd_application2 *) g_array_free (g_steal_pointer (&apps), FALSE);
  return TRUE;
}
