/* guest-tool: a static program the command tests put into a guest
 * filesystem and run there (chrooted, with no C library around it).
 *
 *   guest-tool result N      the output of libguestfs's "test-command N"
 *   guest-tool echo WORDS    the words, space-separated, and a newline
 *   guest-tool cat FILE      the file's bytes
 *   guest-tool pwd           the working directory, no newline
 *   guest-tool type PATH     dir, file, chr, blk, fifo, link, sock or missing
 *   guest-tool mounted PATH  yes or no: is PATH a mount point (mountinfo)
 *   guest-tool fail N MSG    MSG on stderr, exit status N
 *   guest-tool write FILE T  write T (and a newline) to FILE
 *
 * Installed as /bin/sh it takes "sh -c 'COMMAND WORDS'" and runs the same
 * commands, the words split on spaces (no quoting, no expansion).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
result (const char *n)
{
  static const char *const out[] = {
    NULL,
    "Result1",
    "Result2\n",
    "\nResult3",
    "\nResult4\n",
    "\nResult5\n\n",
    "\n\nResult6\n\n",
    "",
    "\n",
    "\n\n",
    "Result10-1\nResult10-2\n",
    "Result11-1\nResult11-2",
  };
  int i = atoi (n);
  if (i < 1 || i > 11)
    {
      fprintf (stderr, "unknown parameter: %s\n", n);
      return 1;
    }
  fputs (out[i], stdout);
  return 0;
}

static int
mounted (const char *path)
{
  FILE *f = fopen ("/proc/self/mountinfo", "r");
  if (f == NULL)
    {
      puts ("no");
      return 0;
    }
  char line[4096];
  int found = 0;
  while (fgets (line, sizeof line, f))
    {
      char mp[4096];
      if (sscanf (line, "%*s %*s %*s %*s %4095s", mp) == 1 && strcmp (mp, path) == 0)
        found = 1;
    }
  fclose (f);
  puts (found ? "yes" : "no");
  return 0;
}

static int
run (int argc, char **argv)
{
  if (argc < 1)
    {
      fprintf (stderr, "guest-tool: missing command\n");
      return 2;
    }
  const char *cmd = argv[0];
  if (strcmp (cmd, "result") == 0 && argc == 2)
    return result (argv[1]);
  if (strcmp (cmd, "echo") == 0)
    {
      for (int i = 1; i < argc; i++)
        printf ("%s%s", i > 1 ? " " : "", argv[i]);
      putchar ('\n');
      return 0;
    }
  if (strcmp (cmd, "cat") == 0 && argc == 2)
    {
      FILE *f = fopen (argv[1], "r");
      if (f == NULL)
        {
          perror (argv[1]);
          return 1;
        }
      int c;
      while ((c = getc (f)) != EOF)
        putchar (c);
      fclose (f);
      return 0;
    }
  if (strcmp (cmd, "pwd") == 0)
    {
      char buf[4096];
      if (getcwd (buf, sizeof buf) == NULL)
        return 1;
      fputs (buf, stdout);
      return 0;
    }
  if (strcmp (cmd, "type") == 0 && argc == 2)
    {
      struct stat st;
      if (lstat (argv[1], &st) < 0)
        puts ("missing");
      else if (S_ISDIR (st.st_mode))
        puts ("dir");
      else if (S_ISREG (st.st_mode))
        puts ("file");
      else if (S_ISCHR (st.st_mode))
        puts ("chr");
      else if (S_ISBLK (st.st_mode))
        puts ("blk");
      else if (S_ISFIFO (st.st_mode))
        puts ("fifo");
      else if (S_ISLNK (st.st_mode))
        puts ("link");
      else
        puts ("sock");
      return 0;
    }
  if (strcmp (cmd, "mounted") == 0 && argc == 2)
    return mounted (argv[1]);
  if (strcmp (cmd, "fail") == 0 && argc >= 2)
    {
      for (int i = 2; i < argc; i++)
        fprintf (stderr, "%s%s", i > 2 ? " " : "", argv[i]);
      fputc ('\n', stderr);
      return atoi (argv[1]);
    }
  if (strcmp (cmd, "write") == 0 && argc == 3)
    {
      FILE *f = fopen (argv[1], "w");
      if (f == NULL || fprintf (f, "%s\n", argv[2]) < 0 || fclose (f) != 0)
        {
          perror (argv[1]);
          return 1;
        }
      return 0;
    }
  fprintf (stderr, "guest-tool: unknown command: %s\n", cmd);
  return 2;
}

int
main (int argc, char **argv)
{
  const char *base = strrchr (argv[0], '/');
  base = base ? base + 1 : argv[0];
  if (strcmp (base, "sh") == 0)
    {
      if (argc != 3 || strcmp (argv[1], "-c") != 0)
        {
          fprintf (stderr, "sh: usage: sh -c COMMAND\n");
          return 2;
        }
      char *words[256];
      int n = 0;
      for (char *w = strtok (argv[2], " "); w && n < 255; w = strtok (NULL, " "))
        words[n++] = w;
      words[n] = NULL;
      return run (n, words);
    }
  return run (argc - 1, argv + 1);
}
