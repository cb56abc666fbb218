/* gd-bench: one benchmark run through the real libguestfs library.
 *
 *   gd-bench [OPTIONS] WORKLOAD
 *
 * Launches one appliance (whatever LIBGUESTFS_HV points at: bench/run.py
 * sets up tools/guestfsd-hv for our daemon or the original one), runs one
 * workload and prints machine-readable lines:
 *
 *   RESULT <metric> <value>      (value "n/a": the daemon lacks a handler)
 *
 * Every run also reports launch_ms (guestfs_launch until the first reply),
 * startup_ms (exec of the daemon until guestfs_launch returned, from the
 * stamp gd-sandbox writes) and rss_kb (the daemon's VmHWM at the end).
 *
 * The "ceiling" workload runs no daemon: it sends the same framed byte
 * stream a FileIn/FileOut transfer uses over a socketpair between two
 * processes.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <guestfs.h>

static struct
{
  const char *drive;     /* dummy (live) or data (host) drive */
  const char *mount;     /* host mode: mount this device on / first */
  const char *prefix;    /* where the data lives in the guest */
  const char *null_path; /* guest path that is /dev/null */
  const char *zero_path; /* guest path that is /dev/zero */
  const char *src;       /* client-side file to upload */
  const char *token;     /* canary */
  int64_t size;          /* transfer size */
  long calls;            /* small-call count */
  const char *dir;       /* directory for ls/find/lstatnslist (under prefix) */
  const char *tree;      /* tree for tar_out (under prefix) */
  const char *file;      /* file for download-file (under prefix) */
  const char *upload_to; /* writable guest path for upload-file */
  const char *sparse;    /* sparse file for download-sparse (under prefix) */
  long expect;           /* entries expected in dir (0: don't check) */
} opt = {
  .prefix = "/tmp/data",
  .null_path = "/tmp/null",
  .zero_path = "/tmp/zero",
  .size = 1LL << 30,
  .calls = 10000,
  .dir = "dir",
  .tree = "tree",
  .file = "file",
  .upload_to = "/tmp/upload.bin",
  .sparse = "sparse",
};

static guestfs_h *g;
static char stamp_path[64];
/* --warm: the walk workloads run once untimed first (caches warm). */
static int warm, quiet;

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));

