// Every supervisor the suite measures, emperor first, and how the driver installs a missing one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { emperorPeer } from './emperor.ts';
import { PEERS_DIR, pm2Peer } from './pm2.ts';
import { runitPeer } from './runit.ts';
import { s6Peer } from './s6.ts';
import { supervisordPeer } from './supervisord.ts';
import { uwsgiPeer } from './uwsgi.ts';
import { onPath } from './which.ts';
import { distWarning, ROOT } from '../lib/emperor-tree.ts';
import type { Peer } from './types.ts';

/** All peers, in the order they run. */
export const PEERS: readonly Peer[] = [emperorPeer, supervisordPeer, uwsgiPeer, pm2Peer, runitPeer, s6Peer];

const APT: Record<string, string> = { supervisord: 'supervisor', uwsgi: 'uwsgi-core', runit: 'runit', s6: 's6' };

function apt(pkg: string): string | null {
  if (process.getuid?.() !== 0) return 'not root, so no apt-get';
  if (onPath('apt-get') === null) return 'no apt-get on this machine';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): number | null => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env, stdio: 'ignore' }).status;
  if (install() === 0) return null;
  spawnSync('apt-get', ['update'], { env, stdio: 'ignore' });
  return install() === 0 ? null : `apt-get install ${pkg} failed (no network?)`;
}

function npmPm2(): string | null {
  mkdirSync(PEERS_DIR, { recursive: true });
  const pkg = join(PEERS_DIR, 'package.json');
  if (!existsSync(pkg)) writeFileSync(pkg, '{"name":"emperor-bench-peers","private":true}\n');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', PEERS_DIR, 'pm2@5'], { stdio: 'ignore' });
  return r.status === 0 ? null : 'npm install pm2@5 into bench/.peers failed (no network?)';
}

/** Installs what is missing (apt-get as root, npm into bench/.peers); returns peer -> why it is skipped. */
export function ensurePeers(peers: readonly Peer[], install: boolean, say: (line: string) => void): Map<string, string> {
  const skipped = new Map<string, string>();
  const stale = peers.some((p) => p.name === 'emperor') ? distWarning() : null;
  if (stale !== null) {
    // the bench measures the tree it runs from: build it (the project's own build, not an install)
    say(`${stale}: running npm run build`);
    if (spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' }).status !== 0) say('npm run build failed: emperor runs whatever dist/ holds');
  }
  for (const peer of peers) {
    const missing = peer.missing();
    if (missing === null) continue;
    if (!install || peer.name === 'emperor') {
      skipped.set(peer.name, missing);
      continue;
    }
    say(`installing ${peer.name} (${missing})`);
    const failed = peer.name === 'pm2' ? npmPm2() : APT[peer.name] !== undefined ? apt(APT[peer.name] ?? '') : 'no installer';
    const still = peer.missing();
    if (failed !== null || still !== null) skipped.set(peer.name, failed ?? still ?? '');
  }
  return skipped;
}
