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
//  - notifyListen / notifyClose (native/notify-socket.c): the sd_notify socket, each datagram with its
//    sender's pid (SCM_CREDENTIALS), watched on Node's own loop.
//  - spawnProcess[Async] / watchExits (native/spawn-job.c, spawn.c): a spawn without copying the emperor's
//    page tables, straight into the child's cgroup (on the main thread or libuv's pool), each exit read
//    from a pidfd on one poll.
//  - pipeReader / pipeWatch / pipePause / pipeResume / pipeClose (native/pipe-reader.c): one epoll
//    reader for every child output pipe, in place of a net.Socket per pipe.
//  - mallocTrim (native/malloc-trim.c): the allocator's free pages back to the system after the heap trim.
//  - setFsCreds / restoreFsCreds (native/fs-creds.c): per-thread filesystem credentials, so the main thread opens
//    a vassal's files with its rights while libuv's pool threads keep root's.
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>
#include "emperor-native.h"

// sendDatagram(address: Buffer, message: Buffer): number -- 0, or the errno of socket/sendto.
// The address is the socket path's bytes, or a NUL then the name for an abstract socket; it is
// passed with its exact length (an abstract name is length-sensitive). Never blocks.
static napi_value send_datagram(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return emperor_type_error(env, "sendDatagram(address, message)");
  void* addr;
  size_t addr_len;
  void* msg;
  size_t msg_len;
  if (napi_get_buffer_info(env, argv[0], &addr, &addr_len) != napi_ok) return emperor_type_error(env, "address must be a Buffer");
  if (napi_get_buffer_info(env, argv[1], &msg, &msg_len) != napi_ok) return emperor_type_error(env, "message must be a Buffer");
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (addr_len == 0 || addr_len > sizeof sa.sun_path) return emperor_int(env, ENAMETOOLONG);
  memcpy(sa.sun_path, addr, addr_len);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return emperor_int(env, errno);
  ssize_t n = sendto(fd, msg, msg_len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr*)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + addr_len));
  int err = n < 0 ? errno : 0;
  close(fd);
  return emperor_int(env, err);
}

// socketPair(): [fd, fd] (close-on-exec), or the errno number.
static napi_value socket_pair(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return emperor_int(env, errno);
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, emperor_int(env, fds[0]));
  napi_set_element(env, out, 1, emperor_int(env, fds[1]));
  return out;
}

// pipePair(bytes): [readFd, writeFd, size] of a pipe (both close-on-exec), enlarged to `bytes` where
// the system allows (pipe-max-size, a user's pipe quota), else left at its default; size is what it
// holds then (F_GETPIPE_SZ); or an errno.
static napi_value pipe_pair(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t bytes = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_int32(env, argv[0], &bytes) != napi_ok) return emperor_type_error(env, "pipePair(bytes)");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return emperor_int(env, errno);
  if (bytes > 0) (void)fcntl(fds[1], F_SETPIPE_SZ, bytes);
  int size = fcntl(fds[1], F_GETPIPE_SZ);
  napi_value out;
  napi_create_array_with_length(env, 3, &out);
  napi_set_element(env, out, 0, emperor_int(env, fds[0]));
  napi_set_element(env, out, 1, emperor_int(env, fds[1]));
  napi_set_element(env, out, 2, emperor_int(env, size < 0 ? 0 : size));
  return out;
}

// pipeSize(fd, bytes): resizes the pipe of `fd` (either end) to `bytes` (F_SETPIPE_SZ), so a log pipe
// can start small and grow only while its child writes fast; the size it has then, or -errno (EBUSY:
// it holds more than `bytes`; EPERM: past pipe-max-size or the user's pipe quota).
static napi_value pipe_size(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1, bytes = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &bytes) != napi_ok) return emperor_type_error(env, "pipeSize(fd, bytes)");
  int size = fcntl(fd, F_SETPIPE_SZ, bytes);
  return emperor_int(env, size < 0 ? -errno : size);
}

