// ONE reader for every child output pipe (or socket): an epoll set of their read ends, watched by one
// uv_poll on Node's loop, each read landing in the emperor's one shared read buffer. Per pipe the
// emperor then keeps a small JavaScript record, instead of a net.Socket, a libuv pipe handle and its
// C++ stream wrap (some 2 KB of JavaScript and more in C++), for children that mostly never write.
//  - pipeReader(buffer, callback(fd, n) -> boolean): makes the reader; 0, or -errno (-EEXIST: made).
//    n > 0: n bytes at the start of `buffer`; a false answer pauses that pipe until pipeResume. n = 0:
//    the pipe ended (EOF, a reset, an error) and its fd is closed already.
//  - pipeWatch(fd): reads `fd` from now on (it is made non-blocking); 0, or -errno.
//  - pipePause(fd) / pipeResume(fd): stop and start reading it; 0, or -EBADF when not watched.
//  - pipeClose(fd): stops watching it (when watched) and closes it; no callback. 0, or -errno.
// A paused pipe leaves the epoll set (with EPOLLIN off it would still report its hang-up at every
// turn); the loop is kept alive while a pipe is read, as by a reading socket.
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <uv.h>
#include "emperor-native.h"

enum { FREE = 0, READING = 1, PAUSED = 2 };

// Per fd: its state and a generation, so an event already fetched for a pipe closed since (its fd
// maybe reused by a new one) in the same batch is dropped, never read from the new pipe.
typedef struct {
  uint32_t gen;
  uint8_t state;
} pipe_slot;

static struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_ref buffer_ref;
  napi_async_context async;
  char* buffer;
  size_t buffer_len;
  int ep;
  int reading;  // pipes in READING: the poll is referenced while there is one
  pipe_slot* slots;
  int nslots;
  uint32_t gen;
} rd = {.ep = -1};

static void count_reading(int delta) {
  int before = rd.reading;
  rd.reading += delta;
  if (before == 0 && rd.reading > 0) uv_ref((uv_handle_t*)&rd.poll);
  if (before > 0 && rd.reading == 0) uv_unref((uv_handle_t*)&rd.poll);
}

static int add(int fd) {
  struct epoll_event ev;
  ev.events = EPOLLIN;
  ev.data.u64 = ((uint64_t)rd.slots[fd].gen << 32) | (uint32_t)fd;
  if (epoll_ctl(rd.ep, EPOLL_CTL_ADD, fd, &ev) != 0) return -errno;
  rd.slots[fd].state = READING;
  count_reading(1);
  return 0;
}

static void pause_fd(int fd) {
  if (rd.slots[fd].state != READING) return;
  epoll_ctl(rd.ep, EPOLL_CTL_DEL, fd, NULL);
  rd.slots[fd].state = PAUSED;
  count_reading(-1);
}

static void release(int fd) {
  pause_fd(fd);
  rd.slots[fd].state = FREE;
  close(fd);
}

// Calls back (fd, n); its answer, or true when it threw (the exception goes to Node as fatal).
static int call(int fd, int n) {
  napi_value argv[2], cb, recv, result;
  napi_create_int32(rd.env, fd, &argv[0]);
  napi_create_int32(rd.env, n, &argv[1]);
  napi_get_reference_value(rd.env, rd.callback, &cb);
  napi_get_global(rd.env, &recv);
  if (napi_make_callback(rd.env, rd.async, recv, cb, 2, argv, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(rd.env, &err);
    napi_fatal_exception(rd.env, err);
    return 1;
  }
  bool keep = true;
  napi_get_value_bool(rd.env, result, &keep);
  return keep;
}

static void on_readable(uv_poll_t* handle, int status, int events) {
  (void)handle;
  (void)events;
  if (status < 0) return;
  struct epoll_event ev[64];
  int n = epoll_wait(rd.ep, ev, 64, 0);
  if (n <= 0) return;
  napi_handle_scope scope;
  napi_open_handle_scope(rd.env, &scope);
  for (int i = 0; i < n; i++) {
    int fd = (int)(ev[i].data.u64 & 0xffffffffu);
    uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
    if (fd >= rd.nslots || rd.slots[fd].state != READING || rd.slots[fd].gen != gen) continue;
    ssize_t got = read(fd, rd.buffer, rd.buffer_len);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (got <= 0) {
      release(fd);
      call(fd, 0);
      continue;
    }
    // A false answer pauses the pipe, unless the callback already closed or paused it.
    if (!call(fd, (int)got) && rd.slots[fd].gen == gen) pause_fd(fd);
  }
  napi_close_handle_scope(rd.env, scope);
}

static int fd_arg(napi_env env, napi_callback_info info, const char* usage) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, usage);
    return -1;
  }
  return fd;
}

