/* gd-sandbox: run a daemon where it cannot write to this machine's files.
 *
 *   gd-sandbox [--live] [--bind PATH]... [--symlink TARGET:LINK]...
 *              [--tmp-size SIZE] [--stamp FILE] -- PROGRAM ARGS...
 *
 * Always: a private mount namespace (nothing propagates back to the
 * host), then exec PROGRAM.  With --stamp, "PID MONOTONIC_NS CPU_NS" is
 * written to FILE immediately before the exec (CPU_NS: the CPU time this
 * process has used so far), so start-up can be timed from the exec of the
 * daemon.
 *
 * With --live, for daemons in live mode (guestfsd -r works on "/"), the
 * program gets a new root instead of the host's: a tmpfs holding
 * read-only bind mounts of /usr and /etc (and /bin /sbin /lib /lib64 as on
 * the host: symlinks into usr, or more read-only binds), a fresh writable
 * tmpfs on /tmp, a tmpfs /dev with only null, zero, full, random, urandom
 * and tty bound in, a new /proc, and --bind PATHs read-only at the same
 * place.  The old root is detached after pivot_root, so nothing the
 * program does to "/" reaches the host's filesystems.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIST 32

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));

static void
die (const char *fmt, ...)
{
  va_list ap;
  int saved = errno;
  fputs ("gd-sandbox: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  if (saved)
    fprintf (stderr, ": %s", strerror (saved));
  fputc ('\n', stderr);
  exit (127);
}

static void
mkdir_p (const char *path, mode_t mode)
{
  char buf[PATH_MAX];
  if (snprintf (buf, sizeof buf, "%s", path) >= (int) sizeof buf)
    die ("%s: path too long", path);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir (buf, mode) < 0 && errno != EEXIST)
          die ("mkdir %s", buf);
        *p = '/';
      }
  if (mkdir (buf, mode) < 0 && errno != EEXIST)
    die ("mkdir %s", buf);
}

static char *
join (const char *root, const char *path)
{
  char *s;
  if (asprintf (&s, "%s%s", root, path) < 0)
    die ("asprintf");
  return s;
}

/* Read-only bind of host path src at root+src (file or directory). */
static void
bind_ro (const char *root, const char *src)
{
  struct stat st;
  if (stat (src, &st) < 0)
    die ("%s", src);
  char *dst = join (root, src);
  if (S_ISDIR (st.st_mode))
    mkdir_p (dst, 0755);
  else
    {
      char *parent = strdup (dst);
      *strrchr (parent, '/') = '\0';
      mkdir_p (parent, 0755);
      free (parent);
      int fd = open (dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0)
        die ("create %s", dst);
      close (fd);
    }
  /* Not MS_REC: mounts below src (which would stay writable) are not
   * carried over. */
  if (mount (src, dst, NULL, MS_BIND, NULL) < 0)
    die ("bind %s", src);
  if (mount (NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, NULL) < 0)
    die ("remount %s read-only", dst);
  free (dst);
}

/* /bin, /lib ... : a symlink on merged-/usr hosts, else a read-only bind. */
static void
top_level (const char *root, const char *name)
{
  char target[PATH_MAX];
  char *dst = join (root, name);
  ssize_t n = readlink (name, target, sizeof target - 1);
  if (n >= 0)
    {
      target[n] = '\0';
      if (symlink (target, dst) < 0)
        die ("symlink %s", dst);
    }
  else if (errno == EINVAL)
    bind_ro (root, name);
  else if (errno != ENOENT)
    die ("%s", name);
  free (dst);
}

static void
mount_fs (const char *type, const char *dst, unsigned long flags, const char *data)
{
  mkdir_p (dst, 0755);
  if (mount (type, dst, type, flags, data) < 0)
    die ("mount %s on %s", type, dst);
}

