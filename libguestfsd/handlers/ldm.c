/* libguestfsd handlers: Windows dynamic disks (ldmtool).
 *
 * ldmtool prints JSON: an array of disk group GUIDs for "scan", an object
 * for "show diskgroup" and "show volume".  A small parser below reads the
 * subset it prints (objects, arrays, strings, numbers, literals).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gd-actions.h"
#include "gd-private.h"

/* ------------------------------------------------------------------------
 * JSON.
 */

typedef enum
{
  J_NULL,
  J_BOOL,
  J_NUMBER,
  J_STRING,
  J_ARRAY,
  J_OBJECT,
} JType;

typedef struct JValue JValue;
struct JValue
{
  JType type;
  char *str;        /* J_STRING, and J_NUMBER's text */
  GPtrArray *items; /* J_ARRAY: of JValue; J_OBJECT: key JValue (string), value, ... */
};

static void
jvalue_free (gpointer p)
{
  JValue *v = p;
  if (v == NULL)
    return;
  g_free (v->str);
  if (v->items)
    g_ptr_array_unref (v->items);
  g_free (v);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JValue, jvalue_free)

typedef struct
{
  const char *p;
  int depth;
} JParser;

static void
skip_ws (JParser *j)
{
  while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
    j->p++;
}

static JValue *parse_value (JParser *j);

static char *
parse_string (JParser *j)
{
  if (*j->p != '"')
    return NULL;
  j->p++;
  GString *s = g_string_new (NULL);
  while (*j->p && *j->p != '"')
    {
      if (*j->p != '\\')
        {
          g_string_append_c (s, *j->p++);
          continue;
        }
      j->p++;
      switch (*j->p)
        {
        case 'n':
          g_string_append_c (s, '\n');
          break;
        case 't':
          g_string_append_c (s, '\t');
          break;
        case 'r':
          g_string_append_c (s, '\r');
          break;
        case 'b':
          g_string_append_c (s, '\b');
          break;
        case 'f':
          g_string_append_c (s, '\f');
          break;
        case 'u':
          {
            char hex[5] = { 0 };
            for (int i = 0; i < 4; i++)
              {
                if (!g_ascii_isxdigit (j->p[1 + i]))
                  {
                    g_string_free (s, TRUE);
                    return NULL;
                  }
                hex[i] = j->p[1 + i];
              }
            g_string_append_unichar (s, (gunichar) strtoul (hex, NULL, 16));
            j->p += 4;
            break;
          }
        case '\0':
          g_string_free (s, TRUE);
          return NULL;
        default: /* \" \\ \/ */
          g_string_append_c (s, *j->p);
        }
      j->p++;
    }
  if (*j->p != '"')
    {
      g_string_free (s, TRUE);
      return NULL;
    }
  j->p++;
  return g_string_free (s, FALSE);
}

static JValue *
parse_container (JParser *j, gboolean object)
{
  char close = object ? '}' : ']';
  j->p++;
  if (++j->depth > 64)
    return NULL;
  g_autoptr (JValue) v = g_new0 (JValue, 1);
  v->type = object ? J_OBJECT : J_ARRAY;
  v->items = g_ptr_array_new_with_free_func (jvalue_free);
  skip_ws (j);
  if (*j->p == close)
    {
      j->p++;
      j->depth--;
      return g_steal_pointer (&v);
    }
  for (;;)
    {
      skip_ws (j);
      if (object)
        {
          char *key = parse_string (j);
          if (key == NULL)
            return NULL;
          JValue *k = g_new0 (JValue, 1);
          k->type = J_STRING;
          k->str = key;
          g_ptr_array_add (v->items, k);
          skip_ws (j);
          if (*j->p++ != ':')
            return NULL;
        }
      JValue *item = parse_value (j);
      if (item == NULL)
        return NULL;
      g_ptr_array_add (v->items, item);
      skip_ws (j);
      if (*j->p == ',')
        {
          j->p++;
          continue;
        }
      if (*j->p != close)
        return NULL;
      j->p++;
      j->depth--;
      return g_steal_pointer (&v);
    }
}

