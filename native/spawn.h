// What native/spawn.c (the exits), native/spawn-job.c (the JavaScript side of a spawn) and native/spawn-child.c (the child) share.
#ifndef EMPEROR_SPAWN_H
#define EMPEROR_SPAWN_H

#define MAX_CHILD_FDS 8
#define CHILD_STACK (64 * 1024)

// What the child needs, all prepared by the parent (the child allocates nothing).
typedef struct spawn_args {
  const char* file;
  char** argv;
  char** envp;
  const char* cwd;
  const char* cgroup_procs;
  int fds[MAX_CHILD_FDS];
  int nfds;
  int umask_value;
  int in_cgroup;  // clone3 put the child in its cgroup already
  volatile int err;  // written by the child (shared memory) before it exits: the parent reads it
  volatile int stage;  // the step the child is at (STAGE_*): a failure says which
} spawn_args;

// The child's steps, in the failure's bits 16 and up: -(errno | stage << 16).
enum { STAGE_SPAWN = 0, STAGE_CGROUP = 1, STAGE_FDS = 2, STAGE_CWD = 3, STAGE_EXEC = 4 };

// Starts the child on `stack` (CHILD_STACK bytes) and returns once it has exec'd or failed (vfork):
// its pid with *pidfd set, or -errno (a->stage says where when the child got that far).
int start_child(spawn_args* a, void* stack, int* pidfd);

// native/spawn.c, main thread only: a started child joins the exit watch (its pid, or -errno after it was
// killed and reaped: a child must not run unwatched); whether watchExits was called.
int watch_child(int pid, int pidfd);
int exits_watched(void);

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

#endif
