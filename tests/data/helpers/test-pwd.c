/* test-pwd: writes the current working directory, with no newline.  The
   command tests run it chrooted in the guest to see which directory the
   daemon starts commands in, so it is linked statically. */

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main (void)
{
  char buf[PATH_MAX];

  if (getcwd (buf, sizeof buf) == NULL)
    {
      perror ("getcwd");
      return 1;
    }
  size_t len = strlen (buf);
  return write (STDOUT_FILENO, buf, len) == (ssize_t) len ? 0 : 1;
}
