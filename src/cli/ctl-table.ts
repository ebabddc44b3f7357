// How `emperorctl status` gets its table: the control socket's table view (a fifth of the stats document's
// bytes), or the stats document itself from an emperor that has no table view or a socket this user cannot open.
import { PROTOCOL_VERSION, STATUS_TABLE_COLUMNS, type StatsDocument, type StatusTable } from '../control/protocol.ts';
import { askOnce, readStats, UnreachableError } from './ctl-client.ts';
import type { StatusRow, StatusView } from './ctl-format.ts';

const sameColumns = (cols: unknown): boolean =>
  Array.isArray(cols) && cols.length === STATUS_TABLE_COLUMNS.length && STATUS_TABLE_COLUMNS.every((c, i) => cols[i] === c);

/** The view a table answer carries, in the shape the table is drawn from. */
export function viewOfTable(t: StatusTable): StatusView {
  const rows = t.rows;
  const vassals = new Array<StatusRow>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as StatusTable['rows'][number];
    const e = r[7];
    vassals[i] = {
      name: r[0],
      state: r[1],
      pids: r[2],
      started_at: r[3],
      restarts: r[4],
      cpu_percent: r[5],
      rss_bytes: r[6],
      last_exit: e === null ? null : { code: e[0], signal: e[1], at: e[2] },
      error: r[8],
      status_text: r[9],
      next_run: r[10],
    };
  }
  const view: StatusView = { pid: t.pid, vassals_dir: t.vassals_dir, totals: t.totals, vassals };
  if (t.sources !== undefined) view.sources = t.sources;
  return view;
}

/**
 * The status view from a control socket's answer: a table view in columns this client knows, or a whole
 * stats document (an emperor from before views answers `status` so); null for anything else.
 */
export function viewOfReply(reply: unknown): StatusView | null {
  if (typeof reply !== 'object' || reply === null || (reply as { ok?: unknown }).ok !== true) return null;
  const result = (reply as { result?: unknown }).result;
  if (typeof result !== 'object' || result === null) return null;
  if (sameColumns((result as StatusTable).columns) && Array.isArray((result as StatusTable).rows)) return viewOfTable(result as StatusTable);
  return Array.isArray((result as StatsDocument).vassals) ? (result as StatsDocument) : null;
}

/** What readStatusView gives: the view to come, and when the question is on its way. */
export interface StatusRead {
  view: Promise<StatusView>;
  /** settles once the request is written, or the stats socket is asked instead (never rejects). */
  asked: Promise<void>;
}

/**
 * Asks the control socket for the table view; reads the stats socket when that does not answer with one.
 * The caller loads the table's code once `asked` settles, so the emperor makes the answer meanwhile (a
 * request written only once that code is loaded waited for it: the connection completes on the event loop).
 */
export function readStatusView(socket: string, statsPath: string): StatusRead {
  let sent: () => void = () => {};
  const asked = new Promise<void>((resolve) => (sent = resolve));
  const view = askOnce(socket, { v: PROTOCOL_VERSION, cmd: 'status', view: 'table' }, () => sent())
    .then(viewOfReply, (err: unknown) => {
      // An emperor that took the connection and never answered is hung: its stats socket would keep the
      // operator waiting as long again, so say so now.
      if (err instanceof UnreachableError && err.timedOut) {
        sent();
        throw err;
      }
      return null; // not there, or not ours to open (mode 0600): the stats socket says what is wrong, if anything
    })
    .then((v) => {
      sent();
      return v ?? readStats(statsPath);
    });
  return { view, asked };
}
