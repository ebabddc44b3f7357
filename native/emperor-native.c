// emperor's native helper: the two things Node cannot do (N-API, so one build serves every Node >= 20).
//  - sendDatagram: one AF_UNIX datagram to a path or an abstract address, for sd_notify. Node has no
//    Unix datagram sockets, and the notification must come from the emperor's own pid (NotifyAccess=main).
//  - socketPair: a connected pair of Unix stream sockets for a child's output, with no listener any
//    local user could reach (Node can only make one by connecting to a listening socket).
//  - pipePair / pipeSize: a pipe for a child's output, resized (F_SETPIPE_SZ, which Node cannot do): 1 MiB
//    while the child writes fast, so its small writes gather between two of the emperor's reads instead
//    of waking it at each; the default 64 KiB while it is quiet (a 1 MiB pipe takes 15 KB more kernel memory).
//  - listenSocket: a bound, listening TCP or Unix socket that nothing in the emperor accepts on, for
//    socket activation (Node binds only with an accept loop attached).
//  - notifyListen / notifyClose: a bound AF_UNIX datagram socket that receives vassals' sd_notify
//    messages with the sender's pid (SO_PASSCRED / SCM_CREDENTIALS), watched by libuv (uv_poll) on
//    Node's own loop, so each datagram reaches JavaScript as soon as it arrives, with no thread and no
//    polling interval. Node has no Unix datagram sockets and cannot read ancillary data.
//  - spawnProcess[Async] / watchExits (native/spawn-job.c, spawn.c): a spawn without copying the emperor's
//    page tables, straight into the child's cgroup (on the main thread or libuv's pool), each exit read
//    from a pidfd on one poll.
//  - setFsCreds / restoreFsCreds: per-thread filesystem credentials (setfsuid, setfsgid and a raw
//    setgroups, which glibc would otherwise broadcast to every thread), so that the main thread can
//    open a vassal's log file or pidfile with that vassal's rights while libuv's pool threads keep root's.
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <uv.h>

#define MAX_GROUPS 1024

static gid_t saved_groups[MAX_GROUPS];
static int saved_count = -1;
static uid_t saved_fsuid;
static gid_t saved_fsgid;

static napi_value int_value(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static napi_value type_error(napi_env env, const char* message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

// sendDatagram(address: Buffer, message: Buffer): number -- 0, or the errno of socket/sendto.
// The address is the socket path's bytes, or a NUL then the name for an abstract socket; it is
// passed with its exact length (an abstract name is length-sensitive). Never blocks.
static napi_value send_datagram(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return type_error(env, "sendDatagram(address, message)");
  void* addr;
  size_t addr_len;
  void* msg;
  size_t msg_len;
  if (napi_get_buffer_info(env, argv[0], &addr, &addr_len) != napi_ok) return type_error(env, "address must be a Buffer");
  if (napi_get_buffer_info(env, argv[1], &msg, &msg_len) != napi_ok) return type_error(env, "message must be a Buffer");
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (addr_len == 0 || addr_len > sizeof sa.sun_path) return int_value(env, ENAMETOOLONG);
  memcpy(sa.sun_path, addr, addr_len);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return int_value(env, errno);
  ssize_t n = sendto(fd, msg, msg_len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr*)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + addr_len));
  int err = n < 0 ? errno : 0;
  close(fd);
  return int_value(env, err);
}

// socketPair(): [fd, fd] (close-on-exec), or the errno number.
static napi_value socket_pair(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return int_value(env, errno);
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, int_value(env, fds[0]));
  napi_set_element(env, out, 1, int_value(env, fds[1]));
  return out;
}

// pipePair(bytes): [readFd, writeFd, size] of a pipe (both close-on-exec), enlarged to `bytes` where
// the system allows (pipe-max-size, a user's pipe quota), else left at its default; size is what it
// holds then (F_GETPIPE_SZ); or an errno.
static napi_value pipe_pair(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t bytes = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_int32(env, argv[0], &bytes) != napi_ok) return type_error(env, "pipePair(bytes)");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return int_value(env, errno);
  if (bytes > 0) (void)fcntl(fds[1], F_SETPIPE_SZ, bytes);
  int size = fcntl(fds[1], F_GETPIPE_SZ);
  napi_value out;
  napi_create_array_with_length(env, 3, &out);
  napi_set_element(env, out, 0, int_value(env, fds[0]));
  napi_set_element(env, out, 1, int_value(env, fds[1]));
  napi_set_element(env, out, 2, int_value(env, size < 0 ? 0 : size));
  return out;
}

