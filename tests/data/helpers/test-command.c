/* test-command: prints a fixed output chosen by its first argument, for the
   command and command_lines tests.  It runs chrooted in a guest filesystem
   that has no C library, so it is linked statically.  The table of
   outputs is in tests/data/README.md. */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const outputs[] = {
  "Result1",                  /* 1 */
  "Result2\n",                /* 2 */
  "\nResult3",                /* 3 */
  "\nResult4\n",              /* 4 */
  "\nResult5\n\n",            /* 5 */
  "\n\nResult6\n\n",          /* 6 */
  "",                         /* 7 */
  "\n",                       /* 8 */
  "\n\n",                     /* 9 */
  "Result10-1\nResult10-2\n", /* 10 */
  "Result11-1\nResult11-2",   /* 11 */
};

int
main (int argc, char *argv[])
{
  const char *prog = argc > 0 ? argv[0] : "test-command";

  if (argc < 2)
    {
      fprintf (stderr, "%s: missing parameter\n", prog);
      return 1;
    }
  for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++)
    {
      char key[8];
      snprintf (key, sizeof key, "%zu", i + 1);
      if (strcmp (argv[1], key) == 0)
        {
          size_t len = strlen (outputs[i]);
          if (len > 0 && write (STDOUT_FILENO, outputs[i], len) != (ssize_t) len)
            return 1;
          return 0;
        }
    }
  fprintf (stderr, "%s: unknown parameter: %s\n", prog, argv[1]);
  return 1;
}