napi_value emperor_pipe_reader(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_valuetype t;
  void* data;
  size_t len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 || napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok || len == 0 ||
      napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "pipeReader(buffer, callback)");
    return NULL;
  }
  if (rd.ep >= 0) return emperor_int(env, -EEXIST);
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return emperor_int(env, -EINVAL);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return emperor_int(env, -errno);
  if (uv_poll_init(loop, &rd.poll, ep) != 0 || uv_poll_start(&rd.poll, UV_READABLE, on_readable) != 0) {
    close(ep);
    return emperor_int(env, -EINVAL);
  }
  uv_unref((uv_handle_t*)&rd.poll);
  rd.ep = ep;
  rd.env = env;
  rd.buffer = data;
  rd.buffer_len = len;
  napi_value name;
  napi_create_string_utf8(env, "emperor:pipes", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[0], 1, &rd.buffer_ref);
  napi_create_reference(env, argv[1], 1, &rd.callback);
  napi_async_init(env, NULL, name, &rd.async);
  return emperor_int(env, 0);
}

napi_value emperor_pipe_watch(napi_env env, napi_callback_info info) {
  int fd = fd_arg(env, info, "pipeWatch(fd)");
  if (fd < 0) return NULL;
  if (rd.ep < 0) return emperor_int(env, -EBADF);
  if (fd >= rd.nslots) {
    int grown = rd.nslots == 0 ? 256 : rd.nslots;
    while (grown <= fd) grown *= 2;
    pipe_slot* slots = realloc(rd.slots, (size_t)grown * sizeof *slots);
    if (slots == NULL) return emperor_int(env, -ENOMEM);
    for (int i = rd.nslots; i < grown; i++) slots[i] = (pipe_slot){0, FREE};
    rd.slots = slots;
    rd.nslots = grown;
  }
  if (rd.slots[fd].state != FREE) return emperor_int(env, -EEXIST);
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return emperor_int(env, -errno);
  rd.slots[fd].gen = ++rd.gen;
  return emperor_int(env, add(fd));
}

napi_value emperor_pipe_pause(napi_env env, napi_callback_info info) {
  int fd = fd_arg(env, info, "pipePause(fd)");
  if (fd < 0) return NULL;
  if (fd >= rd.nslots || rd.slots[fd].state == FREE) return emperor_int(env, -EBADF);
  pause_fd(fd);
  return emperor_int(env, 0);
}

napi_value emperor_pipe_resume(napi_env env, napi_callback_info info) {
  int fd = fd_arg(env, info, "pipeResume(fd)");
  if (fd < 0) return NULL;
  if (fd >= rd.nslots || rd.slots[fd].state == FREE) return emperor_int(env, -EBADF);
  return emperor_int(env, rd.slots[fd].state == PAUSED ? add(fd) : 0);
}

napi_value emperor_pipe_close(napi_env env, napi_callback_info info) {
  int fd = fd_arg(env, info, "pipeClose(fd)");
  if (fd < 0) return NULL;
  if (fd < rd.nslots && rd.slots[fd].state != FREE) {
    release(fd);
    return emperor_int(env, 0);
  }
  return emperor_int(env, close(fd) == 0 ? 0 : -errno);
}
