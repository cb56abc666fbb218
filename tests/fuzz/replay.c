/* fuzz-replay: runs every file of the seed corpus (or of the files and
 * directories given) through the fuzz target (the request target, or the
 * files target with --files), without libFuzzer, so that 'meson test'
 * checks the corpora and any crash reproducer that is added to them.
 * Prints TAP.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-request.h"

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
collect (const char *path, GPtrArray *files)
{
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return;
    }
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;
  const char *name;
  GPtrArray *names = g_ptr_array_new ();
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    {
      char **p = (char **) &g_ptr_array_index (names, i);
      g_ptr_array_add (files, *p);
    }
  g_ptr_array_free (names, TRUE);
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s [--files] CORPUS-DIR-OR-FILE...\n", argv[0]);
      return 2;
    }
  int first = 1;
  if (strcmp (argv[1], "--files") == 0)
    {
      fuzz_set_target (FUZZ_TARGET_FILES);
      first = 2;
    }
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  for (int i = first; i < argc; i++)
    collect (argv[i], files);
  if (files->len == 0)
    {
      printf ("1..0 # SKIP no inputs in the corpus\n");
      return 0;
    }
  printf ("1..%u\n", files->len);
  int failed = 0;
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      g_autofree char *base = g_path_get_basename (path);
      gchar *data;
      gsize len;
      g_autoptr (GError) error = NULL;
      if (!g_file_get_contents (path, &data, &len, &error))
        {
          printf ("not ok %u - %s: %s\n", i + 1, base, error->message);
          failed++;
          continue;
        }
      if (!fuzz_input_is_safe ((guint8 *) data, len))
        {
          printf ("ok %u - %s # SKIP reaches a procedure not run by the fuzzer\n", i + 1, base);
          g_free (data);
          continue;
        }
      gint64 t0 = g_get_monotonic_time ();
      fuzz_serve ((guint8 *) data, len);
      printf ("ok %u - %s (%zu bytes, %.1f ms)\n", i + 1, base, (size_t) len,
              (g_get_monotonic_time () - t0) / 1000.0);
      fflush (stdout);
      g_free (data);
    }
  g_ptr_array_free (files, TRUE);
  return failed ? 1 : 0;
}
