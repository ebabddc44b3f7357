// `emperorctl status`: the stats document as a table (or JSON); the only command most runs make, so it loads little.
import { renderStatus, useColour, type StatusView } from './ctl-format.ts';
import { emperorContainment } from './ctl-containment.ts';
import { Exit, out, type Args } from './ctl-args.ts';

/**
 * Prints every vassal, or the named ones (an unknown name: exit 1 after the table); `read` is the stats
 * socket's answer (always, with --json: it prints the stats document) or the control socket's table view.
 */
export async function status(args: Args, read: Promise<StatusView>): Promise<number> {
  const doc = await read;
  const names = args.positional;
  const known = names.length === 0 ? null : new Set(doc.vassals.map((v) => v.name));
  const unknown = known === null ? [] : names.filter((n) => !known.has(n));
  const wanted = new Set(names);
  const shown: StatusView = names.length === 0 ? doc : { ...doc, vassals: doc.vassals.filter((v) => wanted.has(v.name)) };
  if (args.flags.has('--json')) out(JSON.stringify(shown, null, 2) + '\n');
  else out(renderStatus(shown, Date.now() / 1000, useColour(process.stdout.isTTY, process.env), emperorContainment(doc.pid)));
  if (unknown.length > 0) throw new Exit(1, `emperorctl: no vassal named ${unknown.join(', ')}`);
  return 0;
}
