// Gives the allocator's free pages back to the system, in every arena: after a burst (the start of 1,000
// vassals) V8's compiler threads leave megabytes free but mapped in theirs, and the main arena holds
// freed pages between live chunks. Called once after the heap trim's full collection (src/cli/real-heap.ts).
#include <node_api.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

napi_value emperor_malloc_trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value out;
  napi_get_boolean(env, released != 0, &out);
  return out;
}