// pipeSize(fd, bytes): resizes the pipe of `fd` (either end) to `bytes` (F_SETPIPE_SZ), so a log pipe
// can start small and grow only while its child writes fast; the size it has then, or -errno (EBUSY:
// it holds more than `bytes`; EPERM: past pipe-max-size or the user's pipe quota).
static napi_value pipe_size(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1, bytes = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &bytes) != napi_ok) return type_error(env, "pipeSize(fd, bytes)");
  int size = fcntl(fd, F_SETPIPE_SZ, bytes);
  return int_value(env, size < 0 ? -errno : size);
}

// listenSocket(host: string, port: number, backlog: number): fd, or -errno (-EAI... for a bad
// address as -EINVAL). listenSocket(path: string, -1, backlog): a Unix socket at path. The socket is
// close-on-exec (children get it as fd 3 through dup2), with SO_REUSEADDR for TCP as every server does.
static napi_value listen_socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return type_error(env, "listenSocket(host|path, port, backlog)");
  char where[sizeof(((struct sockaddr_un*)0)->sun_path) + 1];
  size_t len = 0;
  int32_t port, backlog;
  size_t full = 0;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &full) != napi_ok) return type_error(env, "host or path must be a string");
  if (full >= sizeof where) return int_value(env, -ENAMETOOLONG);
  napi_get_value_string_utf8(env, argv[0], where, sizeof where, &len);
  if (napi_get_value_int32(env, argv[1], &port) != napi_ok || napi_get_value_int32(env, argv[2], &backlog) != napi_ok) return type_error(env, "port and backlog must be numbers");
  int fd;
  if (port < 0) {
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (len == 0 || len >= sizeof sa.sun_path) return int_value(env, -ENAMETOOLONG);
    memcpy(sa.sun_path, where, len);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return int_value(env, -errno);
    if (bind(fd, (struct sockaddr*)&sa, sizeof sa) != 0 || listen(fd, backlog) != 0) {
      int err = errno;
      close(fd);
      return int_value(env, -err);
    }
    return int_value(env, fd);
  }
  if (port > 65535) return int_value(env, -EINVAL);
  char service[8];
  snprintf(service, sizeof service, "%d", port);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  if (getaddrinfo(where, service, &hints, &res) != 0 || res == NULL) return int_value(env, -EINVAL);
  fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    freeaddrinfo(res);
    return int_value(env, -err);
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = bind(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0 || listen(fd, backlog) != 0) {
    int err = errno;
    close(fd);
    return int_value(env, -err);
  }
  return int_value(env, fd);
}

static int get_u32(napi_env env, napi_value v, uint32_t* out) {
  return napi_get_value_uint32(env, v, out) == napi_ok ? 0 : -1;
}

// setFsCreds(uid: number, gid: number, groups: number[]): number -- 0 or an errno. Changes only the
// calling thread's filesystem uid/gid and supplementary groups; restoreFsCreds() undoes it.
static napi_value set_fs_creds(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return type_error(env, "setFsCreds(uid, gid, groups)");
  uint32_t uid, gid, count;
  if (get_u32(env, argv[0], &uid) || get_u32(env, argv[1], &gid)) return type_error(env, "uid and gid must be numbers");
  bool is_array = false;
  if (napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array) return type_error(env, "groups must be an array");
  napi_get_array_length(env, argv[2], &count);
  if (count > MAX_GROUPS) return int_value(env, EINVAL);
  gid_t groups[MAX_GROUPS];
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    uint32_t g;
    if (napi_get_element(env, argv[2], i, &item) != napi_ok || get_u32(env, item, &g)) return type_error(env, "groups must be numbers");
    groups[i] = (gid_t)g;
  }
  if (saved_count >= 0) return int_value(env, EBUSY);  // not nested: restore first
  int n = getgroups(MAX_GROUPS, saved_groups);
  if (n < 0) return int_value(env, errno);
  saved_count = n;
  saved_fsuid = (uid_t)setfsuid((uid_t)-1);
  saved_fsgid = (gid_t)setfsgid((gid_t)-1);
  if (syscall(SYS_setgroups, (size_t)count, groups) != 0) {
    int err = errno;
    saved_count = -1;
    return int_value(env, err);
  }
  setfsgid((gid_t)gid);
  setfsuid((uid_t)uid);
  // setfs*id report the previous id whatever happened; read them back to know they took.
  if ((uid_t)setfsuid((uid_t)-1) != (uid_t)uid || (gid_t)setfsgid((gid_t)-1) != (gid_t)gid) {
    setfsuid(saved_fsuid);
    setfsgid(saved_fsgid);
    syscall(SYS_setgroups, (size_t)saved_count, saved_groups);
    saved_count = -1;
    return int_value(env, EPERM);
  }
  return int_value(env, 0);
}

