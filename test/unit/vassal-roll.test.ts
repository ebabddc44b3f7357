// The rolling replacement with `socket`, on the vassal machine with fake instances (states set by hand): every instance
// replaced, no process left untracked, never more than one beyond `instances`, whatever order
// old instances exit in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MachineFleet, type FakeInstance } from './fakes/vassal-fleet.ts';
import type { VassalSpec } from '../../src/config/spec.ts';
import { makeSpec } from './make-spec.ts';

type Fake = FakeInstance;

// The machine's roll over n RUNNING fake instances; `roll.begin()` is an operator's restart.
function fleet(n: number): { roll: { begin(): void; readonly starting: Fake | null }; runners: Fake[]; live: () => number; untracked: () => Fake[] } {
  const spec: VassalSpec = makeSpec({ socket: { kind: 'tcp', host: '127.0.0.1', port: 8000 }, startSecs: 1000, instances: n });
  const m = new MachineFleet(spec);
  m.send({ type: 'resize' });
  for (const f of m.runners) f.set('RUNNING');
  return {
    roll: { begin: () => m.send({ type: 'restart' }), get starting() { return m.starting; } },
    get runners() { return m.runners; },
    live: () => m.live(),
    untracked: () => m.untracked(),
  };
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