static JValue *
parse_value (JParser *j)
{
  skip_ws (j);
  if (*j->p == '{' || *j->p == '[')
    return parse_container (j, *j->p == '{');
  if (*j->p == '"')
    {
      char *s = parse_string (j);
      if (s == NULL)
        return NULL;
      JValue *v = g_new0 (JValue, 1);
      v->type = J_STRING;
      v->str = s;
      return v;
    }
  static const struct
  {
    const char *word;
    JType type;
  } literals[] = { { "true", J_BOOL }, { "false", J_BOOL }, { "null", J_NULL } };
  for (size_t i = 0; i < G_N_ELEMENTS (literals); i++)
    if (g_str_has_prefix (j->p, literals[i].word))
      {
        JValue *v = g_new0 (JValue, 1);
        v->type = literals[i].type;
        v->str = g_strdup (literals[i].word);
        j->p += strlen (literals[i].word);
        return v;
      }
  const char *start = j->p;
  while (*j->p && strchr ("+-0123456789.eE", *j->p))
    j->p++;
  if (j->p == start)
    return NULL;
  JValue *v = g_new0 (JValue, 1);
  v->type = J_NUMBER;
  v->str = g_strndup (start, j->p - start);
  return v;
}

static JValue *
json_parse (const char *text, GError **error)
{
  JParser j = { text, 0 };
  JValue *v = parse_value (&j);
  if (v != NULL)
    {
      skip_ws (&j);
      if (*j.p == '\0')
        return v;
      jvalue_free (v);
    }
  gd_error (error, "ldmtool: cannot parse its output: %s", text);
  return NULL;
}

static const JValue *
json_member (const JValue *obj, const char *key)
{
  if (obj == NULL || obj->type != J_OBJECT)
    return NULL;
  for (guint i = 0; i + 1 < obj->items->len; i += 2)
    {
      const JValue *k = g_ptr_array_index (obj->items, i);
      if (strcmp (k->str, key) == 0)
        return g_ptr_array_index (obj->items, i + 1);
    }
  return NULL;
}

/* The strings of an array, as a NULL-terminated vector; prefix is
 * prepended to each. */
static char **
json_string_array (const JValue *arr, const char *what, const char *prefix, GError **error)
{
  if (arr == NULL || arr->type != J_ARRAY)
    {
      gd_error (error, "ldmtool: %s: expected an array", what);
      return NULL;
    }
  GPtrArray *res = g_ptr_array_new ();
  for (guint i = 0; i < arr->items->len; i++)
    {
      const JValue *s = g_ptr_array_index (arr->items, i);
      if (s->type != J_STRING)
        {
          g_ptr_array_free (res, TRUE);
          gd_error (error, "ldmtool: %s: expected strings", what);
          return NULL;
        }
      g_ptr_array_add (res, g_strconcat (prefix, s->str, NULL));
    }
  g_ptr_array_add (res, NULL);
  return (char **) g_ptr_array_free (res, FALSE);
}

/* ------------------------------------------------------------------------
 * Running ldmtool.
 */

static gboolean
ldmtool (GdRequest *req, const char *const *argv, char **out, GError **error)
{
  GdRunOpts opts = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1 };
  return gd_run_verbatim (req, &opts, NULL, NULL, out, error);
}

static JValue *
ldmtool_json (GdRequest *req, const char *const *argv, GError **error)
{
  g_autofree char *out = NULL;
  if (!ldmtool (req, argv, &out, error))
    return NULL;
  return json_parse (out, error);
}

gboolean
gd_do_ldmtool_create_all (GdRequest *req, GError **error)
{
  const char *argv[] = { "ldmtool", "create", "all", NULL };
  if (!ldmtool (req, argv, NULL, error))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

gboolean
gd_do_ldmtool_remove_all (GdRequest *req, GError **error)
{
  const char *argv[] = { "ldmtool", "remove", "all", NULL };
  if (!ldmtool (req, argv, NULL, error))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

static gboolean
scan (GdRequest *req, GdDevice *const *devices, char ***ret, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) "ldmtool");
  g_ptr_array_add (argv, (gpointer) "scan");
  for (GdDevice *const *d = devices; d && *d; d++)
    g_ptr_array_add (argv, (*d)->node);
  g_ptr_array_add (argv, NULL);
  g_autoptr (JValue) v = ldmtool_json (req, (const char *const *) argv->pdata, error);
  if (v == NULL)
    return FALSE;
  *ret = json_string_array (v, "scan", "", error);
  return *ret != NULL;
}

gboolean
gd_do_ldmtool_scan (GdRequest *req, char ***ret, GError **error)
{
  /* Without arguments ldmtool looks at every block device of the
   * system: name ours instead. */
  g_autoptr (GPtrArray) disks = gd_list_disks (gd_request_connection (req));
  g_ptr_array_add (disks, NULL);
  return scan (req, (GdDevice *const *) disks->pdata, ret, error);
}

