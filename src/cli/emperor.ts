// `emperor`: flags -> options; `check`, `--help` and `--version` load nothing of the daemon.
import { parseEmperorArgs, UsageError } from './emperor-options.ts';
import { packageVersion } from './package-version.ts';
import { runCheck } from './check.ts';
import { checkAlarms } from './check-alarms.ts';
import { HELP } from './emperor-help.ts';

function fail(message: string, code: number): never {
  process.stderr.write(`emperor: ${message}\n`);
  process.exit(code);
}

/** Entry point of bin/emperor. */
export async function main(argv: readonly string[]): Promise<void> {
  let cmd;
  try {
    cmd = parseEmperorArgs(argv, process.env, process.getuid?.() ?? 0);
  } catch (err) {
    if (err instanceof UsageError) fail(err.message, 2);
    throw err;
  }
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(HELP);
      return;
    case 'version':
      process.stdout.write(`emperor ${packageVersion()}\n`);
      return;
    case 'check':
      process.exitCode = runCheck(cmd.paths, process.env, (t) => process.stdout.write(t), (t) => process.stderr.write(t), cmd.tyrant, checkAlarms(cmd.config, (t) => process.stdout.write(t)));
      return;
    case 'systemd-unit': {
      const { systemdUnit } = await import('./systemd-unit.ts');
      const { nativeHelper } = await import('../io/native.ts');
      const helper = nativeHelper();
      if (typeof helper === 'string') process.stderr.write(`emperor: warning: this unit needs sd_notify, and ${helper}\n`);
      process.stdout.write(systemdUnit(cmd.args, cmd.settings.vassals, cmd.settings.stateDir, cmd.unit));
      return;
    }
    case 'run': {
      const { run } = await import('./emperor-run.ts');
      await run(cmd.settings);
    }
  }
}

await main(process.argv.slice(2));
