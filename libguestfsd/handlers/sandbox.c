/* libguestfsd handlers: the sandbox for the guest's own programs in host
 * mode.
 *
 * In the appliance a guest program runs as root in a virtual machine that
 * exists only for this.  On a host (gd_conn_host_mode) the same program
 * would run as root beside everything else, so there it runs:
 *
 * - in new mount, PID, IPC, UTS, cgroup and (unless the network is on)
 *   network namespaces.  The daemon's child is the new PID namespace's
 *   init: it sets the namespace up, forks the command, reaps what is
 *   reparented to it and ends when the command ends, and the kernel then
 *   kills whatever the command left running.  The mount, PID and cgroup
 *   namespaces are new for each command; the network, IPC and UTS ones
 *   are made once per connection and joined by each command (making a
 *   network namespace costs more than a millisecond, and state of those
 *   persists between commands in the appliance too).  The daemon's
 *   namespaces are never touched;
 * - with the guest's tree as its root: pivot_root, then the host's tree
 *   is detached from the namespace, so nothing of it is left to reach.
 *   Every guest mount is nodev there, so a device node stored in the
 *   guest (made by the guest, or in a hostile image) opens nothing;
 * - in a session of its own without a controlling terminal, and with
 *   /dev a small tmpfs (null, zero, full, random, urandom, ptmx and a
 *   devpts instance of its own, shm, the fd links): no /dev/tty, no block
 *   devices, nothing that reaches the caller's terminal; /proc of its own PID namespace, with the system-wide knobs
 *   read-only (/proc/sys, sysrq-trigger, irq, bus, fs) and the files that
 *   show the host's tasks or memory masked (kcore, timer_list,
 *   sched_debug ...); /sys read-only without /sys/firmware.  Each only
 *   over a real directory of the guest, as appliance mode binds them;
 * - with a bounding set that lets root manage the guest's files and
 *   nothing more (KEEP_CAPS), no ambient or inheritable capabilities,
 *   no-new-privs, a seccomp filter refusing the calls that reach past a
 *   namespace (mount, module loading, kexec, new namespaces, keyrings,
 *   bpf, perf, syslog ...) and the terminal ioctls that inject input
 *   (TIOCSTI, TIOCLINUX), and, where Landlock can (ABI 6), no way to
 *   reach abstract Unix sockets outside (they belong to the network
 *   namespace, which is the host's when the network is on);
 * - without core dumps (a host's crash handler is no business of the
 *   guest's programs).
 *
 * Between the clone and the exec the code runs in a copy of the daemon:
 * system calls only, no allocation, and every failure is reported to the
 * daemon on the report pipe, so that a sandbox that could not be built is
 * an error, never a command run without it.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <endian.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"
#include "sandbox.h"

/* clone3's argument, the first version's layout (the kernel takes any
 * known size). */