static void
build_root (const char *root, const char *tmp_size, char **binds, int nbinds, char **links,
            int nlinks)
{
  char opts[64];
  mkdir_p (root, 0755);
  mount_fs ("tmpfs", root, MS_NOSUID, "mode=0755,size=16m");
  bind_ro (root, "/usr");
  bind_ro (root, "/etc");
  top_level (root, "/bin");
  top_level (root, "/sbin");
  top_level (root, "/lib");
  top_level (root, "/lib64");
  top_level (root, "/lib32");
  top_level (root, "/libx32");

  char *tmp = join (root, "/tmp");
  snprintf (opts, sizeof opts, "mode=1777,size=%s", tmp_size);
  mount_fs ("tmpfs", tmp, MS_NOSUID | MS_NODEV, opts);
  free (tmp);
  char *run = join (root, "/run");
  mount_fs ("tmpfs", run, MS_NOSUID | MS_NODEV, "mode=0755,size=16m");
  free (run);

  char *dev = join (root, "/dev");
  mount_fs ("tmpfs", dev, MS_NOSUID, "mode=0755,size=1m");
  static const char *const nodes[] = { "/dev/null",   "/dev/zero",    "/dev/full",
                                       "/dev/random", "/dev/urandom", "/dev/tty" };
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
    {
      char *dst = join (root, nodes[i]);
      int fd = open (dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
      if (fd < 0)
        die ("create %s", dst);
      close (fd);
      if (mount (nodes[i], dst, NULL, MS_BIND, NULL) < 0)
        die ("bind %s", nodes[i]);
      free (dst);
    }
  static const char *const dev_links[][2] = {
    { "/proc/self/fd", "/dev/fd" },
    { "/proc/self/fd/0", "/dev/stdin" },
    { "/proc/self/fd/1", "/dev/stdout" },
    { "/proc/self/fd/2", "/dev/stderr" },
  };
  for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
    {
      char *dst = join (root, dev_links[i][1]);
      if (symlink (dev_links[i][0], dst) < 0)
        die ("symlink %s", dst);
      free (dst);
    }
  /* The original daemon lists it at start-up (no disks: empty). */
  char *by_path = join (dev, "/disk/by-path");
  mkdir_p (by_path, 0755);
  free (by_path);
  free (dev);

  char *proc = join (root, "/proc");
  mount_fs ("proc", proc, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  free (proc);

  for (int i = 0; i < nbinds; i++)
    bind_ro (root, binds[i]);
  for (int i = 0; i < nlinks; i++)
    {
      char *colon = strchr (links[i], ':');
      if (colon == NULL)
        die ("--symlink %s: expected TARGET:LINK", links[i]);
      *colon = '\0';
      char *dst = join (root, colon + 1);
      if (symlink (links[i], dst) < 0)
        die ("symlink %s", dst);
      free (dst);
    }

  /* The new root becomes "/" and the host's root is detached. */
  if (chdir (root) < 0)
    die ("chdir %s", root);
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    die ("pivot_root");
  if (umount2 (".", MNT_DETACH) < 0)
    die ("detach the old root");
  if (chdir ("/") < 0)
    die ("chdir /");
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = { { "live", no_argument, NULL, 'L' },
                                            { "bind", required_argument, NULL, 'b' },
                                            { "symlink", required_argument, NULL, 's' },
                                            { "tmp-size", required_argument, NULL, 't' },
                                            { "stamp", required_argument, NULL, 'S' },
                                            { "root", required_argument, NULL, 'r' },
                                            { NULL, 0, NULL, 0 } };
  int live = 0, nbinds = 0, nlinks = 0;
  char *binds[MAX_LIST], *links[MAX_LIST];
  const char *tmp_size = "4g", *stamp = NULL, *root = NULL;
  int c;
  while ((c = getopt_long (argc, argv, "+", longopts, NULL)) != -1)
    switch (c)
      {
      case 'L':
        live = 1;
        break;
      case 'b':
        if (nbinds == MAX_LIST)
          die ("too many --bind");
        binds[nbinds++] = optarg;
        break;
      case 's':
        if (nlinks == MAX_LIST)
          die ("too many --symlink");
        links[nlinks++] = optarg;
        break;
      case 't':
        tmp_size = optarg;
        break;
      case 'S':
        stamp = optarg;
        break;
      case 'r':
        root = optarg;
        break;
      default:
        exit (127);
      }
  if (optind >= argc)
    die ("no program to run");
  if (live && root == NULL)
    die ("--live needs --root DIR (an empty directory to build the new root on)");

  /* Opened now: after pivot_root the host's path is out of reach. */
  int stamp_fd = -1;
  if (stamp && (stamp_fd = open (stamp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
    die ("%s", stamp);

  if (unshare (CLONE_NEWNS) < 0)
    die ("unshare");
  /* Nothing mounted from here on may propagate to the host. */
  if (mount ("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    die ("make / private");
  if (live)
    build_root (root, tmp_size, binds, nbinds, links, nlinks);

  if (stamp_fd >= 0)
    {
      /* The CPU time this process has used so far lets the caller count
       * only the daemon's own start-up CPU. */
      long long cpu = -1;
      FILE *f = fopen ("/proc/self/schedstat", "re");
      if (f == NULL || fscanf (f, "%lld", &cpu) != 1)
        cpu = -1;
      if (f)
        fclose (f);
      struct timespec ts;
      clock_gettime (CLOCK_MONOTONIC, &ts);
      dprintf (stamp_fd, "%ld %lld %lld\n", (long) getpid (),
               (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec, cpu);
      close (stamp_fd);
    }
  execvp (argv[optind], argv + optind);
  die ("exec %s", argv[optind]);
}
