// Chaos: vassal files added, edited, touched, broken, fixed, renamed and deleted at random while vassal processes
// are SIGKILLed, SIGSTOPped and SIGCONTed, `emperorctl stop`/`start` and SIGHUP are sent, and the emperor itself is
// SIGKILLed and started again halfway. Then, within a bound, the invariants of issue 13. Prints its figures.
// CI: 40 vassals for 12 s; EMPEROR_FAULTS_LONG=1: 200 vassals for 60 s (EMPEROR_CHAOS_VASSALS, _SECONDS, _CGROUP=off).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, renameSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { EmperorUnderTest, ctl, vassalFile, waitFor } from '../integration/harness.ts';
import type { StatsDocument } from '../../src/control/protocol.ts';
import { removeSubtreeIfEmpty } from '../../src/io/cgroup-setup.ts';
import { cgroupSafe } from '../../src/core/cgroup-layout.ts';

const LONG = process.env.EMPEROR_FAULTS_LONG === '1';
const VASSALS = Number(process.env.EMPEROR_CHAOS_VASSALS ?? (LONG ? 200 : 40));
const SECONDS = Number(process.env.EMPEROR_CHAOS_SECONDS ?? (LONG ? 60 : 12));
const BOUND_MS = 60_000;
const RUN = String(1000 + Math.floor(Math.random() * 8999));
const QUIET_MS = 500; // a file is left alone this long after a change, so the emperor has seen each version

interface Model {
  gen: number;
  /** the version running: the last valid one the emperor saw; null for a file never valid. */
  good: number | null;
  broken: boolean;
  held: boolean;
  at: number;
}

const marker = (id: string, gen: number): string => `sleep 9${RUN}${id}.${gen}`;
const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim().replace(/^\/bin\//, '');
  } catch {
    return '';
  }
};
// Live (non-zombie) processes of this run: plain vassals' sleeps and the daemons' sleeps.
function ours(prefix: string): number[] {
  const out: number[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    if (!cmdline(Number(n)).startsWith(prefix)) continue;
    try {
      const st = readFileSync(`/proc/${n}/stat`, 'latin1');
      if (!/^[ZX]$/.test(st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3))) out.push(Number(n));
    } catch {
      // gone
    }
  }
  return out;
}
const sig = (pid: number, signal: NodeJS.Signals): boolean => {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
};
const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(Math.random() * xs.length)];

