// A real Vassal over fake services, for unit tests of the runtime: built, driven, disposed.
import { Vassal } from '../../../src/runtime/vassal.ts';
import type { VassalSpec } from '../../../src/config/spec.ts';
import { makeSpec } from '../make-spec.ts';
import { vassalFakes, type VassalFakes } from './vassal-services.ts';

/** A spec whose processes are RUNNING as soon as they are spawned (start-secs 0), so no lifecycle timer runs. */
export function quickSpec(overrides: Partial<VassalSpec> = {}): VassalSpec {
  return makeSpec({ command: ['/bin/sh', '-c', 'sleep 1000'], directory: '/tmp', startSecs: 0, ...overrides });
}

/** A vassal of `spec` with fresh fakes; `fn` drives it, and the vassal is disposed whatever happens. */
export async function withVassal(spec: VassalSpec, fn: (v: Vassal, f: VassalFakes) => Promise<void> | void): Promise<void> {
  const f = vassalFakes();
  const v = new Vassal(spec.name, spec, { file: spec.file, error: null, version: '1' }, f.services);
  try {
    await fn(v, f);
  } finally {
    v.dispose();
  }
}

/** The pids of the vassal's instances, in index order. */
export function pids(v: Vassal): Array<number | null> {
  return v.instances.map((r) => r.state.pid);
}

/** Messages of the vassal-level event lines (those without a state). */
export function notes(f: VassalFakes): string[] {
  return f.events.filter((e) => e.message !== undefined).map((e) => e.message ?? '');
}
