// Test accounts for the privilege tests (root only): created with useradd/groupadd when absent,
// as .ci/run does, so `npm test` works on a fresh machine too.
import { spawnSync } from 'node:child_process';
import { lookupGroup, lookupUser, type Account } from '../../src/io/accounts.ts';

/** A supplementary group of USER_A (and not of USER_B). */
export const TEST_GROUP = 'emperor-test-g';
export const USER_A = 'emperor-test-a';
export const USER_B = 'emperor-test-b';

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** The two test users (USER_A in TEST_GROUP), created if missing. */
export function testUsers(): { a: Account; b: Account; groupGid: number } {
  if (lookupGroup(TEST_GROUP) === null) run('groupadd', ['--system', TEST_GROUP]);
  if (lookupUser(USER_A) === null) run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', '--groups', TEST_GROUP, USER_A]);
  if (lookupUser(USER_B) === null) run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', USER_B]);
  const a = lookupUser(USER_A);
  const b = lookupUser(USER_B);
  const groupGid = lookupGroup(TEST_GROUP);
  if (a === null || b === null || groupGid === null) throw new Error('test users missing after useradd');
  return { a, b, groupGid };
}
