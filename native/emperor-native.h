// What the native helper's files share: the small N-API helpers, and every function init() exports.
#ifndef EMPEROR_NATIVE_H
#define EMPEROR_NATIVE_H

#include <node_api.h>

// An int32 as a JavaScript number.
static inline napi_value emperor_int(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

// Throws a TypeError with the call's usage; the caller returns what this returns.
static inline napi_value emperor_type_error(napi_env env, const char* message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

// native/spawn-job.c and spawn.c: spawning through a vfork-style clone with pidfds, and the exits of those children.
napi_value emperor_spawn_process(napi_env env, napi_callback_info info);
napi_value emperor_watch_exits(napi_env env, napi_callback_info info);
napi_value emperor_spawn_process_async(napi_env env, napi_callback_info info);
// native/rest-timer.c: sub-millisecond wake-ups for the rests of busy log pipes.
napi_value emperor_rest_timer(napi_env env, napi_callback_info info);
napi_value emperor_rest_timer_arm(napi_env env, napi_callback_info info);
// native/pipe-reader.c: one epoll reader for every child output pipe.
napi_value emperor_pipe_reader(napi_env env, napi_callback_info info);
napi_value emperor_pipe_watch(napi_env env, napi_callback_info info);
napi_value emperor_pipe_pause(napi_env env, napi_callback_info info);
napi_value emperor_pipe_resume(napi_env env, napi_callback_info info);
napi_value emperor_pipe_close(napi_env env, napi_callback_info info);
// native/notify-socket.c: the sd_notify socket.
napi_value emperor_notify_listen(napi_env env, napi_callback_info info);
napi_value emperor_notify_close(napi_env env, napi_callback_info info);
// native/fs-creds.c: per-thread filesystem credentials.
napi_value emperor_set_fs_creds(napi_env env, napi_callback_info info);
napi_value emperor_restore_fs_creds(napi_env env, napi_callback_info info);
// native/malloc-trim.c: the allocator's free pages back to the system.
napi_value emperor_malloc_trim(napi_env env, napi_callback_info info);

#endif
