// The child side of spawnProcess (native/spawn.c): a vfork-style clone that shares the emperor's memory
// until it execs (no page table copied), with clone3 and CLONE_INTO_CGROUP on x86_64, clone elsewhere.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "spawn.h"


#if defined(__x86_64__) && defined(SYS_clone3)
#define HAVE_CLONE3_VM 1
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
// The kernel's struct clone_args (linux/sched.h), version 2 (with cgroup).
struct emperor_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#endif

#define PATH_BUF 4096

static void fail(spawn_args* a, int err) {
  a->err = err;
  _exit(127);
}

// execve of `file` as execvp does it, but with the PATH of the child's own environment.
static void exec_searched(spawn_args* a) {
  if (strchr(a->file, '/') != NULL) {
    execve(a->file, a->argv, a->envp);
    fail(a, errno);
  }
  const char* path = "/usr/local/bin:/usr/bin:/bin";
  for (char** e = a->envp; *e != NULL; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  size_t flen = strlen(a->file);
  int seen_eacces = 0, last = ENOENT;
  char buf[PATH_BUF];
  for (const char* p = path;; p++) {
    const char* end = strchrnul(p, ':');
    size_t dlen = (size_t)(end - p);
    if (dlen + flen + 2 <= sizeof buf) {
      if (dlen == 0) {
        memcpy(buf, a->file, flen + 1);
      } else {
        memcpy(buf, p, dlen);
        buf[dlen] = '/';
        memcpy(buf + dlen + 1, a->file, flen + 1);
      }
      execve(buf, a->argv, a->envp);
      if (errno == EACCES) seen_eacces = 1;
      else if (errno != ENOENT && errno != ENOTDIR) last = errno;
    }
    if (*end == '\0') break;
    p = end;
  }
  fail(a, seen_eacces ? EACCES : last);
}

// The child, on its own small stack, sharing the parent's memory until it execs or exits.
static int child_main(void* arg) {
  spawn_args* a = (spawn_args*)arg;
  // Node's handlers must never run here (they would use the parent's memory): defaults, then unblock.
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  if (setsid() < 0) fail(a, errno);
  a->stage = STAGE_CGROUP;
  if (a->cgroup_procs != NULL && !a->in_cgroup) {
    int cg = open(a->cgroup_procs, O_WRONLY | O_CLOEXEC);
    if (cg < 0 || write(cg, "0", 1) != 1) fail(a, errno);
    close(cg);
  }
  a->stage = STAGE_FDS;
  // Sources that sit where another target goes are moved out of the way first.
  for (int i = 0; i < a->nfds; i++) {
    if (a->fds[i] >= 0 && a->fds[i] < a->nfds && a->fds[i] != i) {
      int moved = fcntl(a->fds[i], F_DUPFD_CLOEXEC, a->nfds);
      if (moved < 0) fail(a, errno);
      for (int j = i; j < a->nfds; j++)
        if (a->fds[j] == a->fds[i] && j != i) a->fds[j] = moved;
      a->fds[i] = moved;
    }
  }
  for (int i = 0; i < a->nfds; i++) {
    int src = a->fds[i];
    if (src < 0) {
      src = open("/dev/null", O_RDWR | O_CLOEXEC);
      if (src < 0) fail(a, errno);
    }
    if (src == i) {
      int flags = fcntl(i, F_GETFD);
      if (flags < 0 || fcntl(i, F_SETFD, flags & ~FD_CLOEXEC) < 0) fail(a, errno);
    } else if (dup2(src, i) < 0) {
      fail(a, errno);
    }
    // Blocking stdio, as libuv gives it: the emperor's copy of a pair's end is non-blocking (Node set it),
    // and a child whose writes met EAGAIN would lose its output.
    if (i <= 2) {
      int fl = fcntl(i, F_GETFL);
      if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(i, F_SETFL, fl & ~O_NONBLOCK);
    }
  }
  if (a->umask_value >= 0) umask((mode_t)a->umask_value);
  a->stage = STAGE_CWD;
  if (chdir(a->cwd) != 0) fail(a, errno);
  a->stage = STAGE_EXEC;
  sigprocmask(SIG_SETMASK, &none, NULL);
  exec_searched(a);
  return 127;
}

#ifdef HAVE_CLONE3_VM
// clone3 with CLONE_VM | CLONE_VFORK: the child starts on `stack` at the instruction after the syscall,
// so it cannot return through C; it calls child_main and exits right there (as glibc's clone does).
static long clone3_vm(struct emperor_clone_args* ca, spawn_args* a) {
  register long rax __asm__("rax") = SYS_clone3;
  register struct emperor_clone_args* rdi __asm__("rdi") = ca;
  register long rsi __asm__("rsi") = (long)sizeof *ca;
  register int (*r12)(void*) __asm__("r12") = child_main;
  register void* r13 __asm__("r13") = a;
  __asm__ volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t"
      "mov %%r13, %%rdi\n\t"
      "call *%%r12\n\t"
      "mov %%eax, %%edi\n\t"
      "mov $60, %%eax\n\t"
      "syscall\n\t"
      "hlt\n\t"
      "1:\n\t"
      : "+r"(rax)
      : "r"(rdi), "r"(rsi), "r"(r12), "r"(r13)
      : "rcx", "r11", "memory", "cc");
  return rax;
}
#endif

// The child: with clone3 straight into its cgroup (CLONE_INTO_CGROUP: no migration, which takes a
// system-wide lock), else clone and the child writes itself into cgroup.procs. -errno on failure.
int start_child(spawn_args* a, void* stack, int* pidfd) {
#ifdef HAVE_CLONE3_VM
  int cgfd = -1;
  if (a->cgroup_procs != NULL) {
    const char* slash = strrchr(a->cgroup_procs, '/');
    char dir[PATH_BUF];
    size_t len = slash == NULL ? 0 : (size_t)(slash - a->cgroup_procs);
    if (len > 0 && len < sizeof dir) {
      memcpy(dir, a->cgroup_procs, len);
      dir[len] = '\0';
      cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  }
  if (a->cgroup_procs == NULL || cgfd >= 0) {
    struct emperor_clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | (cgfd >= 0 ? CLONE_INTO_CGROUP : 0);
    ca.pidfd = (uint64_t)(uintptr_t)pidfd;
    ca.exit_signal = SIGCHLD;
    ca.stack = (uint64_t)(uintptr_t)stack;
    ca.stack_size = CHILD_STACK;
    ca.cgroup = cgfd >= 0 ? (uint64_t)cgfd : 0;
    a->in_cgroup = cgfd >= 0;
    long pid = clone3_vm(&ca, a);
    if (cgfd >= 0) close(cgfd);
    // Kernels without clone3 (ENOSYS) or without CLONE_INTO_CGROUP (EINVAL...) take the clone path.
    if (pid >= 0) return (int)pid;
    if (pid != -ENOSYS && pid != -EINVAL && pid != -E2BIG) {
      a->stage = STAGE_CGROUP * (cgfd >= 0);
      return (int)pid;
    }
    a->in_cgroup = 0;
  }
#endif
  int pid = clone(child_main, (char*)stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, a, pidfd);
  return pid < 0 ? -errno : pid;
}
