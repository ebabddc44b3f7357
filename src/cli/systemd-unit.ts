// `emperor systemd-unit [options]`: a ready root service for this installation (SPEC section 10).
// It reads no vassal file and needs no directory: the options go into ExecStart as given.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageVersion } from './package-version.ts';
import type { UnitOptions } from './systemd-unit-options.ts';


/** The installed `bin/emperor.js`, resolved through symlinks (npm -g links it into /usr/local/bin). */
export function installedBin(): string {
  const bin = fileURLToPath(new URL('../../bin/emperor.js', import.meta.url));
  try {
    return realpathSync(bin);
  } catch {
    return bin;
  }
}

/** One ExecStart word: quoted when it must be, `%` and `$` escaped (systemd.service(5), "Command lines"). */
export function execWord(word: string): string {
  const escaped = word.replaceAll('%', '%%').replaceAll('$', '$$$$');
  if (escaped !== '' && !/[\s"'\\;]/.test(escaped)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/**
 * The unit text. `args` are the emperor's own options (paths already absolute); `stateDir` is where
 * they put its runtime files, so the unit can let systemd make /run/emperor and keep it.
 */
export function systemdUnit(args: readonly string[], vassals: string, stateDir: string, unit: UnitOptions, node = process.execPath, bin = installedBin()): string {
  const exec = [node, bin, ...args].map(execWord).join(' ');
  const runtime =
    stateDir === '/run/emperor'
      ? [
          '# /run/emperor: sockets and daemon records; kept across restarts so daemons are adopted.',
          'RuntimeDirectory=emperor',
          'RuntimeDirectoryMode=0755',
          'RuntimeDirectoryPreserve=yes',
        ]
      : [`# State in ${stateDir} (--state-dir): the emperor creates it.`];
  return [
    `# emperor.service, written by \`emperor systemd-unit\` (emperor ${packageVersion()}).`,
    '# Install: emperor systemd-unit [options] > /etc/systemd/system/emperor.service',
    '#          systemctl daemon-reload && systemctl enable --now emperor',
    '[Unit]',
    'Description=emperor process supervisor',
    'After=network.target',
    '',
    '[Service]',
    '# The emperor says READY=1 once every autostart vassal has started, and pings the watchdog.',
    'Type=notify',
    'NotifyAccess=main',
    `ExecStartPre=/bin/mkdir -p -m 0755 ${execWord(vassals)}`,
    `ExecStart=${exec}`,
    '# SIGHUP: rescan the vassal directory and re-read --config.',
    'ExecReload=/bin/kill -HUP $MAINPID',
    '# The emperor stops its own vassals (dependents first, each with its stop-timeout);',
    '# smart-attached daemons live on and the next emperor adopts them.',
    'KillMode=process',
    '# The emperor gives every vassal a cgroup of its own below the unit\'s (nothing escapes by setsid or a double fork).',
    'Delegate=yes',
    `TimeoutStopSec=${unit.timeoutStop}`,
    'Restart=always',
    'RestartSec=1s',
    `WatchdogSec=${unit.watchdog}`,
    ...runtime,
    'UMask=0022',
    'LimitNOFILE=65536',
    '# Hardening. Vassals inherit all of it: remove a line only if a vassal needs what it forbids.',
    '# No vassal gains privileges through setuid binaries or file capabilities (sudo, ping).',
    'NoNewPrivileges=yes',
    'RestrictSUIDSGID=yes',
    '# /usr and /boot read-only; kernel modules, kernel logs and the clock off limits.',
    'ProtectSystem=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectClock=yes',
    'LockPersonality=yes',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