gboolean
gd_do_ldmtool_scan_devices (GdRequest *req, GdDevice *const *devices, char ***ret, GError **error)
{
  return scan (req, devices, ret, error);
}

static JValue *
show_diskgroup (GdRequest *req, const char *diskgroup, GError **error)
{
  const char *argv[] = { "ldmtool", "show", "diskgroup", diskgroup, NULL };
  return ldmtool_json (req, argv, error);
}

static JValue *
show_volume (GdRequest *req, const char *diskgroup, const char *volume, GError **error)
{
  const char *argv[] = { "ldmtool", "show", "volume", diskgroup, volume, NULL };
  return ldmtool_json (req, argv, error);
}

static gboolean
string_member (const JValue *obj, const char *key, gboolean optional, char **ret, GError **error)
{
  const JValue *v = json_member (obj, key);
  if (v == NULL && optional)
    {
      *ret = g_strdup ("");
      return TRUE;
    }
  if (v == NULL || v->type != J_STRING)
    {
      gd_error (error, "ldmtool: no \"%s\" in its output", key);
      return FALSE;
    }
  *ret = g_strdup (v->str);
  return TRUE;
}

gboolean
gd_do_ldmtool_diskgroup_name (GdRequest *req, const char *diskgroup, char **ret, GError **error)
{
  g_autoptr (JValue) v = show_diskgroup (req, diskgroup, error);
  return v != NULL && string_member (v, "name", FALSE, ret, error);
}

gboolean
gd_do_ldmtool_diskgroup_volumes (GdRequest *req, const char *diskgroup, char ***ret, GError **error)
{
  g_autoptr (JValue) v = show_diskgroup (req, diskgroup, error);
  if (v == NULL)
    return FALSE;
  *ret = json_string_array (json_member (v, "volumes"), "volumes", "", error);
  return *ret != NULL;
}

gboolean
gd_do_ldmtool_diskgroup_disks (GdRequest *req, const char *diskgroup, char ***ret, GError **error)
{
  g_autoptr (JValue) v = show_diskgroup (req, diskgroup, error);
  if (v == NULL)
    return FALSE;
  *ret = json_string_array (json_member (v, "disks"), "disks", "", error);
  return *ret != NULL;
}

gboolean
gd_do_ldmtool_volume_type (GdRequest *req, const char *diskgroup, const char *volume, char **ret,
                           GError **error)
{
  g_autoptr (JValue) v = show_volume (req, diskgroup, volume, error);
  return v != NULL && string_member (v, "type", FALSE, ret, error);
}

gboolean
gd_do_ldmtool_volume_hint (GdRequest *req, const char *diskgroup, const char *volume, char **ret,
                           GError **error)
{
  /* A volume without a drive letter hint has no "hint". */
  g_autoptr (JValue) v = show_volume (req, diskgroup, volume, error);
  return v != NULL && string_member (v, "hint", TRUE, ret, error);
}

gboolean
gd_do_ldmtool_volume_partitions (GdRequest *req, const char *diskgroup, const char *volume,
                                 char ***ret, GError **error)
{
  g_autoptr (JValue) v = show_volume (req, diskgroup, volume, error);
  if (v == NULL)
    return FALSE;
  *ret = json_string_array (json_member (v, "partitions"), "partitions", "", error);
  return *ret != NULL;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* /dev/mapper entries that ldmtool made for our disks. */
static char **
list_mapper (GdRequest *req, const char *prefix)
{
  GdConnection *conn = gd_request_connection (req);
  GPtrArray *res = g_ptr_array_new ();
  g_autoptr (GDir) dir = g_dir_open ("/dev/mapper", 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_has_prefix (name, prefix))
        continue;
      g_autofree char *path = g_build_filename ("/dev/mapper", name, NULL);
      if (gd_device_node_is_ours (conn, path))
        g_ptr_array_add (res, g_steal_pointer (&path));
    }
  g_ptr_array_sort (res, compare_strings);
  g_ptr_array_add (res, NULL);
  return (char **) g_ptr_array_free (res, FALSE);
}

gboolean
gd_do_list_ldm_volumes (GdRequest *req, char ***ret, GError **error)
{
  *ret = list_mapper (req, "ldm_vol_");
  return TRUE;
}

gboolean
gd_do_list_ldm_partitions (GdRequest *req, char ***ret, GError **error)
{
  *ret = list_mapper (req, "ldm_part_");
  return TRUE;
}
