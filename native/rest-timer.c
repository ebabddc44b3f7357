// Wake-ups finer than libuv's timers (whole milliseconds) for the rests of busy log pipes: a writer at
// 1.2 GB/s fills a 1 MiB pipe in 0.9 ms, so a 1 ms timer (that may fire up to 2 ms later) makes it wait.
// ONE timerfd for the whole emperor, watched by one uv_poll on Node's loop; JavaScript keeps the
// deadlines (src/io/fine-timer.ts) and arms it for the nearest.
//  - restTimer(callback()): makes the timer; 0, or -errno (-EEXIST: made already).
//  - restTimerArm(microseconds): calls back once after that long (0: disarms); 0, or -errno. The
//    loop is kept alive only while the timer is armed, as by a setTimeout.
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uv.h>

static struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int fd;
  int armed;
} rest = {.fd = -1};

static napi_value rest_int(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static void on_rest_timer(uv_poll_t* handle, int status, int events) {
  (void)handle;
  (void)events;
  uint64_t expirations;
  if (status < 0 || read(rest.fd, &expirations, sizeof expirations) != (ssize_t)sizeof expirations) return;
  if (rest.armed) uv_unref((uv_handle_t*)&rest.poll);
  rest.armed = 0;
  napi_handle_scope scope;
  napi_open_handle_scope(rest.env, &scope);
  napi_value cb, recv, result;
  napi_get_reference_value(rest.env, rest.callback, &cb);
  napi_get_global(rest.env, &recv);
  if (napi_make_callback(rest.env, rest.async, recv, cb, 0, NULL, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(rest.env, &err);
    napi_fatal_exception(rest.env, err);
  }
  napi_close_handle_scope(rest.env, scope);
}

napi_value emperor_rest_timer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype t;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "restTimer(callback)");
    return NULL;
  }
  if (rest.fd >= 0) return rest_int(env, -EEXIST);
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return rest_int(env, -EINVAL);
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return rest_int(env, -errno);
  if (uv_poll_init(loop, &rest.poll, fd) != 0) {
    close(fd);
    return rest_int(env, -EINVAL);
  }
  rest.fd = fd;
  rest.env = env;
  napi_value name;
  napi_create_string_utf8(env, "emperor:rest", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[0], 1, &rest.callback);
  napi_async_init(env, NULL, name, &rest.async);
  uv_poll_start(&rest.poll, UV_READABLE, on_rest_timer);
  uv_unref((uv_handle_t*)&rest.poll);
  return rest_int(env, 0);
}

napi_value emperor_rest_timer_arm(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t us = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_int64(env, argv[0], &us) != napi_ok || us < 0) {
    napi_throw_type_error(env, NULL, "restTimerArm(microseconds >= 0)");
    return NULL;
  }
  if (rest.fd < 0) return rest_int(env, -EBADF);
  struct itimerspec when = {{0, 0}, {(time_t)(us / 1000000), (long)(us % 1000000) * 1000}};
  if (timerfd_settime(rest.fd, 0, &when, NULL) != 0) return rest_int(env, -errno);
  if (us > 0 && !rest.armed) uv_ref((uv_handle_t*)&rest.poll);
  if (us == 0 && rest.armed) uv_unref((uv_handle_t*)&rest.poll);
  rest.armed = us > 0;
  return rest_int(env, 0);
}
