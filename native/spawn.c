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
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>
#include "spawn.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

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