static void
die (const char *fmt, ...)
{
  va_list ap;
  fputs ("gd-bench: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  if (stamp_path[0])
    unlink (stamp_path);
  exit (1);
}

static void result (const char *metric, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
result (const char *metric, const char *fmt, ...)
{
  va_list ap;
  if (quiet)
    return;
  printf ("RESULT %s ", metric);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

/* After a failed call: the daemon has no handler for it (n/a), or a real
 * failure (fatal: a benchmark must not hide errors). */
static void
failed (const char *metric, const char *call)
{
  const char *msg = guestfs_last_error (g);
  /* Our daemon's answer for a procedure without a handler.  (The errno is
   * not checked: older clients do not know every errno name.) */
  if (msg && strstr (msg, "not implemented by this daemon"))
    {
      result (metric, "n/a");
      return;
    }
  /* Our upload/download handlers refuse device nodes on guest paths. */
  if (msg && strstr (msg, "not a regular file"))
    {
      result (metric, "refused");
      return;
    }
  die ("%s: %s", call, msg ? msg : "(no message)");
}

static char *
guest_path (const char *name)
{
  char *s;
  if (asprintf (&s, "%s/%s", opt.prefix, name) < 0)
    die ("asprintf");
  return s;
}

static long long cpu_ns (long pid);

static long
daemon_pid (double *exec_time, long long *exec_cpu_ns)
{
  FILE *f = fopen (stamp_path, "r");
  long pid = 0;
  long long ns = 0;
  if (f == NULL || fscanf (f, "%ld %lld %lld", &pid, &ns, exec_cpu_ns) != 3)
    die ("%s: no stamp from gd-sandbox (is GUESTFSD_HV_SANDBOX set?)", stamp_path);
  fclose (f);
  *exec_time = ns / 1e9;
  return pid;
}

static long
vm_hwm_kb (long pid)
{
  char path[64], line[256];
  snprintf (path, sizeof path, "/proc/%ld/status", pid);
  FILE *f = fopen (path, "r");
  if (f == NULL)
    return -1;
  long kb = -1;
  while (fgets (line, sizeof line, f))
    if (sscanf (line, "VmHWM: %ld", &kb) == 1)
      break;
  fclose (f);
  return kb;
}

/* CPU time the daemon has used, in ns (-1 when unknown); children such as
 * tar are not included. */
static long long
cpu_ns (long pid)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%ld/schedstat", pid);
  FILE *f = fopen (path, "r");
  long long ns = -1;
  if (f == NULL || fscanf (f, "%lld", &ns) != 1)
    ns = -1;
  if (f)
    fclose (f);
  return ns;
}

/* The process whose parent is parent and whose name is comm, or 0. */
static long
child_named (long parent, const char *comm)
{
  DIR *d = opendir ("/proc");
  long found = 0;
  struct dirent *e;
  while (d && !found && (e = readdir (d)) != NULL)
    {
      char path[300], buf[512];
      if (e->d_name[0] < '0' || e->d_name[0] > '9')
        continue;
      snprintf (path, sizeof path, "/proc/%s/stat", e->d_name);
      FILE *f = fopen (path, "r");
      if (f == NULL)
        continue;
      size_t n = fread (buf, 1, sizeof buf - 1, f);
      fclose (f);
      buf[n] = '\0';
      char *open = strchr (buf, '('), *close = strrchr (buf, ')');
      long ppid = 0;
      if (open && close && sscanf (close + 2, "%*c %ld", &ppid) == 1 && ppid == parent &&
          (size_t) (close - open - 1) == strlen (comm) &&
          strncmp (open + 1, comm, strlen (comm)) == 0)
        found = atol (e->d_name);
    }
  if (d)
    closedir (d);
  return found;
}

/* In host mode the daemon jails itself (guestfsd/jail.c): the process
 * gd-sandbox stamped stays outside ("guestfsd-jail"), its child is the
 * jail's init and the daemon is the init's child.  Returns the daemon;
 * *setup the outer and init processes (0 when there is no jail), whose
 * CPU belongs to the start-up. */
static long
follow_jail (long pid, long setup[2])
{
  setup[0] = setup[1] = 0;
  long init = child_named (pid, "guestfsd-init");
  long daemon = init ? child_named (init, "guestfsd") : 0;
  if (daemon == 0)
    return pid;
  setup[0] = pid;
  setup[1] = init;
  return daemon;
}

/* ---- workloads ------------------------------------------------------ */

static void
small_calls (const char *metric, int which)
{
  double t0 = now ();
  for (long i = 0; i < opt.calls; i++)
    {
      int ok;
      if (which == 0)
        ok = guestfs_ping_daemon (g) == 0;
      else if (which == 1)
        {
          struct guestfs_statns *st = guestfs_statns (g, "/");
          ok = st != NULL;
          guestfs_free_statns (st);
        }
      else
        ok = guestfs_exists (g, "/") == 1;
      if (!ok)
        {
          failed (metric, metric);
          return;
        }
    }
  result (metric, "%.3f", (now () - t0) / opt.calls * 1e6);
}

static void
throughput (const char *metric, double t0, int64_t bytes)
{
  result (metric, "%.1f", bytes / (now () - t0) / 1e6);
}

static void
upload (const char *metric, const char *remote)
{
  double t0 = now ();
  if (guestfs_upload (g, opt.src, remote) < 0)
    failed (metric, "upload");
  else
    throughput (metric, t0, opt.size);
}

/* upload_offset into a file whose pages already exist: the cheapest sink
 * a regular file can be (one copy into the page cache), for daemons that
 * refuse to write to a device node by path. */
static void
upload_prealloc (const char *metric)
{
  if (guestfs_fallocate64 (g, opt.upload_to, opt.size) < 0)
    {
      failed (metric, "fallocate64");
      return;
    }
  double t0 = now ();
  if (guestfs_upload_offset (g, opt.src, opt.upload_to, 0) < 0)
    failed (metric, "upload_offset");
  else
    throughput (metric, t0, opt.size);
}

static void
download_offset (const char *metric, const char *path)
{
  double t0 = now ();
  if (guestfs_download_offset (g, path, "/dev/null", 0, opt.size) < 0)
    failed (metric, "download_offset");
  else
    throughput (metric, t0, opt.size);
}

static void
download_file (const char *metric)
{
  char *path = guest_path (opt.file);
  double t0 = now ();
  if (guestfs_download (g, path, "/dev/null") < 0)
    failed (metric, "download");
  else
    throughput (metric, t0, opt.size);
  free (path);
}

static void
free_strv (char **v)
{
  for (char **p = v; p && *p; p++)
    free (*p);
  free (v);
}

static void
check_count (const char *what, char **v, long expect)
{
  long n = 0;
  for (char **p = v; *p; p++)
    n++;
  if (expect > 0 && n != expect)
    die ("%s returned %ld names, expected %ld", what, n, expect);
}

static void
listing (const char *metric, int which)
{
  char *dir = guest_path (opt.dir);
  if (which == 2)
    {
      /* lstatnslist needs the names: get them untimed. */
      char **names = guestfs_ls (g, dir);
      if (names == NULL)
        {
          failed (metric, "ls");
          free (dir);
          return;
        }
      double t0 = now ();
      struct guestfs_statns_list *l = guestfs_lstatnslist (g, dir, names);
      if (l == NULL)
        failed (metric, "lstatnslist");
      else
        {
          result (metric, "%.2f", (now () - t0) * 1e3);
          if (opt.expect > 0 && (long) l->len != opt.expect)
            die ("lstatnslist returned %u entries", l->len);
          guestfs_free_statns_list (l);
        }
      free_strv (names);
      free (dir);
      return;
    }
  double t0 = now ();
  char **v = which == 0 ? guestfs_ls (g, dir) : guestfs_find (g, dir);
  if (v == NULL)
    failed (metric, which == 0 ? "ls" : "find");
  else
    {
      result (metric, "%.2f", (now () - t0) * 1e3);
      check_count (metric, v, opt.expect);
      free_strv (v);
    }
  free (dir);
}

static void
tar_out (const char *metric)
{
  char *tree = guest_path (opt.tree);
  double t0 = now ();
  if (guestfs_tar_out (g, tree, "/dev/null") < 0)
    failed (metric, "tar_out");
  else
    result (metric, "%.2f", (now () - t0) * 1e3);
  free (tree);
}

/* Writes that must land in the sandbox, never on the host: run.py checks
 * the host afterwards. */
static void
canary (void)
{
  char a[256], b[256], c[256], d[256], e[256];
  snprintf (a, sizeof a, "/bench-canary-%s", opt.token);
  snprintf (b, sizeof b, "/bench-canary-dir-%s", opt.token);
  snprintf (c, sizeof c, "/bench-canary-up-%s", opt.token);
  snprintf (d, sizeof d, "/usr/bench-canary-%s", opt.token);
  snprintf (e, sizeof e, "/etc/bench-canary-%s", opt.token);
  if (guestfs_touch (g, a) < 0 || guestfs_mkdir (g, b) < 0 ||
      guestfs_upload (g, "/etc/hostname", c) < 0)
    die ("canary: writing to the sandbox's / failed: %s", guestfs_last_error (g));
  if (guestfs_exists (g, a) != 1 || guestfs_exists (g, c) != 1)
    die ("canary: the files written are not there");
  /* /usr and /etc are read-only binds of the host's: both must fail. */
  guestfs_push_error_handler (g, NULL, NULL);
  int usr = guestfs_touch (g, d);
  int etc = guestfs_upload (g, "/etc/hostname", e);
  guestfs_pop_error_handler (g);
  if (usr == 0 || etc == 0)
    die ("canary: a write to /usr or /etc succeeded");
  result ("canary", "ok");
}

/* ---- the ceiling: no daemon ----------------------------------------- */

#define CHUNK 8192
#define FRAME (12 + CHUNK)

static void
ceiling (const char *metric, int batched)
{
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    die ("socketpair: %m");
  int64_t nchunks = opt.size / CHUNK;
  double t0 = now ();
  pid_t pid = fork ();
  if (pid < 0)
    die ("fork: %m");
  if (pid == 0)
    {
      /* Sender: length word, cancel flag, data length, data; either one
       * write per chunk (what the library does) or 32 chunks per writev. */
      close (sv[0]);
      static unsigned char frame[FRAME];
      uint32_t hdr[3] = { htonl (8 + CHUNK), 0, htonl (CHUNK) };
      memcpy (frame, hdr, 12);
      memset (frame + 12, 'x', CHUNK);
      struct iovec iov[32];
      for (int i = 0; i < 32; i++)
        iov[i] = (struct iovec){ frame, FRAME };
      for (int64_t i = 0; i < nchunks;)
        {
          int n = batched ? (nchunks - i < 32 ? (int) (nchunks - i) : 32) : 1;
          size_t want = (size_t) n * FRAME;
          ssize_t w = writev (sv[1], iov, n);
          if (w < 0)
            _exit (1);
          if ((size_t) w < want)
            {
              /* Finish the batch byte-wise: rare with a blocking socket. */
              size_t left = want - w, off = w % FRAME;
              while (left > 0)
                {
                  size_t take = FRAME - off < left ? FRAME - off : left;
                  ssize_t r = write (sv[1], frame + off, take);
                  if (r <= 0)
                    _exit (1);
                  left -= r;
                  off = (off + r) % FRAME;
                }
            }
          i += n;
        }
      uint32_t end[3] = { htonl (8), 0, 0 };
      if (write (sv[1], end, 12) != 12)
        _exit (1);
      _exit (0);
    }
  close (sv[1]);
  /* Receiver: buffered reads, parsing each frame in place. */
  static unsigned char buf[256 * 1024];
  size_t have = 0;
  int64_t got = 0;
  for (;;)
    {
      ssize_t r = read (sv[0], buf + have, sizeof buf - have);
      if (r <= 0)
        die ("ceiling: read: %s", r < 0 ? strerror (errno) : "early end");
      have += r;
      size_t pos = 0;
      int done = 0;
      while (have - pos >= 12)
        {
          uint32_t len, dlen;
          memcpy (&len, buf + pos, 4);
          memcpy (&dlen, buf + pos + 8, 4);
          len = ntohl (len);
          dlen = ntohl (dlen);
          if (have - pos < 4 + len)
            break;
          pos += 4 + len;
          if (dlen == 0)
            {
              done = 1;
              break;
            }
          got += dlen;
        }
      memmove (buf, buf + pos, have - pos);
      have -= pos;
      if (done)
        break;
    }
  int status;
  waitpid (pid, &status, 0);
  if (got != nchunks * CHUNK || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    die ("ceiling: transfer incomplete");
  throughput (metric, t0, got);
  close (sv[0]);
}

/* ---- main ----------------------------------------------------------- */

static const char *const workloads[] = { "launch",
                                         "ping",
                                         "statns",
                                         "exists",
                                         "upload-prealloc",
                                         "download-sparse",
                                         "upload-null",
                                         "download-zero",
                                         "upload-file",
                                         "download-file",
                                         "ls",
                                         "find",
                                         "lstatnslist",
                                         "tar-out",
                                         "canary",
                                         "ceiling",
                                         "ceiling-batched",
                                         NULL };

static void
usage (void)
{
  fprintf (stderr, "usage: gd-bench [--drive IMG] [--mount DEV] [--prefix P] [--null P] "
                   "[--zero P] [--src FILE] [--size BYTES] [--calls N] [--dir D] [--tree T] "
                   "[--file F] [--upload-to P] [--sparse F] [--expect N] [--token T] [--warm] "
                   "WORKLOAD\nworkloads:");
  for (const char *const *w = workloads; *w; w++)
    fprintf (stderr, " %s", *w);
  fputc ('\n', stderr);
  exit (2);
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = { { "drive", required_argument, NULL, 'd' },
                                            { "mount", required_argument, NULL, 'm' },
                                            { "prefix", required_argument, NULL, 'p' },
                                            { "null", required_argument, NULL, 'n' },
                                            { "zero", required_argument, NULL, 'z' },
                                            { "src", required_argument, NULL, 's' },
                                            { "size", required_argument, NULL, 'S' },
                                            { "calls", required_argument, NULL, 'c' },
                                            { "dir", required_argument, NULL, 'D' },
                                            { "tree", required_argument, NULL, 'T' },
                                            { "file", required_argument, NULL, 'F' },
                                            { "expect", required_argument, NULL, 'e' },
                                            { "token", required_argument, NULL, 't' },
                                            { "upload-to", required_argument, NULL, 'u' },
                                            { "sparse", required_argument, NULL, 'P' },
                                            { "warm", no_argument, NULL, 'W' },
                                            { NULL, 0, NULL, 0 } };
  int c;
  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1)
    switch (c)
      {
      case 'd':
        opt.drive = optarg;
        break;
      case 'm':
        opt.mount = optarg;
        break;
      case 'p':
        opt.prefix = optarg;
        break;
      case 'n':
        opt.null_path = optarg;
        break;
      case 'z':
        opt.zero_path = optarg;
        break;
      case 's':
        opt.src = optarg;
        break;
      case 'S':
        opt.size = strtoll (optarg, NULL, 0);
        break;
      case 'c':
        opt.calls = strtol (optarg, NULL, 0);
        break;
      case 'D':
        opt.dir = optarg;
        break;
      case 'T':
        opt.tree = optarg;
        break;
      case 'F':
        opt.file = optarg;
        break;
      case 'e':
        opt.expect = strtol (optarg, NULL, 0);
        break;
      case 't':
        opt.token = optarg;
        break;
      case 'u':
        opt.upload_to = optarg;
        break;
      case 'P':
        opt.sparse = optarg;
        break;
      case 'W':
        warm = 1;
        break;
      default:
        usage ();
      }
  if (optind != argc - 1)
    usage ();
  const char *w = argv[optind];

  if (strcmp (w, "ceiling") == 0 || strcmp (w, "ceiling-batched") == 0)
    {
      ceiling (w, strcmp (w, "ceiling-batched") == 0);
      return 0;
    }
  if (opt.drive == NULL)
    die ("--drive is needed (the library will not launch without one)");
  if (strncmp (w, "upload-", 7) == 0 && opt.src == NULL)
    die ("%s needs --src", w);
  if (strcmp (w, "canary") == 0 && opt.token == NULL)
    die ("canary needs --token");

  snprintf (stamp_path, sizeof stamp_path, "/tmp/gd-bench-stamp.%ld", (long) getpid ());
  setenv ("GUESTFSD_HV_STAMP", stamp_path, 1);

  g = guestfs_create ();
  if (g == NULL)
    die ("guestfs_create failed");
  if (guestfs_add_drive_opts (g, opt.drive, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw", -1) < 0)
    die ("add_drive: %s", guestfs_last_error (g));

  double t0 = now ();
  if (guestfs_launch (g) < 0)
    die ("launch: %s", guestfs_last_error (g));
  double t1 = now ();
  if (guestfs_ping_daemon (g) < 0)
    die ("ping_daemon: %s", guestfs_last_error (g));
  double t2 = now ();
  double exec_time;
  long long exec_cpu;
  long setup[2];
  long pid = follow_jail (daemon_pid (&exec_time, &exec_cpu), setup);
  long long launched_cpu = cpu_ns (pid);
  for (int i = 0; i < 2 && launched_cpu >= 0; i++)
    if (setup[i])
      {
        long long jail_cpu = cpu_ns (setup[i]);
        launched_cpu += jail_cpu > 0 ? jail_cpu : 0;
      }
  result ("launch_ms", "%.2f", (t2 - t0) * 1e3);
  result ("startup_ms", "%.3f", (t1 - exec_time) * 1e3);
  /* Includes the ping's few microseconds. */
  if (exec_cpu >= 0 && launched_cpu >= 0)
    result ("startup_cpu_ms", "%.3f", (launched_cpu - exec_cpu) / 1e6);

  if (opt.mount && guestfs_mount (g, opt.mount, "/") < 0)
    die ("mount: %s", guestfs_last_error (g));

  if (warm)
    {
      /* The same walk once, untimed: the filesystem's caches (inodes,
       * dentries, the loop device's blocks in host mode) are then warm,
       * as they are in live mode over a tmpfs. */
      quiet = 1;
      if (strcmp (w, "ls") == 0 || strcmp (w, "find") == 0)
        listing ("warm", strcmp (w, "find") == 0);
      else if (strcmp (w, "lstatnslist") == 0)
        listing ("warm", 2);
      else if (strcmp (w, "tar-out") == 0)
        tar_out ("warm");
      quiet = 0;
    }

  long long cpu0 = cpu_ns (pid), self0 = cpu_ns (getpid ());
  if (strcmp (w, "launch") == 0)
    ;
  else if (strcmp (w, "ping") == 0)
    small_calls ("ping_us", 0);
  else if (strcmp (w, "statns") == 0)
    small_calls ("statns_us", 1);
  else if (strcmp (w, "exists") == 0)
    small_calls ("exists_us", 2);
  else if (strcmp (w, "upload-null") == 0)
    upload ("upload_null_MBps", opt.null_path);
  else if (strcmp (w, "download-zero") == 0)
    download_offset ("download_zero_MBps", opt.zero_path);
  else if (strcmp (w, "upload-prealloc") == 0)
    upload_prealloc ("upload_prealloc_MBps");
  else if (strcmp (w, "download-sparse") == 0)
    {
      /* Reading a hole costs what reading /dev/zero does. */
      char *path = guest_path (opt.sparse);
      download_offset ("download_sparse_MBps", path);
      free (path);
    }
  else if (strcmp (w, "upload-file") == 0)
    {
      upload ("upload_file_MBps", opt.upload_to);
    }
  else if (strcmp (w, "download-file") == 0)
    download_file ("download_file_MBps");
  else if (strcmp (w, "ls") == 0)
    listing ("ls_ms", 0);
  else if (strcmp (w, "find") == 0)
    listing ("find_ms", 1);
  else if (strcmp (w, "lstatnslist") == 0)
    listing ("lstatnslist_ms", 2);
  else if (strcmp (w, "tar-out") == 0)
    tar_out ("tar_out_ms");
  else if (strcmp (w, "canary") == 0)
    canary ();
  else
    usage ();

  long long cpu1 = cpu_ns (pid), self1 = cpu_ns (getpid ());
  if (cpu0 >= 0 && cpu1 >= 0)
    result ("work_cpu_ms", "%.3f", (cpu1 - cpu0) / 1e6);
  /* The library's side (this process). */
  if (self0 >= 0 && self1 >= 0)
    result ("client_cpu_ms", "%.3f", (self1 - self0) / 1e6);
  result ("rss_kb", "%ld", vm_hwm_kb (pid));
  unlink (stamp_path);
  if (guestfs_shutdown (g) < 0)
    die ("shutdown: %s", guestfs_last_error (g));
  guestfs_close (g);
  return 0;
}
