/* libguestfsd: which procedures a daemon serves.
 *
 * A guest agent serves whoever reaches its channel; the policy narrows
 * what they may do.  --read-only comes from the "ro" flag of the
 * procedure description (proto/guestfsd.api), so it is never out of step
 * with the procedure table, and a procedure nobody has marked is refused.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <libguestfsd/guestfsd.h>

#include "gd-policy.h"

/* What a client needs to start and end a session, whatever it may call. */
static const char *const session_procs[] = { "ping_daemon", "internal_autosync", "internal_exit" };

struct _GdPolicy
{
  gboolean read_only;
  GHashTable *allow; /* procedure numbers (GUINT_TO_POINTER (nr + 1)), or NULL: all */
  GHashTable *block; /* procedure numbers, or NULL: none */
};

GdPolicy *
gd_policy_new (void)
{
  return g_new0 (GdPolicy, 1);
}

void
gd_policy_free (GdPolicy *policy)
{
  if (policy == NULL)
    return;
  g_clear_pointer (&policy->allow, g_hash_table_unref);
  g_clear_pointer (&policy->block, g_hash_table_unref);
  g_free (policy);
}

static int
group_by_name (const char *name)
{
  for (int g = 1; g < GD_GROUP__COUNT; g++)
    if (strcmp (gd_group_names[g], name) == 0)
      return g;
  return -1;
}

static const GdProcedure *
proc_by_name (const char *name)
{
  for (size_t i = 0;; i++)
    {
      const GdProcedure *p = gd_procedure_nth (i);
      if (p == NULL)
        return NULL;
      if (strcmp (p->name, name) == 0)
        return p;
    }
}

static gboolean
add_names (GHashTable *set, const char *option, const char *const *names, GError **error)
{
  for (const char *const *n = names; n && *n; n++)
    {
      if (**n == '\0')
        continue;
      g_autofree char *name = g_strdelimit (g_strdup (*n), "-", '_');
      gboolean group_only = name[0] == '@';
      const GdProcedure *proc = group_only ? NULL : proc_by_name (name);
      if (proc != NULL)
        {
          g_hash_table_add (set, GUINT_TO_POINTER (proc->nr + 1));
          continue;
        }
      int group = group_by_name (name + group_only);
      if (group < 0)
        {
          g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_INVALID_ARGUMENT,
                       "%s: '%s' is neither a procedure nor an optional group (see guestfsd "
                       "--list-procedures)",
                       option, *n);
          return FALSE;
        }
      for (size_t i = 0;; i++)
        {
          const GdProcedure *p = gd_procedure_nth (i);
          if (p == NULL)
            break;
          if ((int) p->group == group)
            g_hash_table_add (set, GUINT_TO_POINTER (p->nr + 1));
        }
    }
  return TRUE;
}

static gboolean
set_list (GHashTable **slot, const char *option, const char *const *names, GError **error)
{
  if (names == NULL)
    {
      g_clear_pointer (slot, g_hash_table_unref);
      return TRUE;
    }
  g_autoptr (GHashTable) set = g_hash_table_new (NULL, NULL);
  if (!add_names (set, option, names, error))
    return FALSE;
  g_clear_pointer (slot, g_hash_table_unref);
  *slot = g_steal_pointer (&set);
  return TRUE;
}

gboolean
gd_policy_set_allow (GdPolicy *policy, const char *const *names, GError **error)
{
  if (!set_list (&policy->allow, "--allow-rpcs", names, error))
    return FALSE;
  for (size_t i = 0; policy->allow && i < G_N_ELEMENTS (session_procs); i++)
    {
      const GdProcedure *p = proc_by_name (session_procs[i]);
      if (p != NULL)
        g_hash_table_add (policy->allow, GUINT_TO_POINTER (p->nr + 1));
    }
  return TRUE;
}

gboolean
gd_policy_set_block (GdPolicy *policy, const char *const *names, GError **error)
{
  return set_list (&policy->block, "--block-rpcs", names, error);
}

void
gd_policy_set_read_only (GdPolicy *policy, gboolean read_only)
{
  policy->read_only = read_only;
}

gboolean
gd_policy_get_read_only (const GdPolicy *policy)
{
  return policy->read_only;
}

gboolean
gd_policy_is_open (const GdPolicy *policy)
{
  return !policy->read_only && policy->allow == NULL && policy->block == NULL;
}

const char *
gd_policy_refuses (const GdPolicy *policy, const GdProcedure *proc)
{
  if (policy == NULL)
    return NULL;
  gpointer key = GUINT_TO_POINTER (proc->nr + 1);
  if (policy->block != NULL && g_hash_table_contains (policy->block, key))
    return "--block-rpcs";
  if (policy->allow != NULL && !g_hash_table_contains (policy->allow, key))
    return "--allow-rpcs";
  if (policy->read_only && !(proc->flags & GD_PROC_FLAG_READ_ONLY))
    return "--read-only";
  return NULL;
}
