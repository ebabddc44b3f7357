// The native helper's setFsCreds / restoreFsCreds (native/emperor-native.c lists the whole helper):
// per-thread filesystem credentials (setfsuid, setfsgid and a raw setgroups, which glibc would
// otherwise broadcast to every thread), so that the main thread can open a vassal's log file or
// pidfile with that vassal's rights while libuv's pool threads keep root's.
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include "emperor-native.h"

#define MAX_GROUPS 1024

static gid_t saved_groups[MAX_GROUPS];
static int saved_count = -1;
static uid_t saved_fsuid;
static gid_t saved_fsgid;

static int get_u32(napi_env env, napi_value v, uint32_t* out) {
  return napi_get_value_uint32(env, v, out) == napi_ok ? 0 : -1;
}

// setFsCreds(uid: number, gid: number, groups: number[]): number -- 0 or an errno. Changes only the
// calling thread's filesystem uid/gid and supplementary groups; restoreFsCreds() undoes it.
napi_value emperor_set_fs_creds(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return emperor_type_error(env, "setFsCreds(uid, gid, groups)");
  uint32_t uid, gid, count;
  if (get_u32(env, argv[0], &uid) || get_u32(env, argv[1], &gid)) return emperor_type_error(env, "uid and gid must be numbers");
  bool is_array = false;
  if (napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array) return emperor_type_error(env, "groups must be an array");
  napi_get_array_length(env, argv[2], &count);
  if (count > MAX_GROUPS) return emperor_int(env, EINVAL);
  gid_t groups[MAX_GROUPS];
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    uint32_t g;
    if (napi_get_element(env, argv[2], i, &item) != napi_ok || get_u32(env, item, &g)) return emperor_type_error(env, "groups must be numbers");
    groups[i] = (gid_t)g;
  }
  if (saved_count >= 0) return emperor_int(env, EBUSY);  // not nested: restore first
  int n = getgroups(MAX_GROUPS, saved_groups);
  if (n < 0) return emperor_int(env, errno);
  saved_count = n;
  saved_fsuid = (uid_t)setfsuid((uid_t)-1);
  saved_fsgid = (gid_t)setfsgid((gid_t)-1);
  if (syscall(SYS_setgroups, (size_t)count, groups) != 0) {
    int err = errno;
    saved_count = -1;
    return emperor_int(env, err);
  }
  setfsgid((gid_t)gid);
  setfsuid((uid_t)uid);
  // setfs*id report the previous id whatever happened; read them back to know they took.
  if ((uid_t)setfsuid((uid_t)-1) != (uid_t)uid || (gid_t)setfsgid((gid_t)-1) != (gid_t)gid) {
    setfsuid(saved_fsuid);
    setfsgid(saved_fsgid);
    syscall(SYS_setgroups, (size_t)saved_count, saved_groups);
    saved_count = -1;
    return emperor_int(env, EPERM);
  }
  return emperor_int(env, 0);
}

// restoreFsCreds(): number -- 0, or an errno when the thread could not get its own rights back.
napi_value emperor_restore_fs_creds(napi_env env, napi_callback_info info) {
  (void)info;
  if (saved_count < 0) return emperor_int(env, 0);
  setfsuid(saved_fsuid);
  setfsgid(saved_fsgid);
  int err = syscall(SYS_setgroups, (size_t)saved_count, saved_groups) != 0 ? errno : 0;
  if ((uid_t)setfsuid((uid_t)-1) != saved_fsuid || (gid_t)setfsgid((gid_t)-1) != saved_fsgid) err = EPERM;
  saved_count = -1;
  return emperor_int(env, err);
}
