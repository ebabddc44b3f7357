// Spawning without Node's child_process: a vfork-style clone (CLONE_VM | CLONE_VFORK, so no page table
// of the emperor is copied) with CLONE_PIDFD, and every child's exit read from its pidfd on ONE epoll
// descriptor that libuv watches (one uv_poll for all children, no handle per child).
//  - spawnProcess[Async] (native/spawn-job.c: the arguments, the clone on the main thread or the pool)
//    with (file, argv, env, cwd, fds, umask, cgroupProcs): the child calls setsid, enters its
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

// A started child joins the watch (main thread only): 0, or -errno after killing and reaping it, since
// a child must not run unwatched.
int watch_child(int pid, int pidfd) {
  struct epoll_event ev;
  ev.events = EPOLLIN;
  ev.data.u64 = ((uint64_t)(uint32_t)pid << 32) | (uint32_t)pidfd;
  if (epoll_ctl(exits_ep, EPOLL_CTL_ADD, pidfd, &ev) != 0) {
    int err = errno;
    kill(pid, SIGKILL);
    siginfo_t si;
    waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
    close(pidfd);
    return -err;
  }
  if (watched++ == 0) uv_ref((uv_handle_t*)&exits_poll);
  return pid;
}

int exits_watched(void) {
  return exits_ep >= 0;
}