// listenSocket(host: string, port: number, backlog: number): fd, or -errno (-EAI... for a bad
// address as -EINVAL). listenSocket(path: string, -1, backlog): a Unix socket at path. The socket is
// close-on-exec (children get it as fd 3 through dup2), with SO_REUSEADDR for TCP as every server does.
static napi_value listen_socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return emperor_type_error(env, "listenSocket(host|path, port, backlog)");
  char where[sizeof(((struct sockaddr_un*)0)->sun_path) + 1];
  size_t len = 0;
  int32_t port, backlog;
  size_t full = 0;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &full) != napi_ok) return emperor_type_error(env, "host or path must be a string");
  if (full >= sizeof where) return emperor_int(env, -ENAMETOOLONG);
  napi_get_value_string_utf8(env, argv[0], where, sizeof where, &len);
  if (napi_get_value_int32(env, argv[1], &port) != napi_ok || napi_get_value_int32(env, argv[2], &backlog) != napi_ok) return emperor_type_error(env, "port and backlog must be numbers");
  int fd;
  if (port < 0) {
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (len == 0 || len >= sizeof sa.sun_path) return emperor_int(env, -ENAMETOOLONG);
    memcpy(sa.sun_path, where, len);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return emperor_int(env, -errno);
    if (bind(fd, (struct sockaddr*)&sa, sizeof sa) != 0 || listen(fd, backlog) != 0) {
      int err = errno;
      close(fd);
      return emperor_int(env, -err);
    }
    return emperor_int(env, fd);
  }
  if (port > 65535) return emperor_int(env, -EINVAL);
  char service[8];
  snprintf(service, sizeof service, "%d", port);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  if (getaddrinfo(where, service, &hints, &res) != 0 || res == NULL) return emperor_int(env, -EINVAL);
  fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    freeaddrinfo(res);
    return emperor_int(env, -err);
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = bind(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0 || listen(fd, backlog) != 0) {
    int err = errno;
    close(fd);
    return emperor_int(env, -err);
  }
  return emperor_int(env, fd);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sendDatagram", NULL, send_datagram, NULL, NULL, NULL, napi_default, NULL},
      {"socketPair", NULL, socket_pair, NULL, NULL, NULL, napi_default, NULL},
      {"pipePair", NULL, pipe_pair, NULL, NULL, NULL, napi_default, NULL},
      {"pipeSize", NULL, pipe_size, NULL, NULL, NULL, napi_default, NULL},
      {"restTimer", NULL, emperor_rest_timer, NULL, NULL, NULL, napi_default, NULL},
      {"restTimerArm", NULL, emperor_rest_timer_arm, NULL, NULL, NULL, napi_default, NULL},
      {"listenSocket", NULL, listen_socket, NULL, NULL, NULL, napi_default, NULL},
      {"setFsCreds", NULL, emperor_set_fs_creds, NULL, NULL, NULL, napi_default, NULL},
      {"restoreFsCreds", NULL, emperor_restore_fs_creds, NULL, NULL, NULL, napi_default, NULL},
      {"notifyListen", NULL, emperor_notify_listen, NULL, NULL, NULL, napi_default, NULL},
      {"notifyClose", NULL, emperor_notify_close, NULL, NULL, NULL, napi_default, NULL},
      {"spawnProcess", NULL, emperor_spawn_process, NULL, NULL, NULL, napi_default, NULL},
      {"watchExits", NULL, emperor_watch_exits, NULL, NULL, NULL, napi_default, NULL},
      {"spawnProcessAsync", NULL, emperor_spawn_process_async, NULL, NULL, NULL, napi_default, NULL},
      {"pipeReader", NULL, emperor_pipe_reader, NULL, NULL, NULL, napi_default, NULL},
      {"pipeWatch", NULL, emperor_pipe_watch, NULL, NULL, NULL, napi_default, NULL},
      {"pipePause", NULL, emperor_pipe_pause, NULL, NULL, NULL, napi_default, NULL},
      {"pipeResume", NULL, emperor_pipe_resume, NULL, NULL, NULL, napi_default, NULL},
      {"pipeClose", NULL, emperor_pipe_close, NULL, NULL, NULL, napi_default, NULL},
      {"mallocTrim", NULL, emperor_malloc_trim, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
