/* sandbox-tool: a static program test-sandbox.py puts into a guest and
 * runs there with command, to try what a hostile guest program would try
 * against the host, and what a legitimate one needs.  Each subcommand
 * prints one line per attempt: "ok" (or a value) when it worked, the
 * errno's name when it failed.  Every attempt is harmless even when it
 * works (no write to /proc or /sys, invalid arguments where a valid call
 * would change the system), since the point is to see it refused.
 *
 *   sandbox-tool true                      nothing
 *   sandbox-tool status                    capability, no_new_privs and
 *                                          seccomp lines of /proc/self/status
 *   sandbox-tool open PATH r|w             open(2) only, never read/write
 *   sandbox-tool read PATH N               read N bytes: the count
 *   sandbox-tool cat PATH                  the file's bytes
 *   sandbox-tool write PATH TEXT           write TEXT
 *   sandbox-tool ls DIR                    the sorted names, one a line
 *   sandbox-tool readlink PATH
 *   sandbox-tool mknod PATH c|b|p MAJ MIN
 *   sandbox-tool chown PATH UID GID
 *   sandbox-tool kill PID                  signal 0 then SIGKILL
 *   sandbox-tool chroot-escape             mkdir, chroot, chdir .. x64,
 *                                          chroot .
 *   sandbox-tool syscalls                  "name: result" for calls a
 *                                          sandbox must refuse
 *   sandbox-tool syscalls32                the same through the i386 entry
 *                                          (int 0x80) on x86-64
 *   sandbox-tool pty                       open a pseudo-terminal pair and
 *                                          pass a line through it
 *   sandbox-tool loopback                  TCP over 127.0.0.1
 *   sandbox-tool abstract NAME             connect to abstract socket @NAME
 *   sandbox-tool orphan NAME               leave a process named NAME
 *                                          sleeping, and exit
 *   sandbox-tool pid                       getpid()
 *   sandbox-tool threads                   start and join a thread
 *   sandbox-tool spawn                     posix_spawn "sandbox-tool true"
 *                                          and wait for it
 *   sandbox-tool finit-module PATH         finit_module(PATH) (not a module)
 *   sandbox-tool terminal                  "name: result" for each way to
 *                                          the caller's terminal: /dev/tty,
 *                                          TIOCSTI/TIOCLINUX on fds 0-2 and
 *                                          on a pty of its own, the session
 *   sandbox-tool env                       the environment, one a line
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *
ename (int e)
{
  switch (e)
    {
#define E(x)                                                                                       \
  case x:                                                                                          \
    return #x
      E (EPERM);
      E (ENOENT);
      E (ESRCH);
      E (EINTR);
      E (EIO);
      E (ENXIO);
      E (EBADF);
      E (EACCES);
      E (EFAULT);
      E (EBUSY);
      E (EEXIST);
      E (EXDEV);
      E (ENODEV);
      E (ENOTDIR);
      E (EISDIR);
      E (EINVAL);
      E (ENOSPC);
      E (EROFS);
      E (ENOSYS);
      E (ENOEXEC);
      E (EOPNOTSUPP);
      E (ECONNREFUSED);
      E (ENOTTY);
      E (ELOOP);
#undef E
    default:
      return "E?";
    }
}

static void
result (const char *label, long r)
{
  if (label)
    printf ("%s: ", label);
  if (r < 0)
    printf ("%s\n", ename (errno));
  else
    printf ("ok\n");
}

static int
cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
do_ls (const char *dir)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    {
      printf ("%s\n", ename (errno));
      return 0;
    }
  char *names[4096];
  int n = 0;
  struct dirent *e;
  while ((e = readdir (d)) != NULL && n < 4096)
    if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
      names[n++] = strdup (e->d_name);
  closedir (d);
  qsort (names, n, sizeof names[0], cmp);
  for (int i = 0; i < n; i++)
    printf ("%s\n", names[i]);
  return 0;
}

static int
do_status (void)
{
  FILE *f = fopen ("/proc/self/status", "r");
  if (f == NULL)
    {
      printf ("%s\n", ename (errno));
      return 0;
    }
  char line[512];
  while (fgets (line, sizeof line, f))
    if (strncmp (line, "Cap", 3) == 0 || strncmp (line, "NoNewPrivs", 10) == 0 ||
        strncmp (line, "Seccomp:", 8) == 0)
      fputs (line, stdout);
  fclose (f);
  return 0;
}

static int
do_chroot_escape (void)
{
  struct stat before, after;
  stat ("/", &before);
  mkdir ("/tmp/escape", 0700);
  long r = chroot ("/tmp/escape");
  result ("chroot", r);
  if (r == 0)
    {
      for (int i = 0; i < 64; i++)
        chdir ("..");
      chroot (".");
    }
  stat ("/", &after);
  /* Where "/" is now: the guest's root still, or somewhere else. */
  int fd = open ("/bin/sandbox-tool", O_RDONLY);
  printf ("guest-root: %s\n", fd >= 0 ? "yes" : "no");
  return 0;
}

