/* libguestfsd handlers: POSIX ACLs.
 *
 * libacl works on paths and follows symlinks: it gets the /proc/self/fd
 * name of an O_PATH fd of the object the guest path resolves to.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <acl/libacl.h>
#include <sys/acl.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

static gboolean
parse_acltype (const char *acltype, acl_type_t *t, GError **error)
{
  if (strcmp (acltype, "access") == 0)
    *t = ACL_TYPE_ACCESS;
  else if (strcmp (acltype, "default") == 0)
    *t = ACL_TYPE_DEFAULT;
  else
    {
      gd_error_errno (error, EINVAL,
                      "%s: invalid acltype parameter (use \"access\" or \"default\")", acltype);
      return FALSE;
    }
  return TRUE;
}

gboolean
gd_do_acl_get_file (GdRequest *req, const char *path, const char *acltype, char **ret,
                    GError **error)
{
  acl_type_t t;
  if (!parse_acltype (acltype, &t, error))
    return FALSE;
  int fd = gd_fs_open_path (req, path, TRUE, error);
  if (fd < 0)
    return FALSE;
  g_autofree char *p = gd_fd_path (fd);
  acl_t acl = acl_get_file (p, t);
  close (fd);
  if (acl == NULL)
    {
      gd_perror (error, "%s", path);
      return FALSE;
    }
  /* Long text form, numeric ids: the daemon's user names mean nothing
   * in the guest. */
  char *text = acl_to_any_text (acl, NULL, '\n', TEXT_SOME_EFFECTIVE | TEXT_NUMERIC_IDS);
  acl_free (acl);
  if (text == NULL)
    {
      gd_perror (error, "%s: acl_to_any_text", path);
      return FALSE;
    }
  /* As the original: every entry ends with the separator, the last
   * too. */
  *ret = *text ? g_strconcat (text, "\n", NULL) : g_strdup (text);
  acl_free (text);
  return TRUE;
}

gboolean
gd_do_acl_set_file (GdRequest *req, const char *path, const char *acltype, const char *acl,
                    GError **error)
{
  acl_type_t t;
  if (!parse_acltype (acltype, &t, error))
    return FALSE;
  acl_t a = acl_from_text (acl);
  if (a == NULL)
    {
      gd_perror (error, "%s: cannot parse ACL \"%s\"", path, acl);
      return FALSE;
    }
  if (acl_valid (a) < 0)
    {
      gd_error_errno (error, EINVAL,
                      "%s: ACL \"%s\" is not valid (a mask entry is needed with named user or "
                      "group entries)",
                      path, acl);
      acl_free (a);
      return FALSE;
    }
  int fd = gd_fs_open_path (req, path, TRUE, error);
  if (fd < 0)
    {
      acl_free (a);
      return FALSE;
    }
  g_autofree char *p = gd_fd_path (fd);
  int r = acl_set_file (p, t, a);
  if (r < 0)
    gd_perror (error, "%s", path);
  acl_free (a);
  close (fd);
  return r == 0;
}

gboolean
gd_do_acl_delete_def_file (GdRequest *req, const char *dir, GError **error)
{
  int fd = gd_fs_open_path (req, dir, TRUE, error);
  if (fd < 0)
    return FALSE;
  g_autofree char *p = gd_fd_path (fd);
  int r = acl_delete_def_file (p);
  if (r < 0)
    gd_perror (error, "%s", dir);
  close (fd);
  return r == 0;
}
