// Every failure an operator can meet, by code: what it means and the fix. README.md's "Error codes"
// section lists the same codes (test/unit/error-codes.test.ts checks that the two sets are equal).

/** One entry of the registry: what happened and what to do about it. */
export interface ErrorCodeInfo {
  means: string;
  fix: string;
}

/** The registry; the keys are the codes. */
export const ERROR_CODES = {
  E_FILE_UNREADABLE: { means: 'a vassal file (or --config, or a file given to `emperor check`) cannot be read', fix: 'check that it exists and that the emperor may read it' },
  E_FILE_UNTRUSTED: { means: 'as root, a vassal file or a directory above it is owned or writable by someone else', fix: 'chown root and chmod go-w, or run with --tyrant so it runs as its owner' },
  E_FILE_TOO_LARGE: { means: 'a vassal file is larger than a vassal file may be (1 MiB)', fix: 'split it, or move data out of it' },
  E_FILE_OWNER_CHANGED: { means: 'with --tyrant, the file changed hands: its vassal stopped rather than switch users silently', fix: 'touch the file to run it as its new owner' },
  E_INI_SYNTAX: { means: 'a line is not `key = value`, a `[section]` or a comment', fix: 'fix the line the message names' },
  E_DIALECT_UNKNOWN: { means: 'the file has no section emperor knows (`[vassal]`, `[uwsgi]`, `[program:NAME]`)', fix: 'add the section, or rename the file so it is ignored' },
  E_KEY_UNKNOWN: { means: 'a key emperor does not know (the message suggests the closest one)', fix: 'fix its spelling or remove it' },
  E_KEY_REPEATED: { means: 'a key that may appear once is set twice', fix: 'keep one of the lines' },
  E_VALUE_INVALID: { means: 'a value cannot be read as its key expects (a duration, a size, a signal...)', fix: 'write it as the message shows' },
  E_FILE_INVALID: { means: 'the file cannot run as written (a missing `command`, keys that contradict each other...)', fix: 'fix the line the message names' },
  W_FILE_WARNING: { means: 'a warning: the file runs, but a line does not do what it seems to', fix: 'fix or remove the line to silence it' },
  E_ACCOUNT_UNKNOWN: { means: '`user` or `group` names an account that does not exist', fix: 'create it (useradd, groupadd) or fix the key' },
  E_TYRANT_REFUSED: { means: 'with --tyrant, the file asks for more than its owner has (another user or group, a port below 1024)', fix: 'remove the key, or chown the file' },
  E_RIGHTS_UNAVAILABLE: { means: 'the emperor cannot act with a vassal\'s file rights (its native helper is missing or refused)', fix: 'reinstall emperor so its native helper builds (npm ci with a C compiler)' },
  E_SPAWN_NOT_FOUND: { means: 'the command does not exist, or is not in PATH', fix: 'give its absolute path, or install it' },
  E_SPAWN_NOT_EXECUTABLE: { means: 'the command exists but is not executable', fix: 'chmod +x it' },
  E_SPAWN_BAD_INTERPRETER: { means: 'a script\'s `#!` line names an interpreter that does not exist', fix: 'install the interpreter or fix the `#!` line' },
  E_SPAWN_DIRECTORY: { means: '`directory` does not exist, is not a directory, or the vassal\'s user cannot enter it', fix: 'fix `directory` or its permissions' },
  E_SPAWN_LIMIT: { means: 'the system refused a process: out of file descriptors, processes or memory', fix: 'raise the emperor\'s limits (LimitNOFILE=, TasksMax=) or free memory' },
  E_FD_LIMIT: { means: 'the emperor is near its open-file limit: a spawn would take descriptors its sockets need', fix: 'raise its limit (LimitNOFILE= in its unit, ulimit -n), or run fewer vassals' },
  E_SPAWN_FAILED: { means: 'the process could not be started for another reason (the message names it)', fix: 'act on the reason the message gives' },
  E_CGROUP_FAILED: { means: 'a vassal\'s cgroup cannot be made (--cgroup containment is on): the spawn does not happen', fix: 'act on the reason given (a full or read-only cgroup tree, a delegated subtree gone), or pass --cgroup off to run with process groups' },
  E_SPAWN_CANCELLED: { means: 'a start was called off before the process ran (a stop, a removed file, a closed socket)', fix: 'nothing: the next start begins afresh' },
  E_LOG_OPEN: { means: 'a log file cannot be opened (as the vassal\'s user when it has one), or is not a regular file', fix: 'give the user a directory it can write, or point the log elsewhere' },
  E_LOG_WRITE: { means: 'a log file cannot be written or rotated: its lines are dropped and counted', fix: 'free disk space or fix the file\'s permissions; writing resumes by itself' },
  E_LOG_PIPES: { means: 'the pipes that carry output to the log files cannot be created', fix: 'raise the emperor\'s file descriptor limit (LimitNOFILE=)' },
  E_BIND_IN_USE: { means: 'the `socket` address is taken by another program', fix: 'stop that program (ss -ltnp shows it) or choose another address' },
  E_BIND_DENIED: { means: 'the `socket` cannot be bound: a port below 1024 without root, or a path the vassal cannot create', fix: 'run the emperor as root, use a port from 1024, or fix the directory\'s permissions' },
  E_BIND_FAILED: { means: 'the `socket` cannot be bound or listened on for another reason (the message names it)', fix: 'use an address of this machine; act on the reason given' },
  E_PIDFILE_UNREADABLE: { means: 'a daemon\'s pidfile cannot be read (as the vassal\'s user)', fix: 'fix the pidfile\'s path or permissions' },
  E_PIDFILE_TIMEOUT: { means: 'a daemon\'s pidfile never named a live process of this launch within its start time', fix: 'check the daemon\'s own log; raise `start-secs`; use `command` for a program that stays in the foreground' },
  E_PIDFILE_WRITE: { means: 'the emperor cannot write the pidfile of a smart-attach-daemon2 command', fix: 'fix the pidfile\'s directory or permissions' },
  E_DAEMON_RECORD: { means: 'the emperor cannot record a daemon in its state directory: the next emperor may not adopt it', fix: 'fix --state-dir\'s permissions or free disk space' },
  E_HEALTH_FAILED: { means: 'a health check failed (refused, timed out, or an HTTP status of 400 or more)', fix: 'check the program, or `health-check`, `health-timeout` and `health-retries`' },
  E_ALARM_CONFIG: { means: 'an `[alarm:NAME]` section or an `alarm*` key of --config is wrong, or `alarm = NAME` names no section', fix: 'fix the line the message names' },
  E_ALARM_FAILED: { means: 'an alarm could not be delivered: its command failed or timed out, or its webhook failed after its retries', fix: 'run the command or reach the URL by hand; `emperor_alarms_total` counts the failures' },
  E_USAGE: { means: 'a command-line option of emperor or emperorctl is wrong', fix: 'see --help' },
  E_ALREADY_RUNNING: { means: 'another emperor holds the same --state-dir or answers on the same socket', fix: 'stop it, or give this one its own --state-dir' },
  E_CONTROL_UNREACHABLE: { means: 'emperorctl gets no answer from the emperor\'s control socket', fix: 'start the emperor, or pass the right --state-dir' },
  E_METRICS_BIND: { means: 'the metrics address cannot be served (often: another emperor has it)', fix: 'pass --metrics HOST:PORT or --metrics off' },
  E_READINESS_UNAVAILABLE: { means: 'a vassal that says when it is ready (`notify`, a `[uwsgi]` app) cannot get its channel: no native helper, or the notify socket or the uWSGI Emperor pipe cannot be made', fix: 'reinstall emperor so its native helper builds (npm ci with a C compiler); check --state-dir\'s permissions and the file descriptor limit' },
  E_NOTIFY_FAILED: { means: 'the emperor cannot tell systemd it is ready or alive (NOTIFY_SOCKET)', fix: 'check the unit\'s Type=notify and the emperor\'s native helper' },
  E_ETCD_URL: { means: 'a `--vassals etcd://...` URL is malformed', fix: 'write it as etcd://HOST:PORT[,HOST:PORT...]/PREFIX' },
  E_ETCD_KEY: { means: 'a key under an etcd source\'s `all/` or `hosts/HOST/` is not a vassal file name (NAME.ini or NAME.conf)', fix: 'rename the key: etcdctl put the value under a good name, then etcdctl del the old one' },
  E_ETCD_ROOT: { means: 'as root, a vassal from etcd names no `user` (or root): anyone who can write the key would run a command as root', fix: 'add `user = SOMEONE` to the value, or start the emperor with --etcd-allow-root' },
  E_ETCD_UNREACHABLE: { means: 'the etcd cluster cannot be reached: the last known set keeps running', fix: 'check the cluster and the emperor\'s --etcd-* options; it reconnects by itself' },
  E_ETCD_HOST_TAKEN: { means: 'another live emperor holds the presence key of this host name', fix: 'stop it, or give this emperor its own --host-name' },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A code of the registry. */
export type ErrorCode = keyof typeof ERROR_CODES;
