// `depends = NAME:completed`: a one-shot (migrations, say) must have EXITED with a success code first.
import type { VassalSpec } from '../config/spec.ts';
import { readinessOf } from '../config/readiness-spec.ts';
import type { Vassal } from './vassal.ts';

/** How waits for completion are marked among a vassal's `waitingFor` names. */
const MARK = ':completed';

/** Why each `NAME:completed` of `spec` is not satisfied yet, as `NAME:completed` entries for `waitingFor`. */
export function completedWaits(spec: VassalSpec | null, lookup: (name: string) => Vassal | undefined): string[] {
  if (spec === null) return [];
  return readinessOf(spec).dependsCompleted.filter((name) => !completed(lookup(name))).map((name) => `${name}${MARK}`);
}

/** Whether a one-shot did its job: EXITED, every instance's last exit a success. */
function completed(dep: Vassal | undefined): boolean {
  const spec = dep?.spec ?? null;
  if (dep === undefined || spec === null || dep.instanceState !== 'EXITED') return false;
  return dep.instances.every((r) => {
    const e = r.state.lastExit;
    return e !== null && e.signal === null && e.code !== null && spec.exitCodes.includes(e.code);
  });
}

/** The `error` of a vassal held back by its dependencies: what each wait is for, and why it lasts. */
export function waitingMessage(waitingFor: readonly string[], lookup: (name: string) => Vassal | undefined): string {
  const running = waitingFor.filter((w) => !w.endsWith(MARK));
  const parts = running.length > 0 ? [`waiting for ${running.join(', ')} to be RUNNING (depends)`] : [];
  for (const w of waitingFor.filter((x) => x.endsWith(MARK))) {
    const name = w.slice(0, -MARK.length);
    const dep = lookup(name);
    const spec = dep?.spec ?? null;
    if (dep === undefined) parts.push(`waiting for ${name} to complete (depends = ${w}): there is no vassal ${name}`);
    else if (spec !== null && spec.restart === 'always') {
      parts.push(`waiting for ${name} to complete (depends = ${w}), but ${name} has \`restart = always\` and never completes; set \`restart = on-failure\` or \`never\` in ${spec.file}`);
    } else if (dep.instanceState === 'EXITED' || dep.instanceState === 'FATAL' || dep.instanceState === 'BACKOFF') {
      const why = dep.error ?? 'it did not exit with a code in its `exit-codes`';
      parts.push(`waiting for ${name} to complete (depends = ${w}): its last run failed (${why}); it runs again when its file changes or on \`emperorctl start ${name}\``);
    } else parts.push(`waiting for ${name} to complete (depends = ${w})`);
  }
  return parts.join('; ');
}
