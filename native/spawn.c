// Spawning without Node's child_process: a vfork-style clone (CLONE_VM | CLONE_VFORK, so no page table
// of the emperor is copied) with CLONE_PIDFD, and every child's exit read from its pidfd on ONE epoll
// descriptor that libuv watches (one uv_poll for all children, no handle per child).
//  - spawnProcess(file, argv, env, cwd, fds, umask, cgroupProcs): the child calls setsid, enters its
//    cgroup by writing "0" into cgroupProcs (no shell shim, no extra exec), gets fds[i] as its fd i (-1:
//    /dev/null), its umask (-1: the emperor's), changes into cwd and execs file, searched in the PATH of
//    env as execvp would. Returns the pid, or -(errno | stage << 16) of the step that failed (STAGE_*;
//    the child then never ran the program).
//  - watchExits(callback(pid, code, signal)): where every exit goes; code is -1 for a signal's death.
// The children are reaped with waitid(P_PIDFD): libuv waits only for its own children's pids, so
// neither side takes the other's exits.
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

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

#define MAX_CHILD_FDS 8
#define CHILD_STACK (64 * 1024)
#define PATH_BUF 4096

// What the child needs, all prepared by the parent (the child allocates nothing).
typedef struct spawn_args {
  const char* file;
  char** argv;
  char** envp;
  const char* cwd;
  const char* cgroup_procs;
  int fds[MAX_CHILD_FDS];
  int nfds;
  int umask_value;
  int in_cgroup;  // clone3 put the child in its cgroup already
  volatile int err;  // written by the child (shared memory) before it exits: the parent reads it
  volatile int stage;  // the step the child is at (STAGE_*): a failure says which
} spawn_args;

// The child's steps, in the failure's bits 16 and up: -(errno | stage << 16).
enum { STAGE_SPAWN = 0, STAGE_CGROUP = 1, STAGE_FDS = 2, STAGE_CWD = 3, STAGE_EXEC = 4 };

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
static int start_child(spawn_args* a, void* stack, int* pidfd) {
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

// The exits: one epoll set of pidfds, watched by one uv_poll on Node's loop.
static int exits_ep = -1;
static uv_poll_t exits_poll;
static napi_env exits_env;
static napi_ref exits_cb = NULL;
static napi_async_context exits_async;
static int watched = 0;

static void on_exits(uv_poll_t* handle, int status, int events) {
  (void)handle;
  (void)events;
  if (status < 0) return;
  struct epoll_event ev[64];
  int n = epoll_wait(exits_ep, ev, 64, 0);
  if (n <= 0) return;
  napi_handle_scope scope;
  napi_open_handle_scope(exits_env, &scope);
  for (int i = 0; i < n; i++) {
    int pidfd = (int)(ev[i].data.u64 & 0xffffffffu);
    int pid = (int)(ev[i].data.u64 >> 32);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG) != 0 || si.si_pid == 0) continue;
    epoll_ctl(exits_ep, EPOLL_CTL_DEL, pidfd, NULL);
    close(pidfd);
    if (--watched == 0) uv_unref((uv_handle_t*)&exits_poll);
    napi_value argv[3], cb, recv, result;
    napi_create_int32(exits_env, pid, &argv[0]);
    napi_create_int32(exits_env, si.si_code == CLD_EXITED ? si.si_status : -1, &argv[1]);
    napi_create_int32(exits_env, si.si_code == CLD_EXITED ? 0 : si.si_status, &argv[2]);
    napi_get_reference_value(exits_env, exits_cb, &cb);
    napi_get_global(exits_env, &recv);
    if (napi_make_callback(exits_env, exits_async, recv, cb, 3, argv, &result) == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(exits_env, &err);
      napi_fatal_exception(exits_env, err);
      break;
    }
  }
  napi_close_handle_scope(exits_env, scope);
}