test(`chaos: ${VASSALS} vassals for ${SECONDS} s, an emperor SIGKILL in the middle`, { timeout: (SECONDS + 240) * 1000 }, async () => {
  // EMPEROR_CHAOS_CGROUP=off: the same chaos with process groups only.
  const e = new EmperorUnderTest(process.env.EMPEROR_CHAOS_CGROUP === 'off' ? ['--cgroup', 'off'] : []);
  const files = new Map<string, Model>();
  const stopped = new Set<number>();
  const ops: Record<string, number> = {};
  const count = (op: string): void => void (ops[op] = (ops[op] ?? 0) + 1);
  let next = 0;
  const valid = (id: string, gen: number): string => vassalFile({ command: `/bin/${marker(id, gen)}`, 'stop-timeout': '1s', 'start-retries': 1000, backoff: '200ms', 'backoff-max': '1s' });
  const write = (name: string, m: Model, text: string): void => {
    e.write(`${name}.ini`, text);
    m.at = Date.now();
  };
  const idOf = (name: string): string => name.replace(/^[a-z]+/, '').padStart(4, '0');
  const daemonPids = (): number[] => ours(`sleep 8${RUN}`);
  try {
    await e.start();
    for (const d of [1, 2]) e.write(`daemon${d}.ini`, vassalFile({ 'smart-attach-daemon': `${join(e.root, `d${d}.pid`)} sleep 8${RUN}${d} & echo $! > ${join(e.root, `d${d}.pid`)}`, 'stop-timeout': '1s' }));
    for (; next < VASSALS; next++) {
      const name = `v${next}`;
      const m: Model = { gen: 1, good: 1, broken: false, held: false, at: 0 };
      files.set(name, m);
      write(name, m, valid(idOf(name), 1));
    }
    const contained = /containment: a cgroup per vassal/.test(e.output);
    await waitFor('every vassal RUNNING', async () => (await e.stats()).vassals.filter((v) => v.state === 'RUNNING').length === VASSALS + 2, 120_000, 250);
    const rssOf = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${e.pid}/status`, 'latin1'))?.[1] ?? 0) / 1024;
    const rssBefore = rssOf();
    const t0 = Date.now();
    let killedAt = 0;
    let rssAtKill = 0;
    let survivors = -1;
    let killToClean = 0;
    while (Date.now() - t0 < SECONDS * 1000) {
      if (killedAt === 0 && Date.now() - t0 > (SECONDS * 1000) / 2) {
        // The emperor dies without stopping anything: the guardian must leave no plain vassal behind.
        killedAt = Date.now();
        rssAtKill = rssOf();
        await e.stop('SIGKILL');
        for (const p of stopped) sig(p, 'SIGCONT');
        stopped.clear();
        await waitFor('no plain vassal left after the emperor SIGKILL', () => ours(`sleep 9${RUN}`).length === 0, 10_000).catch(() => {});
        survivors = ours(`sleep 9${RUN}`).length;
        killToClean = Date.now() - killedAt;
        for (const m of files.values()) {
          m.held = false;
          if (m.broken) m.good = null; // nothing ran it before: the new emperor sees only the broken file
        }
        await e.relaunch();
        count('emperor-sigkill-restart');
        continue;
      }
      const settled = [...files.entries()].filter(([, m]) => Date.now() - m.at > QUIET_MS);
      const r = Math.random();
      const [name, m] = pick(settled) ?? [undefined, undefined];
      if (r < 0.08 || name === undefined || m === undefined) {
        const fresh = `v${next++}`;
        const nm: Model = { gen: 1, good: 1, broken: false, held: false, at: 0 };
        files.set(fresh, nm);
        write(fresh, nm, valid(idOf(fresh), 1));
        count('add');
      } else if (r < 0.2 && !m.held) {
        m.gen++;
        write(name, m, valid(idOf(name), m.gen));
        m.good = m.gen;
        m.broken = false;
        count('edit');
      } else if (r < 0.28 && !m.held && !m.broken) {
        utimesSync(join(e.vassals, `${name}.ini`), new Date(), new Date());
        m.at = Date.now();
        count('touch');
      } else if (r < 0.36 && !m.held && !m.broken) {
        m.broken = true;
        write(name, m, `[vassal]\ncommand = /bin/${marker(idOf(name), m.gen + 1)}\nstop-timeout = soon\n`);
        count('break');
      } else if (r < 0.44 && m.broken) {
        m.gen++;
        write(name, m, valid(idOf(name), m.gen));
        m.good = m.gen;
        m.broken = false;
        count('fix');
      } else if (r < 0.5) {
        // A rename is a remove and an add: a broken file renamed has nothing running under its new name.
        const to = `v${next++}`;
        const text = readFileSync(join(e.vassals, `${name}.ini`), 'utf8').replace(marker(idOf(name), m.gen), marker(idOf(to), m.gen)).replace(marker(idOf(name), m.gen + 1), marker(idOf(to), m.gen + 1));
        e.write(`${name}.ini`, text);
        renameSync(join(e.vassals, `${name}.ini`), join(e.vassals, `${to}.ini`));
        files.delete(name);
        files.set(to, { gen: m.gen, good: m.broken ? null : m.gen, broken: m.broken, held: false, at: Date.now() });
        count('rename');
      } else if (r < 0.56) {
        e.remove(`${name}.ini`);
        files.delete(name);
        count('delete');
      } else if (r < 0.7) {
        const doc = await e.stats();
        const v = doc.vassals.find((x) => x.name === name && x.state === 'RUNNING' && x.started_at !== null && Date.now() / 1000 - x.started_at > 1.5);
        const pid = v?.pids[0];
        if (pid !== undefined) {
          if (Math.random() < 0.6) {
            if (sig(pid, 'SIGKILL')) count('sigkill-vassal');
          } else if (sig(pid, 'SIGSTOP')) {
            stopped.add(pid);
            count('sigstop-vassal');
          }
        }
      } else if (r < 0.76 && stopped.size > 0) {
        const p = pick([...stopped]) ?? 0;
        stopped.delete(p);
        sig(p, 'SIGCONT');
        count('sigcont-vassal');
      } else if (r < 0.84 && !m.broken) {
        // As many starts as stops: half the time, a held vassal is started again.
        const held = settled.filter(([, x]) => x.held);
        const [n2, m2] = Math.random() < 0.5 ? (pick(held) ?? [name, m]) : [name, m];
        const verb = m2.held ? 'start' : 'stop';
        const res = await ctl(e.stateDir, [verb, n2]);
        if (res.status === 0) {
          m2.held = !m2.held;
          m2.at = Date.now();
        }
        count(`emperorctl-${verb}`);
      } else if (r < 0.87) {
        e.child?.kill('SIGHUP');
        count('sighup');
      } else {
        count('idle');
      }
      await new Promise((res) => setTimeout(res, 20 + Math.random() * 60));
    }
    for (const p of stopped) sig(p, 'SIGCONT');
    const rssAfter = rssOf();
    // The invariants, within a bound.
    const end = Date.now();
    let violations: string[] = [];
    let checks = 0;
    const check = (doc: StatsDocument): string[] => {
      const bad: string[] = [];
      checks = 0;
      const byName = new Map(doc.vassals.map((v) => [v.name, v]));
      const plain = doc.vassals.filter((v) => !v.name.startsWith('daemon'));
      if (plain.length !== files.size) bad.push(`${plain.length} vassals for ${files.size} files`);
      for (const [name, m] of files) {
        checks++;
        const v = byName.get(name);
        if (v === undefined) {
          bad.push(`${name}: no vassal`);
          continue;
        }
        const want = m.broken ? 'INVALID' : m.held ? 'STOPPED' : 'RUNNING';
        if (v.state !== want) bad.push(`${name}: ${v.state}, expected ${want}`);
        const running = m.held ? null : m.good;
        const got = v.pids.map(cmdline);
        const expected = running === null ? [] : [marker(idOf(name), running)];
        if (JSON.stringify(got) !== JSON.stringify(expected)) bad.push(`${name}: runs ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
      }
      // Each plain vassal's process in its own cgroup, under the emperor's vassals/ (when containment is on).
      for (const v of plain) {
        for (const pid of v.pids) {
          checks++;
          const cg = (() => {
            try {
              return readFileSync(`/proc/${pid}/cgroup`, 'latin1');
            } catch {
              return '';
            }
          })();
          if (contained && !cg.includes(`/vassals/${cgroupSafe(v.name)}@`)) bad.push(`${v.name}: pid ${pid} is not in its cgroup (${cg.trim().split('\n').pop() ?? ''})`);
        }
      }
      const shown = new Set(doc.vassals.flatMap((v) => v.pids));
      const strays = ours(`sleep 9${RUN}`).filter((p) => !shown.has(p));
      checks++;
      if (strays.length > 0) bad.push(`processes outside every vassal: ${strays.map((p) => `${p} ${cmdline(p)}`).join(', ')}`);
      checks++;
      if (daemonPids().length !== 2) bad.push(`daemons running: ${daemonPids().length}, expected 2 (each once)`);
      return bad;
    };
    await waitFor('the invariants', async () => {
      violations = check(await e.stats());
      return violations.length === 0;
    }, BOUND_MS, 250).catch(() => {});
    const converged = Date.now() - end;
    const total = Object.values(ops).reduce((a, b) => a + b, 0);
    process.stdout.write(
      `# chaos: ${VASSALS} vassals, ${SECONDS} s, ${total} operations (${Object.entries(ops).map(([k, n]) => `${k} ${n}`).join(', ')}); ` +
        `emperor RSS ${rssBefore.toFixed(0)} -> ${rssAtKill.toFixed(0)} MiB before its SIGKILL, the new one ${rssAfter.toFixed(0)} MiB at the end; ` +
        `emperor SIGKILL: ${survivors} plain vassal processes survived, clean in ${killToClean} ms; ` +
        `${checks} checks, ${violations.length} violations, converged in ${converged} ms (bound ${BOUND_MS} ms)\n`,
    );
    assert.equal(survivors, 0, 'no plain vassal survives the emperor SIGKILL');
    assert.deepEqual(violations, []);
  } catch (err) {
    process.stderr.write(`--- emperor output (tail) ---\n${e.output.slice(-20000)}\n---\n`);
    throw err;
  } finally {
    for (const p of stopped) sig(p, 'SIGCONT');
    await e.cleanup();
    for (const p of [...ours(`sleep 9${RUN}`), ...daemonPids()]) sig(p, 'SIGKILL');
    // The daemons outlived the emperor by design: once they are gone, its cgroup subtree can go too.
    await waitFor('the daemons gone', () => daemonPids().length === 0, 5000).catch(() => {});
    await waitFor('its cgroup subtree removed', () => removeSubtreeIfEmpty(e.stateDir), 5000).catch(() => {});
  }
});
