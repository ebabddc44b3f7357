// One spawn as a job: its arguments copied out of JavaScript into memory the child may read, the clone
// run right here (spawnProcess) or on libuv's thread pool (spawnProcessAsync), the child handed to the
// exit watch on the main thread before JavaScript hears its pid, so no exit can come first.
//  - spawnProcess(file, argv, env, cwd, fds, umask, cgroupProcs): the pid, or -(errno | stage << 16); env is
//    a string[] or one string of "K=V\0" entries.
//  - spawnProcessAsync(file, argv, env, cwd, fds, umask, cgroupProcs, callback(result)): 0 once queued
//    (the callback hears the pid or -(errno | stage << 16) on a later turn), or -errno at once. While a
//    pool thread waits for its child to exec, the main thread goes on: several children start at once.
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "spawn.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

typedef struct spawn_job {
  spawn_args a;
  int result;  // the pid, or -(errno | stage << 16)
  int pidfd;
  char* env_block;  // the environment's one string, when it came as one (envp points into it)
  napi_async_work work;
  napi_ref callback;
} spawn_job;

static napi_value int_out(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
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

// "K=V\0K=V\0...", one string (one copy out of JavaScript instead of one per variable), as a NULL-terminated
// vector pointing into *block; NULL on failure.
static char** block_vector(napi_env env, napi_value v, char** block) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char* b = malloc(len + 1);
  if (b == NULL) return NULL;
  napi_get_value_string_utf8(env, v, b, len + 1, &len);
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += b[i] == '\0';
  char** vec = calloc(n + 1, sizeof(char*));
  if (vec == NULL) {
    free(b);
    return NULL;
  }
  for (size_t i = 0, k = 0, start = 0; i < len; i++) {
    if (b[i] != '\0') continue;
    vec[k++] = b + start;
    start = i + 1;
  }
  *block = b;
  return vec;
}

static void free_job(spawn_job* j) {
  free((void*)j->a.file);
  free((void*)j->a.cwd);
  free((void*)j->a.cgroup_procs);
  free_vector(j->a.argv);
  if (j->env_block == NULL) {
    free_vector(j->a.envp);
  } else {
    free(j->env_block);
    free(j->a.envp);
  }
  free(j);
}

// The seven spawn arguments as a job; NULL with *err = -errno when they do not fit.
static spawn_job* job_of(napi_env env, napi_value* argv, int* err) {
  spawn_job* j = calloc(1, sizeof *j);
  if (j == NULL) {
    *err = -ENOMEM;
    return NULL;
  }
  j->pidfd = -1;
  spawn_args* a = &j->a;
  a->file = string_of(env, argv[0]);
  a->argv = vector_of(env, argv[1]);
  napi_valuetype t;
  napi_typeof(env, argv[2], &t);
  a->envp = t == napi_string ? block_vector(env, argv[2], &j->env_block) : vector_of(env, argv[2]);
  a->cwd = string_of(env, argv[3]);
  napi_typeof(env, argv[6], &t);
  a->cgroup_procs = t == napi_string ? string_of(env, argv[6]) : NULL;
  uint32_t nfds = 0;
  napi_get_array_length(env, argv[4], &nfds);
  int32_t um = -1;
  napi_get_value_int32(env, argv[5], &um);
  a->umask_value = um;
  *err = 0;
  if (a->file == NULL || a->argv == NULL || a->envp == NULL || a->cwd == NULL || nfds > MAX_CHILD_FDS) *err = -EINVAL;
  a->nfds = (int)nfds;
  for (uint32_t i = 0; *err == 0 && i < nfds; i++) {
    napi_value item;
    napi_get_element(env, argv[4], i, &item);
    if (napi_get_value_int32(env, item, &a->fds[i]) != napi_ok) *err = -EINVAL;
  }
  if (*err == 0) return j;
  free_job(j);
  return NULL;
}

// The clone, on any thread: j->result is the child's pid (its pidfd in j->pidfd), or the failure; a child
// that failed before its exec never ran the program and is reaped here.
static void run_job(spawn_job* j) {
  void* stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    j->result = -errno;
    return;
  }
  // Every signal blocked across the clone: no handler of Node's may run in the child.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  int pid = start_child(&j->a, stack, &pidfd);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) {
    j->result = -(-pid | (j->a.stage << 16));
  } else if (j->a.err != 0) {
    siginfo_t si;
    waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
    close(pidfd);
    j->result = -(j->a.err | (j->a.stage << 16));
  } else {
    j->pidfd = pidfd;
    j->result = pid;
  }
  munmap(stack, CHILD_STACK);
}

// On the main thread: a started child joins the exit watch; the job's result as JavaScript hears it.
static int finish_job(spawn_job* j) {
  return j->result > 0 ? watch_child(j->result, j->pidfd) : j->result;
}

static napi_value spawn_args_error(napi_env env, const char* usage) {
  napi_throw_type_error(env, NULL, usage);
  return NULL;
}

// spawnProcess(file, argv, env, cwd, fds, umask, cgroupProcs|null): the pid, or -errno.
napi_value emperor_spawn_process(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7) return spawn_args_error(env, "spawnProcess(file, argv, env, cwd, fds, umask, cgroupProcs)");
  if (!exits_watched()) return int_out(env, -ENOTCONN);
  int err;
  spawn_job* j = job_of(env, argv, &err);
  if (j == NULL) return int_out(env, err);
  run_job(j);
  int result = finish_job(j);
  free_job(j);
  return int_out(env, result);
}

static void execute_job(napi_env env, void* data) {
  (void)env;
  run_job((spawn_job*)data);
}

static void complete_job(napi_env env, napi_status status, void* data) {
  spawn_job* j = (spawn_job*)data;
  int result = status == napi_ok ? finish_job(j) : -ECANCELED;
  napi_value cb, recv, arg, ignored;
  napi_get_reference_value(env, j->callback, &cb);
  napi_get_global(env, &recv);
  arg = int_out(env, result);
  napi_delete_reference(env, j->callback);
  napi_delete_async_work(env, j->work);
  free_job(j);
  // A throw in the callback is Node's uncaught exception, as for any callback from the loop.
  napi_call_function(env, recv, cb, 1, &arg, &ignored);
}

// spawnProcessAsync(file, argv, env, cwd, fds, umask, cgroupProcs|null, callback(result)): 0, or -errno.
napi_value emperor_spawn_process_async(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_valuetype t;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 8 || napi_typeof(env, argv[7], &t) != napi_ok || t != napi_function) {
    return spawn_args_error(env, "spawnProcessAsync(file, argv, env, cwd, fds, umask, cgroupProcs, callback)");
  }
  if (!exits_watched()) return int_out(env, -ENOTCONN);
  int err;
  spawn_job* j = job_of(env, argv, &err);
  if (j == NULL) return int_out(env, err);
  napi_value name;
  napi_create_string_utf8(env, "emperor:spawn", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, execute_job, complete_job, j, &j->work) != napi_ok) {
    free_job(j);
    return int_out(env, -ENOMEM);
  }
  napi_create_reference(env, argv[7], 1, &j->callback);
  if (napi_queue_async_work(env, j->work) != napi_ok) {
    napi_delete_reference(env, j->callback);
    napi_delete_async_work(env, j->work);
    free_job(j);
    return int_out(env, -EAGAIN);
  }
  return int_out(env, 0);
}
