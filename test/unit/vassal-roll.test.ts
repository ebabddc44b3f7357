// The rolling replacement with `socket`, on stand-in runners (states set by hand): every instance
// replaced, no process left untracked, never more than one beyond `instances`, whatever order
// old instances exit in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RollingRestart } from '../../src/runtime/vassal-roll.ts';
import type { InstanceRunner } from '../../src/runtime/instance-runner.ts';
import type { EventLog } from '../../src/runtime/event-log.ts';
import type { VassalSpec } from '../../src/config/spec.ts';
import { makeSpec } from './make-spec.ts';

type State = 'STOPPED' | 'STARTING' | 'RUNNING' | 'STOPPING' | 'EXITED' | 'BACKOFF' | 'FATAL';

interface Fake {
  index: number;
  state: { state: State; pid: number | null; error: string | null; restarts: number; lastExit: null };
  dispatch(ev: { type: string }): void;
  set(s: State): void;
}

function fleet(n: number): { roll: RollingRestart; runners: Fake[]; retiring: Set<Fake>; all: Fake[]; live: () => number; untracked: () => Fake[] } {
  const all: Fake[] = [];
  const retiring = new Set<Fake>();
  let pid = 100;
  let roll: RollingRestart | null = null;
  const hasProc = (s: State): boolean => s === 'STARTING' || s === 'RUNNING' || s === 'STOPPING';
  const mk = (index: number, state: State): Fake => {
    const f: Fake = {
      index,
      state: { state, pid: hasProc(state) ? pid++ : null, error: null, restarts: 0, lastExit: null },
      dispatch(ev) {
        const s = f.state.state;
        if (ev.type === 'start') f.set('STARTING');
        else if (ev.type === 'stop') {
          if (s === 'RUNNING' || s === 'STARTING') f.set('STOPPING');
          else if (s === 'BACKOFF' || s === 'EXITED' || s === 'FATAL') f.set('STOPPED');
        }
      },
      set(s) {
        f.state = { ...f.state, state: s, pid: hasProc(s) ? (f.state.pid ?? pid++) : null };
        roll?.changed(f as unknown as InstanceRunner, retiring.has(f));
      },
    };
    all.push(f);
    return f;
  };
  const runners = Array.from({ length: n }, (_, i) => mk(i, 'RUNNING'));
  const spec: VassalSpec = makeSpec({ socket: { kind: 'tcp', host: '127.0.0.1', port: 8000 }, startSecs: 1000 });
  // Stand-ins typed as the real things: the roll only reads what these fakes have.
  roll = new RollingRestart({
    name: 'v',
    events: { write: () => {} } as unknown as EventLog,
    spec: () => spec,
    instances: () => runners as unknown as InstanceRunner[],
    newRunner: (i) => mk(i, 'STOPPED') as unknown as InstanceRunner,
    replace: (i, r) => void (runners[i] = r as unknown as Fake),
    retire: (r) => void retiring.add(r as unknown as Fake),
  });
  const live = (): number => all.filter((f) => hasProc(f.state.state)).length;
  const untracked = (): Fake[] => {
    const starting = roll?.starting as unknown as Fake | null;
    return all.filter((f) => hasProc(f.state.state) && !runners.includes(f) && !retiring.has(f) && f !== starting);
  };
  return { roll, runners, retiring, all, live, untracked };
}

test('an old instance that exits cleanly while its replacement starts: the roll goes on, nothing untracked', () => {
  const f = fleet(3);
  const old = [...f.runners];
  f.roll.begin();
  const rep0 = f.roll.starting as unknown as Fake;
  f.runners[0]!.set('EXITED');
  rep0.set('RUNNING');
  assert.deepEqual(f.untracked(), []);
  for (let i = 1; i < 3; i++) {
    const rep = f.roll.starting as unknown as Fake;
    assert.equal(rep.index, i, `the replacement of instance ${i} starts`);
    rep.set('RUNNING');
    assert.deepEqual(f.untracked(), []);
    old[i]!.set('STOPPED'); // drained and gone
  }
  assert.equal(f.roll.starting, null);
  assert.ok(f.runners.every((r) => !old.includes(r) && r.state.state === 'RUNNING'), 'every instance replaced');
});

test('the next replacement waits until the process it replaced has drained: never more than instances + 1', () => {
  const f = fleet(3);
  const old = [...f.runners];
  f.roll.begin();
  let most = f.live();
  for (let i = 0; i < 3; i++) {
    const rep = f.roll.starting as unknown as Fake;
    assert.equal(rep.index, i);
    rep.set('RUNNING');
    most = Math.max(most, f.live());
    assert.equal(f.roll.starting, null, 'no new replacement while the old process drains');
    old[i]!.set('STOPPED');
    most = Math.max(most, f.live());
  }
  assert.equal(most, 4);
  assert.deepEqual(f.untracked(), []);
});