static napi_value int_out(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

// watchExits(callback(pid, code, signal)): 0, or -errno (no epoll).
napi_value emperor_watch_exits(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype t;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "watchExits(callback)");
    return NULL;
  }
  if (exits_ep >= 0) return int_out(env, -EBUSY);
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return int_out(env, -EINVAL);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return int_out(env, -errno);
  if (uv_poll_init(loop, &exits_poll, ep) != 0 || uv_poll_start(&exits_poll, UV_READABLE, on_exits) != 0) {
    close(ep);
    return int_out(env, -EINVAL);
  }
  uv_unref((uv_handle_t*)&exits_poll);
  exits_ep = ep;
  exits_env = env;
  napi_value name;
  napi_create_string_utf8(env, "emperor:exits", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[0], 1, &exits_cb);
  napi_async_init(env, NULL, name, &exits_async);
  return int_out(env, 0);
}

// A JavaScript string copied into malloc'd memory (NULL for null/undefined or on failure).
static char* string_of(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char* s = malloc(len + 1);
  if (s != NULL) napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

// A string[] as a NULL-terminated vector (freed by free_vector).
static char** vector_of(napi_env env, napi_value arr) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char** v = calloc(n + 1, sizeof(char*));
  if (v == NULL) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, arr, i, &item);
    v[i] = string_of(env, item);
    if (v[i] == NULL) return v;
  }
  return v;
}

static void free_vector(char** v) {
  if (v == NULL) return;
  for (char** p = v; *p != NULL; p++) free(*p);
  free(v);
}

// spawnProcess(file, argv, env, cwd, fds, umask, cgroupProcs|null): the pid, or -errno.
napi_value emperor_spawn_process(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7) {
    napi_throw_type_error(env, NULL, "spawnProcess(file, argv, env, cwd, fds, umask, cgroupProcs)");
    return NULL;
  }
  if (exits_ep < 0) return int_out(env, -ENOTCONN);
  spawn_args a;
  memset(&a, 0, sizeof a);
  a.file = string_of(env, argv[0]);
  a.argv = vector_of(env, argv[1]);
  a.envp = vector_of(env, argv[2]);
  a.cwd = string_of(env, argv[3]);
  napi_valuetype t;
  napi_typeof(env, argv[6], &t);
  a.cgroup_procs = t == napi_string ? string_of(env, argv[6]) : NULL;
  uint32_t nfds = 0;
  napi_get_array_length(env, argv[4], &nfds);
  int32_t um = -1;
  napi_get_value_int32(env, argv[5], &um);
  a.umask_value = um;
  int result = 0;
  if (a.file == NULL || a.argv == NULL || a.envp == NULL || a.cwd == NULL || nfds > MAX_CHILD_FDS) result = -EINVAL;
  a.nfds = (int)nfds;
  for (uint32_t i = 0; result == 0 && i < nfds; i++) {
    napi_value item;
    napi_get_element(env, argv[4], i, &item);
    if (napi_get_value_int32(env, item, &a.fds[i]) != napi_ok) result = -EINVAL;
  }
  void* stack = MAP_FAILED;
  if (result == 0) {
    stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) result = -errno;
  }
  if (result == 0) {
    // Every signal blocked across the clone: no handler of Node's may run in the child.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int pidfd = -1;
    int pid = start_child(&a, stack, &pidfd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
      result = -(-pid | (a.stage << 16));
    } else if (a.err != 0) {
      // The child never ran the program: reaped here, its failure is the spawn's.
      siginfo_t si;
      waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
      close(pidfd);
      result = -(a.err | (a.stage << 16));
    } else {
      struct epoll_event ev;
      ev.events = EPOLLIN;
      ev.data.u64 = ((uint64_t)(uint32_t)pid << 32) | (uint32_t)pidfd;
      if (epoll_ctl(exits_ep, EPOLL_CTL_ADD, pidfd, &ev) != 0) {
        // Cannot be watched: it must not run unwatched.
        int err = errno;
        kill(pid, SIGKILL);
        siginfo_t si;
        waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
        close(pidfd);
        result = -err;
      } else {
        if (watched++ == 0) uv_ref((uv_handle_t*)&exits_poll);
        result = pid;
      }
    }
    munmap(stack, CHILD_STACK);
  }
  free((void*)a.file);
  free((void*)a.cwd);
  free((void*)a.cgroup_procs);
  free_vector(a.argv);
  free_vector(a.envp);
  return int_out(env, result);
}
