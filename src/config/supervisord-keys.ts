// What a supervisord file may hold: the [program:x] keys supervisord knows, and its other sections.

/** [program:x] keys that become part of the vassal. */
export const MAPPED_KEYS = [
  'command',
  'process_name',
  'numprocs',
  'numprocs_start',
  'directory',
  'environment',
  'user',
  'umask',
  'autostart',
  'autorestart',
  'startsecs',
  'startretries',
  'exitcodes',
  'stopsignal',
  'stopwaitsecs',
  'stopasgroup',
  'killasgroup',
  'redirect_stderr',
  'stdout_logfile',
  'stdout_logfile_maxbytes',
  'stdout_logfile_backups',
  'stderr_logfile',
  'stderr_logfile_maxbytes',
  'stderr_logfile_backups',
] as const;

/** How supervisord reads a key emperor ignores: its value is still checked, since supervisord refuses a bad one. */
export type IgnoredKind = 'integer' | 'boolean' | 'size' | 'text';

/** [program:x] keys supervisord knows that have no equivalent in emperor (a warning each). */
export const IGNORED_KEYS: Readonly<Record<string, IgnoredKind>> = {
  priority: 'integer',
  stdout_capture_maxbytes: 'size',
  stderr_capture_maxbytes: 'size',
  stdout_events_enabled: 'boolean',
  stderr_events_enabled: 'boolean',
  stdout_syslog: 'boolean',
  stderr_syslog: 'boolean',
  serverurl: 'text',
};

/** Every [program:x] key supervisord knows, for "did you mean". */
export const PROGRAM_KEYS: readonly string[] = [...MAPPED_KEYS, ...Object.keys(IGNORED_KEYS)];

/** Native (and other supervisors') names written in a supervisord file, pointed to supervisord's name. */
export const FAMILIAR_PROGRAM_KEYS: Readonly<Record<string, string>> = {
  env: 'environment',
  restart: 'autorestart',
  instances: 'numprocs',
  'stop-timeout': 'stopwaitsecs',
  log: 'stdout_logfile',
  chdir: 'directory',
  cwd: 'directory',
  uid: 'user',
};

/** Whether a section name is a program, a section emperor ignores (with why), or neither. */
export type SectionRole =
  | { role: 'program'; name: string }
  | { role: 'defaults' }
  | { role: 'listener'; name: string }
  | { role: 'ignored'; why: string }
  | { role: 'unsupported'; why: string }
  | { role: 'unknown' };

const IGNORED_SECTIONS: ReadonlyArray<[RegExp, string]> = [
  [/^supervisord$/, 'emperor runs each [program:x] itself'],
  [/^supervisorctl$/, 'emperorctl controls the vassals'],
  [/^(?:unix|inet)_http_server/, 'emperor has its own stats and control sockets'],
  [/^rpcinterface:/, 'emperor has its own control socket (emperorctl)'],
  [/^ctlplugin:/, 'emperorctl has no plugins'],
  [/^include$/, 'emperor reads only the files in its vassal directory; put the included files there'],
  [/^group:/, 'emperor runs each [program:x] as a vassal of its own'],
];

/** The role of a section in a supervisord file. */
export function sectionRole(name: string): SectionRole {
  if (name.startsWith('program:')) return { role: 'program', name: name.slice('program:'.length).trim() };
  if (name === 'DEFAULT') return { role: 'defaults' };
  if (name.startsWith('eventlistener:')) return { role: 'listener', name: name.slice('eventlistener:'.length).trim() };
  for (const [pattern, why] of IGNORED_SECTIONS) if (pattern.test(name)) return { role: 'ignored', why };
  if (name.startsWith('fcgi-program:')) {
    return { role: 'unsupported', why: 'emperor does not run FastCGI programs; run it as a [program:x] that opens its own socket' };
  }
  return { role: 'unknown' };
}

/** Section names a supervisord file may hold, for "did you mean". */
export const SECTION_WORDS = ['program', 'supervisord', 'supervisorctl', 'unix_http_server', 'inet_http_server', 'rpcinterface', 'include', 'group', 'eventlistener'];