// restoreFsCreds(): number -- 0, or an errno when the thread could not get its own rights back.
static napi_value restore_fs_creds(napi_env env, napi_callback_info info) {
  (void)info;
  if (saved_count < 0) return int_value(env, 0);
  setfsuid(saved_fsuid);
  setfsgid(saved_fsgid);
  int err = syscall(SYS_setgroups, (size_t)saved_count, saved_groups) != 0 ? errno : 0;
  if ((uid_t)setfsuid((uid_t)-1) != saved_fsuid || (gid_t)setfsgid((gid_t)-1) != saved_fsgid) err = EPERM;
  saved_count = -1;
  return int_value(env, err);
}

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
static napi_value notify_listen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return type_error(env, "notifyListen(path, callback)");
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  size_t full = 0, len = 0;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &full) != napi_ok) return type_error(env, "path must be a string");
  if (full == 0 || full >= sizeof sa.sun_path) return int_value(env, -ENAMETOOLONG);
  napi_get_value_string_utf8(env, argv[0], sa.sun_path, sizeof sa.sun_path, &len);
  napi_valuetype t;
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) return type_error(env, "callback must be a function");
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return int_value(env, -EINVAL);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return int_value(env, -errno);
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0 || bind(fd, (struct sockaddr*)&sa, sizeof sa) != 0 || chmod(sa.sun_path, 0666) != 0) {
    int err = errno;
    close(fd);
    return int_value(env, -err);
  }
  notify_receiver* r = calloc(1, sizeof *r);
  if (r == NULL) {
    close(fd);
    return int_value(env, -ENOMEM);
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
    return int_value(env, -EINVAL);
  }
  r->next = receivers;
  receivers = r;
  return int_value(env, fd);
}

static void free_receiver(uv_handle_t* handle) {
  notify_receiver* r = (notify_receiver*)handle->data;
  close(r->fd);
  free(r);
}

// notifyClose(fd): stops watching and closes a socket notifyListen made; 0, or EBADF for another fd.
static napi_value notify_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return type_error(env, "notifyClose(fd)");
  for (notify_receiver** p = &receivers; *p != NULL; p = &(*p)->next) {
    notify_receiver* r = *p;
    if (r->fd != fd) continue;
    *p = r->next;
    uv_poll_stop(&r->poll);
    napi_delete_reference(env, r->callback);
    napi_async_destroy(env, r->async);
    uv_close((uv_handle_t*)&r->poll, free_receiver);
    return int_value(env, 0);
  }
  return int_value(env, EBADF);
}

// native/spawn-job.c and spawn.c: spawning through a vfork-style clone with pidfds, and the exits of those children.
napi_value emperor_spawn_process(napi_env env, napi_callback_info info);
napi_value emperor_watch_exits(napi_env env, napi_callback_info info);
napi_value emperor_spawn_process_async(napi_env env, napi_callback_info info);
// native/rest-timer.c: sub-millisecond wake-ups for the rests of busy log pipes.
napi_value emperor_rest_timer(napi_env env, napi_callback_info info);
napi_value emperor_rest_timer_arm(napi_env env, napi_callback_info info);
// native/malloc-trim.c: the allocator's free pages back to the system.
napi_value emperor_malloc_trim(napi_env env, napi_callback_info info);

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sendDatagram", NULL, send_datagram, NULL, NULL, NULL, napi_default, NULL},
      {"socketPair", NULL, socket_pair, NULL, NULL, NULL, napi_default, NULL},
      {"pipePair", NULL, pipe_pair, NULL, NULL, NULL, napi_default, NULL},
      {"pipeSize", NULL, pipe_size, NULL, NULL, NULL, napi_default, NULL},
      {"restTimer", NULL, emperor_rest_timer, NULL, NULL, NULL, napi_default, NULL},
      {"restTimerArm", NULL, emperor_rest_timer_arm, NULL, NULL, NULL, napi_default, NULL},
      {"listenSocket", NULL, listen_socket, NULL, NULL, NULL, napi_default, NULL},
      {"setFsCreds", NULL, set_fs_creds, NULL, NULL, NULL, napi_default, NULL},
      {"restoreFsCreds", NULL, restore_fs_creds, NULL, NULL, NULL, napi_default, NULL},
      {"notifyListen", NULL, notify_listen, NULL, NULL, NULL, napi_default, NULL},
      {"notifyClose", NULL, notify_close, NULL, NULL, NULL, napi_default, NULL},
      {"spawnProcess", NULL, emperor_spawn_process, NULL, NULL, NULL, napi_default, NULL},
      {"watchExits", NULL, emperor_watch_exits, NULL, NULL, NULL, napi_default, NULL},
      {"spawnProcessAsync", NULL, emperor_spawn_process_async, NULL, NULL, NULL, napi_default, NULL},
      {"mallocTrim", NULL, emperor_malloc_trim, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
