// Checks of a native vassal's keys taken together, once the spec is built: health tuning without a
// check, rotation keys that cannot act, keys that contradict each other. Each is located at its line.
import type { IniEntry } from './ini-source.ts';
import type { Fail } from './native-entries.ts';
import { fieldOf, type NativeKey } from './native-keys.ts';
import { SMART } from './native-smart.ts';
import type { VassalSpec } from './spec.ts';

const HEALTH_TUNING = ['health-interval', 'health-timeout', 'health-retries'] as const;
const ROTATION_KEYS = ['log-max-size', 'log-backups'] as const;

/** Warnings about the health keys: tuning without a check, a timeout longer than the interval. */
export function checkHealth(spec: VassalSpec, entries: ReadonlyMap<NativeKey, IniEntry[]>, warn: Fail): void {
  if (!entries.has('health-check')) {
    for (const key of HEALTH_TUNING) {
      const line = spec.lines[fieldOf(key)];
      if (line === undefined) continue;
      warn(line, `\`${key}\` has no effect without \`health-check\`; add a \`health-check\` or remove the line`);
    }
    return;
  }
  // Only an explicit timeout is questioned; the default one shrinks to a shorter interval.
  if (spec.lines['healthTimeout'] === undefined) {
    spec.healthTimeout = Math.min(spec.healthTimeout, spec.healthInterval);
    return;
  }
  const line = spec.lines['healthTimeout'];
  if (spec.healthTimeout <= spec.healthInterval) return;
  warn(
    line,
    `\`health-timeout\` (${spec.healthTimeout} ms) is longer than \`health-interval\` (${spec.healthInterval} ms), so a slow probe outlasts the interval; make \`health-timeout\` at most \`health-interval\``,
  );
}

/**
 * Warnings about `log-max-size` / `log-backups` that cannot act: a smart-attached daemon writes its
 * own log file, a vassal without a log file logs to the emperor's output, and `log-max-size = 0`
 * never rotates, so it keeps no backups.
 */
export function checkRotation(spec: VassalSpec, warn: Fail): void {
  const smartLine = spec.lines[fieldOf(SMART)];
  const hasLogFile = spec.log !== null || spec.stdoutLog !== null || spec.stderrLog !== null;
  for (const key of ROTATION_KEYS) {
    const line = spec.lines[fieldOf(key)];
    if (line === undefined) continue;
    if (smartLine !== undefined) {
      warn(
        line,
        `\`${key}\` has no effect with \`${SMART}\` (line ${smartLine}): the daemon writes its log file itself, so emperor does not rotate it; remove the line`,
      );
    } else if (!hasLogFile) {
      warn(line, `\`${key}\` has no effect: the vassal logs to the emperor's output; add \`log = PATH\``);
    }
  }
  const backupsLine = spec.lines['logBackups'];
  const sizeLine = spec.lines['logMaxSize'];
  if (smartLine === undefined && hasLogFile && backupsLine !== undefined && sizeLine !== undefined && spec.logMaxSize === 0) {
    warn(backupsLine, `\`log-backups\` has no effect: \`log-max-size = 0\` (line ${sizeLine}) never rotates the log file`);
  }
}

/** Keys that contradict each other. */
export function checkCombinations(spec: VassalSpec, fail: Fail): void {
  const socketLine = spec.lines['socket'];
  const smartLine = spec.lines[fieldOf(SMART)];
  if (socketLine !== undefined && smartLine !== undefined) {
    fail(
      socketLine,
      `\`socket\` cannot be combined with \`${SMART}\` (line ${smartLine}): a daemon outlives the emperor, which holds the socket; let the daemon open its own socket, or run it in the foreground with \`command\``,
    );
  }
  const logLine = spec.lines['log'];
  if (logLine === undefined) return;
  for (const key of ['stdout-log', 'stderr-log'] as const) {
    const line = spec.lines[fieldOf(key)];
    if (line === undefined) continue;
    fail(
      line,
      `\`${key}\` cannot be combined with \`log\` (line ${logLine}), which already takes both streams; use either \`log\` or \`stdout-log\`/\`stderr-log\``,
    );
  }
}
