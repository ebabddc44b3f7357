// The native helper's notifyListen / notifyClose (native/emperor-native.c lists the whole helper): a
// bound AF_UNIX datagram socket that receives vassals' sd_notify messages with the sender's pid (SO_PASSCRED / SCM_CREDENTIALS), watched by libuv (uv_poll) on
// Node's own loop, so each datagram reaches JavaScript as soon as it arrives, with no thread and no
// polling interval. Node has no Unix datagram sockets and cannot read ancillary data.
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>
#include "emperor-native.h"

// One notification socket: its libuv poll handle and the JavaScript function each datagram goes to.
typedef struct notify_receiver {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int fd;
  struct notify_receiver* next;
} notify_receiver;

static notify_receiver* receivers = NULL;

// systemd's NOTIFY_BUFFER_MAX: a longer datagram is cut (and its tail dropped), as systemd does.
#define NOTIFY_BUFFER_MAX 4096
// Datagrams handed over per wakeup: a flood cannot hold the loop; the rest wait for the next turn.
#define NOTIFY_BATCH 64

// Reads what is queued (non-blocking) and calls back (pid, message) for each datagram; any
// descriptors passed along (FDSTORE=1) are closed at once, never kept.
static void on_notify_readable(uv_poll_t* handle, int status, int events) {
  (void)events;
  notify_receiver* r = (notify_receiver*)handle->data;
  if (status < 0) return;
  napi_handle_scope scope;
  napi_open_handle_scope(r->env, &scope);
  for (int i = 0; i < NOTIFY_BATCH; i++) {
    char buf[NOTIFY_BUFFER_MAX];
    union {
      struct cmsghdr align;
      char space[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
    } control;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    ssize_t n = recvmsg(r->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (n < 0) break;
    int pid = 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
        struct ucred cred;
        memcpy(&cred, CMSG_DATA(c), sizeof cred);
        pid = (int)cred.pid;
      } else if (c->cmsg_type == SCM_RIGHTS) {
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t k = 0; k < count; k++) {
          int passed;
          memcpy(&passed, CMSG_DATA(c) + k * sizeof(int), sizeof passed);
          close(passed);
        }
      }
    }
    size_t len = (size_t)n > sizeof buf ? sizeof buf : (size_t)n;
    napi_value argv[2], cb, recv, result, data;
    void* copy;
    napi_create_int32(r->env, pid, &argv[0]);
    napi_create_buffer(r->env, len, &copy, &data);
    memcpy(copy, buf, len);
    argv[1] = data;
    napi_get_reference_value(r->env, r->callback, &cb);
    // The receiver must be an object for make_callback: the global one, as for any loop callback.
    napi_get_global(r->env, &recv);
    // make_callback runs the microtasks after it, as any callback from the loop does.
    if (napi_make_callback(r->env, r->async, recv, cb, 2, argv, &result) == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(r->env, &err);
      napi_fatal_exception(r->env, err);
      break;
    }
  }
  napi_close_handle_scope(r->env, scope);
}

// notifyListen(path: string, callback(pid, message)): fd, or -errno. Binds a datagram socket at path
// (which must not exist), mode 0666 so a vassal running as any user can send to it (every message is
// judged by its sender's pid), close-on-exec and non-blocking, and watches it on Node's loop.
napi_value emperor_notify_listen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return emperor_type_error(env, "notifyListen(path, callback)");
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  size_t full = 0, len = 0;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &full) != napi_ok) return emperor_type_error(env, "path must be a string");
  if (full == 0 || full >= sizeof sa.sun_path) return emperor_int(env, -ENAMETOOLONG);
  napi_get_value_string_utf8(env, argv[0], sa.sun_path, sizeof sa.sun_path, &len);
  napi_valuetype t;
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) return emperor_type_error(env, "callback must be a function");
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return emperor_int(env, -EINVAL);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return emperor_int(env, -errno);
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0 || bind(fd, (struct sockaddr*)&sa, sizeof sa) != 0 || chmod(sa.sun_path, 0666) != 0) {
    int err = errno;
    close(fd);
    return emperor_int(env, -err);
  }
  notify_receiver* r = calloc(1, sizeof *r);
  if (r == NULL) {
    close(fd);
    return emperor_int(env, -ENOMEM);
  }
  r->env = env;
  r->fd = fd;
  napi_value name;
  napi_create_string_utf8(env, "emperor:notify", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[1], 1, &r->callback);
  napi_async_init(env, NULL, name, &r->async);
  int rc = uv_poll_init(loop, &r->poll, fd);
  r->poll.data = r;
  if (rc == 0) rc = uv_poll_start(&r->poll, UV_READABLE, on_notify_readable);
  if (rc != 0) {
    napi_delete_reference(env, r->callback);
    napi_async_destroy(env, r->async);
    close(fd);
    free(r);
    return emperor_int(env, -EINVAL);
  }
  r->next = receivers;
  receivers = r;
  return emperor_int(env, fd);
}

static void free_receiver(uv_handle_t* handle) {
  notify_receiver* r = (notify_receiver*)handle->data;
  close(r->fd);
  free(r);
}

// notifyClose(fd): stops watching and closes a socket notifyListen made; 0, or EBADF for another fd.
napi_value emperor_notify_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return emperor_type_error(env, "notifyClose(fd)");
  for (notify_receiver** p = &receivers; *p != NULL; p = &(*p)->next) {
    notify_receiver* r = *p;
    if (r->fd != fd) continue;
    *p = r->next;
    uv_poll_stop(&r->poll);
    napi_delete_reference(env, r->callback);
    napi_async_destroy(env, r->async);
    uv_close((uv_handle_t*)&r->poll, free_receiver);
    return emperor_int(env, 0);
  }
  return emperor_int(env, EBADF);
}
