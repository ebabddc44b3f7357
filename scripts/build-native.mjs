// `npm install` step: builds the native helper (native/emperor-native.c) with node-gyp. A machine
// without a C compiler still installs: the emperor then runs without sd_notify and refuses, with
// a clear error, what needs the helper as root (opening a vassal's logs with the vassal's rights).
import { spawnSync } from 'node:child_process';

const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.status === 0) process.exit(0);
process.stderr.write(
  `${r.stderr ?? ''}\n` +
    'emperor: warning: the native helper (native/emperor-native.c) did not build; install a C compiler, make and python3, then `npm rebuild`.\n' +
    'emperor: without it there is no sd_notify (systemd Type=notify) and, as root, vassals with `user` cannot have log files.\n',
);