static long
raw_clone (unsigned long flags)
{
  long r = syscall (SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (r == 0)
    _exit (0);
  if (r > 0)
    waitpid (r, NULL, 0);
  return r;
}

static int
do_syscalls (void)
{
  int rootfd = open ("/", O_PATH | O_DIRECTORY);
  result ("unshare-user", unshare (CLONE_NEWUSER));
  result ("unshare-mount", unshare (CLONE_NEWNS));
  result ("clone-newuser", raw_clone (CLONE_NEWUSER));
  result ("clone-newpid", raw_clone (CLONE_NEWPID));
  result ("clone-plain", raw_clone (0));
#ifdef SYS_clone3
  {
    struct
    {
      unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    } ca = { .exit_signal = SIGCHLD };
    long r = syscall (SYS_clone3, &ca, sizeof ca);
    if (r == 0)
      _exit (0);
    if (r > 0)
      waitpid (r, NULL, 0);
    result ("clone3", r);
  }
#endif
  result ("setns", setns (rootfd, 0));
  result ("mount", mount ("none", "/nonexistent", "tmpfs", 0, NULL));
  result ("umount", umount2 ("/nonexistent", MNT_DETACH));
  result ("pivot_root", syscall (SYS_pivot_root, "/nonexistent", "/nonexistent"));
  result ("fsopen", syscall (SYS_fsopen, "tmpfs", 0));
  result ("open_tree", syscall (SYS_open_tree, AT_FDCWD, "/tmp", 1 /* OPEN_TREE_CLONE */));
  result ("swapon", syscall (SYS_swapon, "/nonexistent", 0));
  /* Wrong magic: refused before anything happens even when allowed. */
  result ("reboot", syscall (SYS_reboot, 0, 0, 0, NULL));
  result ("init_module", syscall (SYS_init_module, NULL, 0, ""));
  result ("delete_module", syscall (SYS_delete_module, "gd_no_such_module", O_NONBLOCK));
  result ("open_by_handle_at", syscall (SYS_open_by_handle_at, rootfd, NULL, O_RDONLY));
  result ("keyctl", syscall (SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0));
  result ("bpf", syscall (SYS_bpf, 5 /* PROG_LOAD */, NULL, 0));
  result ("perf_event_open", syscall (SYS_perf_event_open, NULL, 0, -1, -1, 0));
  result ("syslog", syscall (SYS_syslog, 10 /* SIZE_BUFFER */, NULL, 0));
  result ("userfaultfd", syscall (SYS_userfaultfd, 0));
#ifdef SYS_io_uring_setup
  {
    char params[120] = { 0 };
    result ("io_uring_setup", syscall (SYS_io_uring_setup, 1, params));
  }
#endif
#ifdef SYS_iopl
  result ("iopl", syscall (SYS_iopl, 0));
#endif
  /* Too long: EINVAL after the capability check. */
  static const char longname[1000] = "gdtest";
  result ("sethostname", sethostname (longname, sizeof longname));
  result ("ptrace-init", ptrace (PTRACE_ATTACH, 1, NULL, NULL));
  result ("chroot", chroot ("/tmp"));
  return 0;
}

#ifdef __x86_64__
/* A call through the i386 table, which a filter sees with another
 * architecture and other numbers.  Returns -errno like the kernel. */
static long
sys32 (long nr, long a, long b, long c)
{
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return ret;
}

static void
result32 (const char *label, long r)
{
  if (r < 0 && r > -4096)
    {
      errno = -r;
      r = -1;
    }
  result (label, r);
}

static int
do_syscalls32 (void)
{
  /* Each works for root without the filter (a user namespace, the
   * session keyring) or fails otherwise (EFAULT on the NULL pointers):
   * only the filter gives EPERM or ENOSYS. */
  result32 ("getpid", sys32 (20, 0, 0, 0));
  result32 ("unshare-user", sys32 (310, CLONE_NEWUSER, 0, 0));
  result32 ("keyctl", sys32 (288, 0, -3, 0));
  result32 ("clone3", sys32 (435, 0, 0, 0));
  result32 ("io_uring_setup", sys32 (425, 1, 0, 0));
  result32 ("mount", sys32 (21, 0, 0, 0));
  return 0;
}
#endif

static int
do_pty (void)
{
  int m = posix_openpt (O_RDWR | O_NOCTTY);
  if (m < 0 || grantpt (m) < 0 || unlockpt (m) < 0)
    {
      printf ("%s\n", ename (errno));
      return 0;
    }
  const char *name = ptsname (m);
  int s = name ? open (name, O_RDWR | O_NOCTTY) : -1;
  if (s < 0)
    {
      printf ("slave %s\n", ename (errno));
      return 0;
    }
  char buf[16] = { 0 };
  if (write (m, "hi\n", 3) != 3 || read (s, buf, sizeof buf - 1) <= 0)
    {
      printf ("io %s\n", ename (errno));
      return 0;
    }
  printf ("%s %s", strncmp (name, "/dev/pts/", 9) == 0 ? "ok" : name, buf);
  return 0;
}

/* TIOCSTI with a harmless byte: a newline a shell would ignore. */
static const char *
sti (int fd)
{
  char c = '\n';
  return ioctl (fd, TIOCSTI, &c) == 0 ? "ok" : ename (errno);
}

static int
do_terminal (void)
{
  int fd = open ("/dev/tty", O_RDWR | O_NOCTTY);
  printf ("open-dev-tty: %s\n", fd >= 0 ? "ok" : ename (errno));
  if (fd >= 0)
    printf ("tiocsti-dev-tty: %s\n", sti (fd));
  for (int i = 0; i < 3; i++)
    printf ("tiocsti-fd%d: %s\n", i, sti (i));
  /* A pseudo-terminal of its own: the kernel allows TIOCSTI there (it is
   * the caller's own terminal); only the filter refuses it. */
  int m = posix_openpt (O_RDWR | O_NOCTTY);
  if (m >= 0 && grantpt (m) == 0 && unlockpt (m) == 0)
    {
      int s = open (ptsname (m), O_RDWR | O_NOCTTY);
      printf ("tiocsti-own-pty: %s\n", s >= 0 ? sti (s) : ename (errno));
      char sel = 2; /* TIOCL_SETSEL without its arguments: fails anyway */
      printf ("tioclinux-own-pty: %s\n",
              s >= 0 ? (ioctl (s, TIOCLINUX, &sel) == 0 ? "ok" : ename (errno)) : ename (errno));
    }
  else
    printf ("tiocsti-own-pty: %s\n", ename (errno));
  /* A controlling terminal: TIOCGPGRP on /dev/tty would need one. */
  printf ("session-leader-is-init: %s\n", getsid (0) == 1 ? "yes" : "no");
  return 0;
}

static int
do_loopback (void)
{
  int l = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  if (l < 0 || bind (l, (struct sockaddr *) &a, sizeof a) < 0 || listen (l, 1) < 0 ||
      getsockname (l, (struct sockaddr *) &a, &len) < 0)
    {
      printf ("%s\n", ename (errno));
      return 0;
    }
  int c = socket (AF_INET, SOCK_STREAM, 0);
  result (NULL, connect (c, (struct sockaddr *) &a, sizeof a));
  return 0;
}

static int
do_abstract (const char *name)
{
  int s = socket (AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  size_t n = strlen (name);
  if (n > sizeof a.sun_path - 2)
    n = sizeof a.sun_path - 2;
  memcpy (a.sun_path + 1, name, n);
  result (NULL,
          connect (s, (struct sockaddr *) &a, offsetof (struct sockaddr_un, sun_path) + 1 + n));
  return 0;
}

static int
do_orphan (const char *name)
{
  pid_t p = fork ();
  if (p == 0)
    {
      setsid ();
      close (0);
      close (1);
      close (2);
      prctl (PR_SET_NAME, name, 0, 0, 0);
      if (fork () == 0)
        {
          prctl (PR_SET_NAME, name, 0, 0, 0);
          sleep (300);
        }
      _exit (0);
    }
  waitpid (p, NULL, 0);
  printf ("ok\n");
  return 0;
}

static void *
thread_main (void *arg)
{
  return arg;
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc < 2)
    {
      fprintf (stderr, "usage: sandbox-tool COMMAND ARGS...\n");
      return 2;
    }
  const char *c = argv[1];
  if (!strcmp (c, "true"))
    return 0;
  if (!strcmp (c, "status"))
    return do_status ();
  if (!strcmp (c, "open") && argc == 4)
    {
      int fd = open (argv[2], argv[3][0] == 'w' ? O_WRONLY : O_RDONLY);
      result (NULL, fd);
      return 0;
    }
  if (!strcmp (c, "read") && argc == 4)
    {
      int fd = open (argv[2], O_RDONLY);
      size_t want = strtoul (argv[3], NULL, 10);
      char buf[4096];
      if (fd < 0)
        {
          printf ("%s\n", ename (errno));
          return 0;
        }
      ssize_t n = read (fd, buf, want < sizeof buf ? want : sizeof buf);
      if (n < 0)
        printf ("%s\n", ename (errno));
      else
        printf ("%zd\n", n);
      return 0;
    }
  if (!strcmp (c, "cat") && argc == 3)
    {
      FILE *f = fopen (argv[2], "r");
      if (f == NULL)
        {
          printf ("%s\n", ename (errno));
          return 0;
        }
      char buf[4096];
      size_t n;
      while ((n = fread (buf, 1, sizeof buf, f)) > 0)
        fwrite (buf, 1, n, stdout);
      fclose (f);
      return 0;
    }
  if (!strcmp (c, "write") && argc == 4)
    {
      int fd = open (argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0)
        {
          printf ("%s\n", ename (errno));
          return 0;
        }
      result (NULL, write (fd, argv[3], strlen (argv[3])));
      return 0;
    }
  if (!strcmp (c, "ls") && argc == 3)
    return do_ls (argv[2]);
  if (!strcmp (c, "readlink") && argc == 3)
    {
      char buf[4096];
      ssize_t n = readlink (argv[2], buf, sizeof buf - 1);
      if (n < 0)
        printf ("%s\n", ename (errno));
      else
        printf ("%.*s\n", (int) n, buf);
      return 0;
    }
  if (!strcmp (c, "mknod") && argc == 6)
    {
      mode_t type = argv[3][0] == 'b' ? S_IFBLK : argv[3][0] == 'p' ? S_IFIFO : S_IFCHR;
      result (NULL, mknod (argv[2], type | 0600, makedev (atoi (argv[4]), atoi (argv[5]))));
      return 0;
    }
  if (!strcmp (c, "chown") && argc == 5)
    {
      result (NULL, chown (argv[2], atoi (argv[3]), atoi (argv[4])));
      return 0;
    }
  if (!strcmp (c, "kill") && argc == 3)
    {
      pid_t pid = atoi (argv[2]);
      result ("signal0", kill (pid, 0));
      result ("sigkill", kill (pid, SIGKILL));
      return 0;
    }
  if (!strcmp (c, "chroot-escape"))
    return do_chroot_escape ();
  if (!strcmp (c, "syscalls"))
    return do_syscalls ();
#ifdef __x86_64__
  if (!strcmp (c, "syscalls32"))
    return do_syscalls32 ();
#endif
  if (!strcmp (c, "pty"))
    return do_pty ();
  if (!strcmp (c, "loopback"))
    return do_loopback ();
  if (!strcmp (c, "terminal"))
    return do_terminal ();
  if (!strcmp (c, "env"))
    {
      for (char **e = environ; *e; e++)
        printf ("%s\n", *e);
      return 0;
    }
  if (!strcmp (c, "abstract") && argc == 3)
    return do_abstract (argv[2]);
  if (!strcmp (c, "orphan") && argc == 3)
    return do_orphan (argv[2]);
  if (!strcmp (c, "threads"))
    {
      pthread_t t;
      void *ret = NULL;
      int e = pthread_create (&t, NULL, thread_main, (void *) "ok");
      if (e == 0)
        e = pthread_join (t, &ret);
      printf ("%s\n", e ? ename (e) : (char *) ret);
      return 0;
    }
  if (!strcmp (c, "spawn"))
    {
      extern char **environ;
      pid_t pid;
      char *args[] = { "/bin/sandbox-tool", "true", NULL };
      int e = posix_spawn (&pid, args[0], NULL, NULL, args, environ);
      int st = 0;
      if (e == 0 && waitpid (pid, &st, 0) < 0)
        e = errno;
      if (e)
        printf ("%s\n", ename (e));
      else
        printf ("%s\n", WIFEXITED (st) && WEXITSTATUS (st) == 0 ? "ok" : "failed");
      return 0;
    }
  if (!strcmp (c, "pid"))
    {
      printf ("%d\n", (int) getpid ());
      return 0;
    }
  if (!strcmp (c, "finit-module") && argc == 3)
    {
      int fd = open (argv[2], O_RDONLY);
      result (NULL, syscall (SYS_finit_module, fd, "", 0));
      return 0;
    }
  fprintf (stderr, "sandbox-tool: unknown command or arguments: %s\n", c);
  return 2;
}