struct gd_clone_args
{
  guint64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* Landlock, ABI 6: the scopes (not in every system's headers yet). */
struct gd_landlock_ruleset_attr
{
  guint64 handled_access_fs, handled_access_net, scoped;
};
#define GD_LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#define GD_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define GD_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_restrict_self 446
#endif

#define CAP_BIT(c) (1ULL << (c))
/* What root needs to manage the guest's files (package managers, chown,
 * chmod, file capabilities, setuid to run as a user), nothing else: no
 * CAP_SYS_*, no CAP_DAC_READ_SEARCH (open_by_handle_at), no CAP_MKNOD,
 * no CAP_NET_ADMIN/NET_RAW, no CAP_AUDIT_*, CAP_MAC_*, CAP_BPF,
 * CAP_PERFMON, CAP_SYSLOG, CAP_IPC_LOCK ... */
#define KEEP_CAPS                                                                                  \
  (CAP_BIT (CAP_CHOWN) | CAP_BIT (CAP_DAC_OVERRIDE) | CAP_BIT (CAP_FOWNER) |                       \
   CAP_BIT (CAP_FSETID) | CAP_BIT (CAP_KILL) | CAP_BIT (CAP_SETGID) | CAP_BIT (CAP_SETUID) |       \
   CAP_BIT (CAP_SETPCAP) | CAP_BIT (CAP_LINUX_IMMUTABLE) | CAP_BIT (CAP_SETFCAP))

/* ---- the seccomp filter ------------------------------------------------- */

/* Refused with EPERM, as if the capability were missing. */
static const int native_refused[] = {
#ifdef __NR_mount
  __NR_mount,
#endif
#ifdef __NR_umount
  __NR_umount,
#endif
#ifdef __NR_umount2
  __NR_umount2,
#endif
#ifdef __NR_pivot_root
  __NR_pivot_root,
#endif
#ifdef __NR_chroot
  __NR_chroot,
#endif
#ifdef __NR_swapon
  __NR_swapon,
#endif
#ifdef __NR_swapoff
  __NR_swapoff,
#endif
#ifdef __NR_reboot
  __NR_reboot,
#endif
#ifdef __NR_kexec_load
  __NR_kexec_load,
#endif
#ifdef __NR_kexec_file_load
  __NR_kexec_file_load,
#endif
#ifdef __NR_init_module
  __NR_init_module,
#endif
#ifdef __NR_finit_module
  __NR_finit_module,
#endif
#ifdef __NR_delete_module
  __NR_delete_module,
#endif
#ifdef __NR_open_by_handle_at
  __NR_open_by_handle_at,
#endif
#ifdef __NR_keyctl
  __NR_keyctl,
#endif
#ifdef __NR_add_key
  __NR_add_key,
#endif
#ifdef __NR_request_key
  __NR_request_key,
#endif
#ifdef __NR_bpf
  __NR_bpf,
#endif
#ifdef __NR_perf_event_open
  __NR_perf_event_open,
#endif
#ifdef __NR_userfaultfd
  __NR_userfaultfd,
#endif
#ifdef __NR_unshare
  __NR_unshare,
#endif
#ifdef __NR_setns
  __NR_setns,
#endif
#ifdef __NR_fsopen
  __NR_fsopen,
#endif
#ifdef __NR_fsconfig
  __NR_fsconfig,
#endif
#ifdef __NR_fsmount
  __NR_fsmount,
#endif
#ifdef __NR_fspick
  __NR_fspick,
#endif
#ifdef __NR_move_mount
  __NR_move_mount,
#endif
#ifdef __NR_open_tree
  __NR_open_tree,
#endif
#ifdef __NR_mount_setattr
  __NR_mount_setattr,
#endif
#ifdef __NR_acct
  __NR_acct,
#endif
#ifdef __NR_quotactl
  __NR_quotactl,
#endif
#ifdef __NR_quotactl_fd
  __NR_quotactl_fd,
#endif
#ifdef __NR_iopl
  __NR_iopl,
#endif
#ifdef __NR_ioperm
  __NR_ioperm,
#endif
#ifdef __NR_vhangup
  __NR_vhangup,
#endif
#ifdef __NR_lookup_dcookie
  __NR_lookup_dcookie,
#endif
#ifdef __NR_nfsservctl
  __NR_nfsservctl,
#endif
#ifdef __NR_uselib
  __NR_uselib,
#endif
#ifdef __NR_syslog
  __NR_syslog,
#endif
};

/* Refused with ENOSYS, so that callers use their fallback: clone3 (the C
 * library then uses clone, whose flags the filter can see) and io_uring. */
static const int native_missing[] = {
#ifdef __NR_clone3
  __NR_clone3,
#endif
#ifdef __NR_io_uring_setup
  __NR_io_uring_setup,
#endif
#ifdef __NR_io_uring_enter
  __NR_io_uring_enter,
#endif
#ifdef __NR_io_uring_register
  __NR_io_uring_register,
#endif
};

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
/* 32-bit programs (a 32-bit guest's) call the i386 table: its numbers,
 * from the kernel's syscall_32.tbl, a stable ABI. */
#define COMPAT_ARCH AUDIT_ARCH_I386
static const int compat_refused[] = {
  21 /* mount */,
  22 /* umount */,
  52 /* umount2 */,
  217 /* pivot_root */,
  61 /* chroot */,
  87 /* swapon */,
  115 /* swapoff */,
  88 /* reboot */,
  283 /* kexec_load */,
  128 /* init_module */,
  350 /* finit_module */,
  129 /* delete_module */,
  342 /* open_by_handle_at */,
  288 /* keyctl */,
  286 /* add_key */,
  287 /* request_key */,
  357 /* bpf */,
  336 /* perf_event_open */,
  374 /* userfaultfd */,
  310 /* unshare */,
  346 /* setns */,
  430 /* fsopen */,
  431 /* fsconfig */,
  432 /* fsmount */,
  433 /* fspick */,
  429 /* move_mount */,
  428 /* open_tree */,
  442 /* mount_setattr */,
  51 /* acct */,
  131 /* quotactl */,
  443 /* quotactl_fd */,
  110 /* iopl */,
  101 /* ioperm */,
  111 /* vhangup */,
  253 /* lookup_dcookie */,
  169 /* nfsservctl */,
  86 /* uselib */,
  103 /* syslog */,
  166 /* vm86 */,
  113 /* vm86old */,
};
static const int compat_missing[] = {
  435 /* clone3 */,
  425 /* io_uring_setup */,
  426 /* io_uring_enter */,
  427 /* io_uring_register */,
};
#define COMPAT_CLONE 120
#define COMPAT_IOCTL 54
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define NATIVE_ARCH AUDIT_ARCH_I386
#endif

#define NS_CLONE_FLAGS                                                                             \
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |    \
   CLONE_NEWNET)

#define ARG0_LOW                                                                                   \
  (offsetof (struct seccomp_data, args[0]) + (__BYTE_ORDER == __LITTLE_ENDIAN ? 0 : 4))
/* ioctl's request is an unsigned int: the low word is all of it. */
#define ARG1_LOW                                                                                   \
  (offsetof (struct seccomp_data, args[1]) + (__BYTE_ORDER == __LITTLE_ENDIAN ? 0 : 4))

/* The ioctls that act on a terminal beyond the program's own output:
 * TIOCSTI pushes bytes into the terminal's input, as if typed by its
 * user (a program from the guest would have the caller's shell run
 * them); TIOCLINUX reads and pastes the virtual console's selection.
 * Refused even where the kernel still allows them (dev.tty.legacy_tiocsti). */
#ifndef TIOCSTI
#define TIOCSTI 0x5412
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

/* The filter is built once, as a decision tree on the call's number per
 * architecture: about ten instructions for any call, and a short program,
 * which matters because the kernel runs it for every call number when it
 * is installed (to cache the calls that are always allowed). */

enum
{
  ACT_ALLOW,
  ACT_EPERM,
  ACT_ENOSYS,
  ACT_CLONE, /* allowed unless it makes a namespace */
  ACT_IOCTL, /* allowed unless it reaches a terminal's input or console */
  N_ACTS,
};

typedef struct
{
  int nr;
  int act;
} Rule;

#define MAX_INSNS 512
static struct sock_filter filter_insns[MAX_INSNS];
static struct sock_fprog filter_prog;

typedef struct
{
  guint n;
  /* Jumps to resolve: the instruction, which field ('t' or 'f') and the
   * target, an index into labels. */
  struct
  {
    guint insn;
    char field;
    guint label;
  } fixups[MAX_INSNS];
  guint n_fixups;
  guint labels[MAX_INSNS];
  guint n_labels;
} Asm;

static guint
new_label (Asm *a)
{
  g_assert (a->n_labels < MAX_INSNS);
  return a->n_labels++;
}

static void
place (Asm *a, guint label)
{
  a->labels[label] = a->n;
}

static void
fixup (Asm *a, char field, guint label)
{
  g_assert (a->n_fixups < MAX_INSNS);
  a->fixups[a->n_fixups].insn = a->n;
  a->fixups[a->n_fixups].field = field;
  a->fixups[a->n_fixups].label = label;
  a->n_fixups++;
}

static void
emit (Asm *a, guint16 code, guint32 k)
{
  g_assert (a->n < MAX_INSNS);
  filter_insns[a->n++] = (struct sock_filter) BPF_STMT (code, k);
}

/* Conditional jump to label when true, on to the next instruction when
 * false. */
static void
emit_jump_if (Asm *a, guint16 op, guint32 k, guint label)
{
  fixup (a, 't', label);
  emit (a, BPF_JMP | op | BPF_K, k);
}

static void
emit_tree (Asm *a, const Rule *rules, gsize n, const guint *act_labels)
{
  if (n <= 3)
    {
      for (gsize i = 0; i + 1 < n; i++)
        emit_jump_if (a, BPF_JEQ, rules[i].nr, act_labels[rules[i].act]);
      /* The last: allowed when not equal. */
      fixup (a, 'f', act_labels[ACT_ALLOW]);
      emit_jump_if (a, BPF_JEQ, rules[n - 1].nr, act_labels[rules[n - 1].act]);
      return;
    }
  gsize mid = n / 2;
  guint right = new_label (a);
  emit_jump_if (a, BPF_JGE, rules[mid].nr, right);
  emit_tree (a, rules, mid, act_labels);
  place (a, right);
  emit_tree (a, rules + mid, n - mid, act_labels);
}

static int
compare_rules (gconstpointer x, gconstpointer y)
{
  const Rule *a = x, *b = y;
  return (a->nr > b->nr) - (a->nr < b->nr);
}

/* One architecture's table: refused (EPERM), missing (ENOSYS), clone. */
static void
emit_table (Asm *a, const int *refused, gsize n_refused, const int *missing, gsize n_missing,
            int clone_nr, int ioctl_nr, gboolean x32_bit)
{
  Rule rules[128];
  gsize n = 0;
  for (gsize i = 0; i < n_refused; i++)
    rules[n++] = (Rule){ refused[i], ACT_EPERM };
  for (gsize i = 0; i < n_missing; i++)
    rules[n++] = (Rule){ missing[i], ACT_ENOSYS };
  rules[n++] = (Rule){ clone_nr, ACT_CLONE };
  rules[n++] = (Rule){ ioctl_nr, ACT_IOCTL };
  g_assert (n <= G_N_ELEMENTS (rules));
  qsort (rules, n, sizeof rules[0], compare_rules);

  guint act[N_ACTS];
  for (int i = 0; i < N_ACTS; i++)
    act[i] = new_label (a);
  emit (a, BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr));
  /* x32 calls (that bit, on x86-64): none. */
  if (x32_bit)
    emit_jump_if (a, BPF_JGE, 0x40000000, act[ACT_ENOSYS]);
  emit_tree (a, rules, n, act);
  /* ioctl TIOCSTI or TIOCLINUX: refused, whatever the fd. */
  place (a, act[ACT_IOCTL]);
  emit (a, BPF_LD | BPF_W | BPF_ABS, ARG1_LOW);
  emit_jump_if (a, BPF_JEQ, TIOCSTI, act[ACT_EPERM]);
  fixup (a, 'f', act[ACT_ALLOW]);
  emit_jump_if (a, BPF_JEQ, TIOCLINUX, act[ACT_EPERM]);
  /* clone with a namespace flag: no new namespaces (a user namespace
   * would give the capabilities back inside it).  BPF jumps only
   * forward: this comes before the returns. */
  place (a, act[ACT_CLONE]);
  emit (a, BPF_LD | BPF_W | BPF_ABS, ARG0_LOW);
  emit_jump_if (a, BPF_JSET, NS_CLONE_FLAGS, act[ACT_EPERM]);
  place (a, act[ACT_ALLOW]);
  emit (a, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  place (a, act[ACT_EPERM]);
  emit (a, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
  place (a, act[ACT_ENOSYS]);
  emit (a, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
}

static gpointer
build_filter (gpointer unused)
{
  (void) unused;
#ifdef NATIVE_ARCH
  static Asm a;
  guint native = new_label (&a), compat = new_label (&a);
  emit (&a, BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch));
  emit_jump_if (&a, BPF_JEQ, NATIVE_ARCH, native);
#ifdef COMPAT_ARCH
  emit_jump_if (&a, BPF_JEQ, COMPAT_ARCH, compat);
#endif
  /* Any other architecture is killed. */
  emit (&a, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  place (&a, native);
  emit_table (&a, native_refused, G_N_ELEMENTS (native_refused), native_missing,
              G_N_ELEMENTS (native_missing), __NR_clone, __NR_ioctl,
              NATIVE_ARCH == AUDIT_ARCH_X86_64);
  place (&a, compat);
#ifdef COMPAT_ARCH
  emit_table (&a, compat_refused, G_N_ELEMENTS (compat_refused), compat_missing,
              G_N_ELEMENTS (compat_missing), COMPAT_CLONE, COMPAT_IOCTL, FALSE);
#endif
  for (guint i = 0; i < a.n_fixups; i++)
    {
      struct sock_filter *insn = &filter_insns[a.fixups[i].insn];
      guint target = a.labels[a.fixups[i].label];
      g_assert (target > a.fixups[i].insn);
      guint offset = target - a.fixups[i].insn - 1;
      g_assert (offset <= 255);
      if (a.fixups[i].field == 't')
        insn->jt = offset;
      else
        insn->jf = offset;
    }
  filter_prog.len = a.n;
  filter_prog.filter = filter_insns;
#endif
  return NULL;
}

/* ---- in the sandbox ----------------------------------------------------- */

typedef struct
{
  char kind; /* 'E': setup failed; 'S': the command's wait status */
  int err;
  int status;
  char what[100];
} Report;

typedef struct
{
  const char *sysroot;
  const char *const *argv;
  size_t argc;
  int in, out, err, report;
  int net, ipc, uts; /* the connection's namespaces to join; net -1: the host's */
  mode_t umask;
  gboolean network;
  guint64 keep;
  guint64 ignored;                 /* signals the daemon ignores: bit N-1 for signal N */
  const struct sock_fprog *filter; /* len 0: none for this architecture */
  /* The daemon's argument and environment areas (its /proc/PID/cmdline
   * and environ): host paths, which the init, PID 1 of the command's
   * namespace, must not show. */
  char *arg_start, *arg_end, *env_start, *env_end;
} Plan;

#define REPORT_FD 3

extern char **environ;
static const char *const guest_environment[] = {
  "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SHELL=/bin/sh", "LC_ALL=C", "TERM=dumb", "HOME=/", NULL,
};

static void
report (char kind, int err, int status, const char *what)
{
  Report r;
  memset (&r, 0, sizeof r);
  r.kind = kind;
  r.err = err;
  r.status = status;
  for (size_t i = 0; what && what[i] && i < sizeof r.what - 1; i++)
    r.what[i] = what[i];
  /* Smaller than PIPE_BUF: written whole, never blocks. */
  ssize_t n G_GNUC_UNUSED = write (REPORT_FD, &r, sizeof r);
}

static void G_GNUC_NORETURN
fail (const char *what)
{
  report ('E', errno, 0, what);
  _exit (126);
}

/* A detached new mount of type with options (key, value pairs; a NULL
 * value is a flag), with the mount attributes attrs. */
static int
new_mount (const char *type, const char *const *opts, unsigned int attrs)
{
  int fs = fsopen (type, FSOPEN_CLOEXEC);
  if (fs < 0)
    return -1;
  for (; opts && opts[0]; opts += 2)
    if ((opts[1] ? fsconfig (fs, FSCONFIG_SET_STRING, opts[0], opts[1], 0)
                 : fsconfig (fs, FSCONFIG_SET_FLAG, opts[0], NULL, 0)) < 0)
      goto out;
  if (fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    goto out;
  int m = fsmount (fs, FSMOUNT_CLOEXEC, attrs);
  int saved = errno;
  close (fs);
  errno = saved;
  return m;
out:
  saved = errno;
  close (fs);
  errno = saved;
  return -1;
}

static void
attach (int m, int dirfd, const char *name, const char *what)
{
  if (move_mount (m, "", dirfd, name ? name : "",
                  MOVE_MOUNT_F_EMPTY_PATH | (name ? 0 : MOVE_MOUNT_T_EMPTY_PATH)) < 0)
    fail (what);
  close (m);
}

/* The guest's directory name (one component) if it is a real directory,
 * not a symlink and not the guest's root; else -1. */
static int
guest_dir (int root, const struct stat *rst, const char *name)
{
  struct open_how how = {
    .flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd = syscall (SYS_openat2, root, name, &how, sizeof how);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat (fd, &st) < 0 || (st.st_dev == rst->st_dev && st.st_ino == rst->st_ino))
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* An empty read-only tmpfs over dirfd/name, if name is there. */
static void
mask_dir (int dirfd, const char *name)
{
  static const char *const opts[] = { "size", "4k", "nr_inodes", "1", "mode", "0555", NULL };
  struct stat st;
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
    return;
  int m = new_mount ("tmpfs", opts,
                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (m < 0)
    fail ("mounting a tmpfs to mask a directory");
  attach (m, dirfd, name, "masking a directory");
}

/* The host's /dev/null over dirfd/name, if name is a file there. */
static void
mask_file (int dirfd, const char *name)
{
  struct stat st;
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR (st.st_mode) ||
      S_ISLNK (st.st_mode))
    return;
  int m = open_tree (AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (m < 0 || fstat (m, &st) < 0)
    fail ("/dev/null");
  if (!S_ISCHR (st.st_mode) || st.st_rdev != makedev (1, 3))
    {
      errno = ENODEV;
      fail ("/dev/null is not the null device");
    }
  attach (m, dirfd, name, "masking a file");
}

/* dirfd/name bound read-only over itself, if it is there. */
static void
read_only (int dirfd, const char *name)
{
  int m = open_tree (dirfd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
  if (m < 0)
    {
      if (errno == ENOENT)
        return;
      fail ("cloning a /proc entry");
    }
  struct mount_attr ro = {
    .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
  };
  if (mount_setattr (m, "", AT_EMPTY_PATH, &ro, sizeof ro) < 0)
    fail ("making a /proc entry read-only");
  attach (m, dirfd, name, "binding a /proc entry read-only");
}

static void
setup_proc (int dir)
{
  static const char *const ro[] = { "sys", "sysrq-trigger", "irq", "bus", "fs" };
  /* The host kernel's memory, symbols, modules, log and command line
   * (in the appliance these are the appliance's own). */
  static const char *const files[] = {
    "kcore",       "keys",       "timer_list", "sched_debug", "latency_stats",
    "timer_stats", "kpagecount", "kpageflags", "kpagecgroup", "kallsyms",
    "modules",     "kmsg",       "cmdline",    "vmallocinfo", "slabinfo",
  };
  static const char *const dirs[] = { "acpi", "scsi" };
  int m = new_mount ("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (m < 0)
    fail ("mounting /proc");
  if (move_mount (m, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    fail ("attaching /proc");
  /* m now names the attached proc. */
  for (size_t i = 0; i < G_N_ELEMENTS (ro); i++)
    read_only (m, ro[i]);
  for (size_t i = 0; i < G_N_ELEMENTS (files); i++)
    mask_file (m, files[i]);
  for (size_t i = 0; i < G_N_ELEMENTS (dirs); i++)
    mask_dir (m, dirs[i]);
  close (m);
}

static void
setup_sys (int dir)
{
  int m = new_mount ("sysfs", NULL,
                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (m < 0)
    fail ("mounting /sys");
  if (move_mount (m, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    fail ("attaching /sys");
  /* ACPI tables, EFI variables, DMI: the host's firmware, not the guest's. */
  mask_dir (m, "firmware");
  close (m);
}

static void
setup_dev (int dir)
{
  /* The size bounds /dev/shm, as a container's default does. */
  static const char *const opts[] = {
    "mode", "0755", "size", "65536k", "nr_inodes", "4096", NULL,
  };
  static const struct
  {
    const char *name;
    unsigned int major, minor;
  } nodes[] = {
    { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 },
  };
  static const char *const links[][2] = {
    { "pts/ptmx", "ptmx" },          { "/proc/self/fd", "fd" },
    { "/proc/self/fd/0", "stdin" },  { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" },
  };
  static const char *const pts_opts[] = {
    "newinstance", NULL, "ptmxmode", "0666", "mode", "0620", "gid", "5", NULL,
  };
  int m = new_mount ("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
  if (m < 0)
    fail ("mounting /dev");
  for (size_t i = 0; i < G_N_ELEMENTS (nodes); i++)
    if (mknodat (m, nodes[i].name, S_IFCHR | 0666, makedev (nodes[i].major, nodes[i].minor)) < 0)
      fail ("making the nodes of /dev");
  for (size_t i = 0; i < G_N_ELEMENTS (links); i++)
    if (symlinkat (links[i][0], m, links[i][1]) < 0)
      fail ("making the links of /dev");
  if (mkdirat (m, "pts", 0755) < 0 || mkdirat (m, "shm", 01777) < 0)
    fail ("making the directories of /dev");
  if (move_mount (m, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    fail ("attaching /dev");
  int pts = new_mount ("devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
  if (pts < 0)
    fail ("mounting /dev/pts");
  attach (pts, m, "pts", "attaching /dev/pts");
  close (m);
}

/* A new network namespace starts with lo down.  Returns an errno, or 0. */
static int
loopback_up (void)
{
  int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return errno;
  struct ifreq ifr;
  memset (&ifr, 0, sizeof ifr);
  memcpy (ifr.ifr_name, "lo", 3);
  int err = 0;
  if (ioctl (s, SIOCGIFFLAGS, &ifr) < 0)
    err = errno;
  ifr.ifr_flags |= IFF_UP;
  if (err == 0 && ioctl (s, SIOCSIFFLAGS, &ifr) < 0)
    err = errno;
  close (s);
  return err;
}

/* The command, forked by the init: drops what it must not have, execs. */
static void G_GNUC_NORETURN
sandbox_exec (const Plan *p)
{
  /* What the daemon ignores stays ignored across exec: not for the
   * command.  Handlers are reset by exec. */
  for (int sig = 1; sig <= 64; sig++)
    if (p->ignored & (1ULL << (sig - 1)))
      signal (sig, SIG_DFL);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    fail ("PR_SET_NO_NEW_PRIVS");
  for (int cap = 0; cap < 64; cap++)
    {
      if (prctl (PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
        break; /* past the kernel's last capability */
      if (!(p->keep & CAP_BIT (cap)) && prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
        fail ("dropping a capability from the bounding set");
    }
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    fail ("clearing the ambient capabilities");
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  if (syscall (SYS_capget, &hdr, data) < 0)
    fail ("capget");
  for (int i = 0; i < 2; i++)
    {
      guint32 keep = (guint32) (p->keep >> (32 * i));
      data[i].permitted &= keep;
      data[i].effective = data[i].permitted;
      /* An inheritable capability would come back at exec for root. */
      data[i].inheritable = 0;
    }
  if (syscall (SYS_capset, &hdr, data) < 0)
    fail ("capset");
  struct rlimit no_core = { 0, 0 };
  if (setrlimit (RLIMIT_CORE, &no_core) < 0)
    fail ("RLIMIT_CORE");
  /* Abstract Unix sockets belong to the network namespace: with the host's
   * (network on), the host's daemons listening on them would be reachable.
   * Landlock's scopes (ABI 6) stop that; older kernels lack them. */
  int abi = syscall (SYS_landlock_create_ruleset, NULL, 0, GD_LANDLOCK_CREATE_RULESET_VERSION);
  if (abi >= 6)
    {
      struct gd_landlock_ruleset_attr attr = {
        .scoped = GD_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | GD_LANDLOCK_SCOPE_SIGNAL,
      };
      int rs = syscall (SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
      if (rs < 0 || syscall (SYS_landlock_restrict_self, rs, 0) < 0)
        fail ("landlock");
      close (rs);
    }
  if (p->filter->len > 0 && prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p->filter, 0, 0) < 0)
    fail ("installing the seccomp filter");
  execvp (p->argv[0], (char *const *) p->argv);
  _exit (errno == ENOENT ? 127 : 126);
}

static int
exec_child (void *p)
{
  sandbox_exec (p);
}

/* PID 1 of the new namespaces, a copy of the daemon holding all of its
 * capabilities: it closes every fd of the daemon before anything else,
 * and is not dumpable, so the command can neither ptrace it nor open
 * /proc/1/{fd,root,mem}. */
static void G_GNUC_NORETURN
sandbox_init (const Plan *p)
{
  /* The daemon's signal handlers must never run here: all signals stay
   * blocked (SIGKILL, from the daemon, still works). */
  sigset_t all;
  sigfillset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* Before sysfs is mounted: it shows the network namespace of its
   * mounter. */
  int ns_err = 0;
  if ((p->net >= 0 && setns (p->net, CLONE_NEWNET) < 0) || setns (p->ipc, CLONE_NEWIPC) < 0 ||
      setns (p->uts, CLONE_NEWUTS) < 0)
    ns_err = errno;
  /* Out of the way first, whichever numbers they have. */
  int fds[4] = { p->in, p->out, p->err, p->report };
  for (int i = 0; i < 4; i++)
    fds[i] = fcntl (fds[i], F_DUPFD_CLOEXEC, 16);
  for (int i = 0; i < 4; i++)
    dup2 (fds[i], i < 3 ? i : REPORT_FD);
  fcntl (REPORT_FD, F_SETFD, FD_CLOEXEC);
  close_range (REPORT_FD + 1, ~0U, 0);
  /* A new session without a controlling terminal: the caller's terminal
   * (guestfish's) cannot be reached through /dev/tty, nor signalled. */
  if (setsid () < 0)
    fail ("setsid");
  /* This process's copy of the daemon's command line and environment:
   * /proc/1/cmdline in the namespace reads it. */
  static const char init_name[] = "guestfsd-sandbox";
  if (p->arg_start && p->arg_end > p->arg_start + sizeof init_name)
    {
      memset (p->arg_start, 0, p->arg_end - p->arg_start);
      memcpy (p->arg_start, init_name, sizeof init_name);
    }
  if (p->env_start && p->env_end > p->env_start)
    memset (p->env_start, 0, p->env_end - p->env_start);
  /* The command gets the environment of the appliance's daemon, not the
   * daemon's on this host (the user's, with its paths and secrets). */
  environ = (char **) guest_environment;
  if (ns_err)
    {
      errno = ns_err;
      fail ("joining the connection's namespaces");
    }

  umask (0);
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    fail ("making the mounts private");
  /* pivot_root needs a mount point, which a sysroot with only /boot
   * mounted below it is not. */
  if (mount (p->sysroot, p->sysroot, NULL, MS_BIND | MS_REC, NULL) < 0)
    fail ("binding the sysroot");
  int root = open (p->sysroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct stat rst;
  if (root < 0 || fstat (root, &rst) < 0)
    fail ("the sysroot");
  struct mount_attr nodev = { .attr_set = MOUNT_ATTR_NODEV };
  if (mount_setattr (root, "", AT_EMPTY_PATH | AT_RECURSIVE, &nodev, sizeof nodev) < 0)
    fail ("making the guest's mounts nodev");

  int dir;
  if ((dir = guest_dir (root, &rst, "proc")) >= 0)
    {
      setup_proc (dir);
      close (dir);
    }
  if ((dir = guest_dir (root, &rst, "sys")) >= 0)
    {
      setup_sys (dir);
      close (dir);
    }
  if ((dir = guest_dir (root, &rst, "dev")) >= 0)
    {
      setup_dev (dir);
      close (dir);
    }

  /* The guest's tree becomes "/", and the host's tree, stacked on it by
   * pivot_root, leaves the namespace. */
  if (fchdir (root) < 0 || syscall (SYS_pivot_root, ".", ".") < 0)
    fail ("pivot_root into the sysroot");
  if (umount2 (".", MNT_DETACH) < 0)
    fail ("detaching the host's tree");
  if (chdir ("/") < 0)
    fail ("chdir /");
  close (root);

  umask (p->umask);
  /* The command shares this process's memory until it execs (vfork):
   * no copy of the daemon's page tables.  Its stack is big enough for
   * execvp's copy of a script's arguments. */
  const size_t stack_size = 8 * 1024 * 1024 + 16 * sizeof (char *) * p->argc;
  char *stack = mmap (NULL, stack_size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (stack == MAP_FAILED)
    fail ("mmap");
  pid_t cmd = clone (exec_child, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *) p);
  if (cmd < 0)
    fail ("clone");
  munmap (stack, stack_size);
  /* The command's outputs end when the command and what it started end,
   * not when this process does. */
  close (0);
  close (1);
  close (2);
  for (;;)
    {
      int st;
      pid_t w = waitpid (-1, &st, 0);
      if (w == cmd)
        {
          report ('S', 0, st, NULL);
          _exit (0);
        }
      if (w < 0 && errno != EINTR)
        fail ("waitpid");
    }
}

/* ---- in the daemon ------------------------------------------------------ */

typedef struct
{
  int net, ipc, uts;
} Namespaces;

static void
namespaces_free (gpointer p)
{
  Namespaces *ns = p;
  if (ns->net >= 0)
    close (ns->net);
  close (ns->ipc);
  close (ns->uts);
  g_free (ns);
}

/* The connection's network (unless the network is on), IPC and UTS
 * namespaces, made on first use by a child that unshares them, brings lo
 * up and waits while the daemon opens them. */
static Namespaces *
connection_namespaces (GdConnection *conn, gboolean network, GError **error)
{
  static const char key[] = "sandbox-namespaces";
  Namespaces *ns = gd_conn_get_data (conn, key);
  if (ns)
    return ns;
  int p[2];
  if (!gdc_pipe (p, error))
    return NULL;
  struct gd_clone_args ca = {
    .flags = CLONE_NEWIPC | CLONE_NEWUTS | (network ? 0 : CLONE_NEWNET),
    .exit_signal = SIGCHLD,
  };
  pid_t pid = syscall (SYS_clone3, &ca, sizeof ca);
  if (pid == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      int err = network ? 0 : loopback_up ();
      ssize_t n G_GNUC_UNUSED = write (p[1], &err, sizeof err);
      for (;;)
        pause ();
    }
  int saved = errno;
  close (p[1]);
  if (pid < 0)
    {
      close (p[0]);
      errno = saved;
      gd_perror (error, "creating the namespaces for the guest's commands (clone3)");
      return NULL;
    }
  int err = 0;
  ssize_t n;
  while ((n = read (p[0], &err, sizeof err)) < 0 && errno == EINTR)
    ;
  close (p[0]);
  ns = g_new (Namespaces, 1);
  ns->net = ns->ipc = ns->uts = -1;
  const char *failed = NULL;
  if (n != (ssize_t) sizeof err)
    {
      err = EIO;
      failed = "the namespace holder";
    }
  else if (err != 0)
    failed = "bringing lo up";
  else
    {
      char path[64];
      static const char *const names[] = { "ipc", "uts", "net" };
      int *fds[] = { &ns->ipc, &ns->uts, &ns->net };
      for (int i = 0; i < (network ? 2 : 3) && failed == NULL; i++)
        {
          g_snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) pid, names[i]);
          if ((*fds[i] = open (path, O_RDONLY | O_CLOEXEC)) < 0)
            {
              err = errno;
              failed = "opening the namespaces";
            }
        }
    }
  kill (pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (failed)
    {
      if (ns->ipc >= 0)
        close (ns->ipc);
      if (ns->uts >= 0)
        close (ns->uts);
      if (ns->net >= 0)
        close (ns->net);
      g_free (ns);
      gd_error_errno (error, err, "namespaces for the guest's commands: %s: %s", failed,
                      g_strerror (err));
      return NULL;
    }
  gd_conn_set_data (conn, key, ns, namespaces_free);
  return ns;
}

/* Fields 48-51 of /proc/self/stat: where the kernel finds this
 * process's arguments and environment. */
typedef struct
{
  char *arg_start, *arg_end, *env_start, *env_end;
} ArgArea;

static gpointer
read_arg_area (gpointer unused)
{
  (void) unused;
  ArgArea *a = g_new0 (ArgArea, 1);
  g_autofree char *stat = NULL;
  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL))
    return a;
  /* After the command name, which may hold anything but ends at the last
   * ')': the state is field 3. */
  const char *p = strrchr (stat, ')');
  if (p == NULL)
    return a;
  g_auto (GStrv) f = g_strsplit (p + 2, " ", -1);
  if (g_strv_length (f) < 50)
    return a;
  /* Field N is f[N - 3]. */
  guint64 v[4];
  for (int i = 0; i < 4; i++)
    v[i] = g_ascii_strtoull (f[48 - 3 + i], NULL, 10);
  if (v[0] && v[1] > v[0] && v[3] >= v[2])
    {
      a->arg_start = (char *) (guintptr) v[0];
      a->arg_end = (char *) (guintptr) v[1];
      a->env_start = (char *) (guintptr) v[2];
      a->env_end = (char *) (guintptr) v[3];
    }
  return a;
}

/* The signals this process ignores, from /proc/self/status ("SigIgn"). */
static guint64
ignored_signals (void)
{
  g_autofree char *status = NULL;
  guint64 mask = 1ULL << (SIGPIPE - 1);
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return mask;
  const char *line = strstr (status, "\nSigIgn:");
  if (line)
    mask |= g_ascii_strtoull (line + strlen ("\nSigIgn:"), NULL, 16);
  return mask;
}

gboolean
gd_sandbox_spawn (GdRequest *req, const char *const *argv, int stdin_fd, int stdout_fd,
                  int stderr_fd, GdSandbox *sb, GError **error)
{
  static GOnce filter_once = G_ONCE_INIT;
  g_once (&filter_once, build_filter, NULL);

  GdConnection *conn = gd_request_connection (req);
  sb->pid = -1;
  sb->report = -1;
  gboolean network = gd_conn_network (conn);
  Namespaces *ns = connection_namespaces (conn, network, error);
  if (ns == NULL)
    return FALSE;
  int rp[2];
  if (!gdc_pipe (rp, error))
    return FALSE;
  Plan plan = {
    .sysroot = gd_conn_sysroot (conn),
    .argv = argv,
    .argc = g_strv_length ((char **) argv),
    .in = stdin_fd,
    .out = stdout_fd,
    .err = stderr_fd,
    .report = rp[1],
    .net = ns->net,
    .ipc = ns->ipc,
    .uts = ns->uts,
    .umask = gd_conn_umask (conn),
    .network = network,
    .keep = KEEP_CAPS,
    .filter = &filter_prog,
  };
  plan.ignored = ignored_signals ();
  static GOnce area_once = G_ONCE_INIT;
  const ArgArea *area = g_once (&area_once, read_arg_area, NULL);
  plan.arg_start = area->arg_start;
  plan.arg_end = area->arg_end;
  plan.env_start = area->env_start;
  plan.env_end = area->env_end;
  /* Binding privileged ports is harmless in a network namespace of the
   * command's own, not in the host's. */
  if (!plan.network)
    plan.keep |= CAP_BIT (CAP_NET_BIND_SERVICE);
  struct gd_clone_args ca = {
    .flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWCGROUP,
    .exit_signal = SIGCHLD,
  };
  pid_t pid = syscall (SYS_clone3, &ca, sizeof ca);
  if (pid == 0)
    sandbox_init (&plan);
  int saved = errno;
  close (rp[1]);
  if (pid < 0)
    {
      close (rp[0]);
      errno = saved;
      gd_perror (error, "creating the sandbox for the guest's command (clone3)");
      return FALSE;
    }
  sb->pid = pid;
  sb->report = rp[0];
  return TRUE;
}

void
gd_sandbox_kill (GdSandbox *sb)
{
  if (sb->pid > 0)
    kill (sb->pid, SIGKILL);
}

gboolean
gd_sandbox_wait (GdSandbox *sb, int *wstatus, GError **error)
{
  Report failure = { 0 };
  gboolean have_status = FALSE;
  int status = 0;
  for (;;)
    {
      Report r;
      ssize_t n = read (sb->report, &r, sizeof r);
      if (n < 0 && errno == EINTR)
        continue;
      if (n != (ssize_t) sizeof r)
        break;
      if (r.kind == 'E' && failure.kind == 0)
        failure = r;
      else if (r.kind == 'S')
        {
          have_status = TRUE;
          status = r.status;
        }
    }
  close (sb->report);
  sb->report = -1;
  int st = 0;
  while (waitpid (sb->pid, &st, 0) < 0 && errno == EINTR)
    ;
  sb->pid = -1;
  if (failure.kind)
    {
      failure.what[sizeof failure.what - 1] = '\0';
      gd_error_errno (error, failure.err, "sandbox for the guest's command: %s: %s", failure.what,
                      g_strerror (failure.err));
      return FALSE;
    }
  *wstatus = have_status ? status : st;
  return TRUE;
}
