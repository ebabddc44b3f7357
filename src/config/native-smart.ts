// `smart-attach-daemon` in a native [vassal] (SPEC section 5): read the pidfile line, and check what goes with it.

import type { IniEntry } from './ini-source.ts';
import type { Fail, ValueReader } from './native-entries.ts';
import { fieldOf } from './native-keys.ts';
import {
  checkPidfile,
  daemonStartSecs,
  firstWordHint,
  noCommandAfterPidfile,
  shellCommand,
  splitPidfileLine,
} from './smart-daemon.ts';
import type { Templated, VassalSpec } from './spec.ts';

/** The native key of a smart-attached daemon. */
export const SMART = 'smart-attach-daemon';

/** `smart-attach-daemon = PIDFILE COMMAND...`: the absolute pidfile, and COMMAND (verbatim after magic) for `/bin/sh -c`. */
export function readSmartAttach(entry: IniEntry, values: ValueReader): { pidfile: string; command: Templated[] } | null {
  // An indented line continues the command, as a shell's backslash-newline would.
  const { first, rest } = splitPidfileLine(entry.value.replace(/\s*\n\s*/g, ' '));
  if (first === '') {
    values.expand(entry, false);
    return null;
  }
  const pidfile = values.coerce({ ...entry, value: first }, (s) => checkPidfile(s, firstWordHint(SMART)));
  if (pidfile === null) return null;
  if (rest === '') {
    values.report(entry, { message: noCommandAfterPidfile(SMART, pidfile) });
    return null;
  }
  const command = values.expand({ ...entry, value: rest }, false);
  return command === null ? null : { pidfile, command: shellCommand(command) };
}

/** What a smart-attached daemon cannot have (`command`, several instances), and its start time of at least 10 s. */
export function checkSmartAttach(spec: VassalSpec, startSecs: number | null, fail: Fail, warn: Fail): void {
  const smartLine = spec.lines[fieldOf(SMART)] as number;
  const commandLine = spec.lines['command'];
  if (commandLine !== undefined) {
    const [earlier, later] = commandLine < smartLine ? ['command', SMART] : [SMART, 'command'];
    fail(
      Math.max(commandLine, smartLine),
      `\`${later}\` cannot be combined with \`${earlier}\` (line ${Math.min(commandLine, smartLine)}): \`${SMART}\` holds the daemon's command after its pidfile; keep only one of them`,
    );
  }
  const instancesLine = spec.lines['instances'];
  if (instancesLine !== undefined && spec.instances > 1) {
    fail(instancesLine, `\`instances\` must be 1 with \`${SMART}\` (line ${smartLine}): one pidfile names one daemon; write one file per daemon`);
  }
  const start = daemonStartSecs(startSecs);
  if (start.raised) {
    warn(
      spec.lines['startSecs'] as number,
      `\`start-secs\` (${startSecs} ms) is raised to 10s: a smart-attached daemon gets at least 10s to write its pidfile`,
    );
  }
  spec.startSecs = start.ms;
}
