// `emperorctl top`: a live terminal view from the stats socket and the event stream, with keys to act on a vassal.
import { PROTOCOL_VERSION, type ActionResult } from '../control/protocol.ts';
import { converse, readStats, request } from './ctl-client.ts';
import { formatEvent } from './ctl-events.ts';
import { useColour } from './ctl-format.ts';
import { renderTop, SORT_KEYS, visibleRows, type TopModel } from './ctl-top-render.ts';

const SAMPLES = 60;
const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l';
const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';

/** Runs the view until `q` or Ctrl-C; 2 when there is no terminal to draw on, 1 for an unknown NAME. */
export async function runTop(names: string[], socket: string, statsPath: string): Promise<number> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  if (!stdin.isTTY || !stdout.isTTY) return 2;
  const m: TopModel = { doc: await readStats(statsPath), cpu: new Map(), sort: 'name', filter: '', typing: false, selected: null, confirm: null, message: '', events: [] };
  const unknown = names.filter((n) => !m.doc?.vassals.some((v) => v.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`emperorctl: no vassal named ${unknown.join(', ')}\n`);
    return 1;
  }
  const colour = useColour(true, process.env);
  const only = new Set(names);
  const draw = (): void => {
    if (m.doc !== null && only.size > 0) m.doc = { ...m.doc, vassals: m.doc.vassals.filter((v) => only.has(v.name)) };
    const rows = visibleRows(m);
    if (!rows.some((v) => v.name === m.selected)) m.selected = rows[0]?.name ?? null;
    const lines = renderTop(m, stdout.columns || 80, stdout.rows || 24, colour, Date.now() / 1000);
    stdout.write('\x1b[H' + lines.map((l) => l + '\x1b[K').join('\r\n') + '\x1b[J');
  };
  const refresh = async (sample: boolean): Promise<void> => {
    try {
      m.doc = await readStats(statsPath);
      if (m.message.startsWith('cannot reach')) m.message = '';
      if (sample) {
        for (const v of m.doc.vassals) {
          const h = m.cpu.get(v.name) ?? [];
          h.push(v.cpu_percent ?? NaN);
          if (h.length > SAMPLES) h.shift();
          m.cpu.set(v.name, h);
        }
      }
    } catch (err) {
      m.message = `cannot reach the emperor (${(err as Error).message.split(':')[0]}); retrying`;
    }
    draw();
  };
  let soon: NodeJS.Timeout | null = null;
  const follow = (): void => {
    void converse(socket, { v: PROTOCOL_VERSION, cmd: 'events', names, since_ms: m.events.length === 0 ? 60_000 : 0 }, (msg) => {
      if (!('event' in msg)) return !('ok' in msg) || msg.ok;
      m.events.push(formatEvent(msg.event, false).replace(/^\S+T(\d\d:\d\d:\d\d)\.\d+Z/, '$1'));
      if (m.events.length > 50) m.events.shift();
      soon ??= setTimeout(() => {
        soon = null;
        void refresh(false);
      }, 30);
      return true;
    })
      .catch(() => {})
      // The emperor restarted or went away: follow again once it answers (the stats tick says when it does not).
      .finally(() => void setTimeout(follow, 1000).unref());
  };
  const act = async (action: 'restart' | 'stop' | 'start', name: string): Promise<void> => {
    try {
      const reply = await request(socket, { v: PROTOCOL_VERSION, cmd: action, names: [name] });
      m.message = 'ok' in reply && reply.ok ? (reply.result as ActionResult).done.map((d) => `${d.name}: ${d.message}`).join('; ') : 'ok' in reply ? reply.error.message : '';
    } catch (err) {
      m.message = (err as Error).message;
    }
    void refresh(false);
  };
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((r) => (finish = r));
  const restore = (): void => {
    if (stdin.isTTY) stdin.setRawMode(false);
    stdout.write(LEAVE_SCREEN);
  };
  const onKey = (key: string): void => {
    if (key === '\x03') return finish(0);
    if (m.confirm !== null) {
      const c = m.confirm;
      m.confirm = null;
      if (key === 'y' || key === 'Y') void act(c.action, c.name);
      else m.message = `${c.action} ${c.name}: cancelled`;
    } else if (m.typing) {
      if (key === '\r' || key === '\n') m.typing = false;
      else if (key === '\x1b') [m.typing, m.filter] = [false, ''];
      else if (key === '\x7f' || key === '\b') m.filter = m.filter.slice(0, -1);
      else if (/^[\x20-\x7e]+$/.test(key)) m.filter += key;
    } else {
      const rows = visibleRows(m);
      const at = rows.findIndex((v) => v.name === m.selected);
      const move = (d: number): void => void (m.selected = rows[Math.max(0, Math.min(rows.length - 1, at + d))]?.name ?? null);
      const sorts: Record<string, TopModel['sort']> = { P: 'cpu', M: 'memory', N: 'name' };
      const actions: Record<string, 'restart' | 'stop' | 'start'> = { r: 'restart', x: 'stop', g: 'start' };
      if (key === 'q') return finish(0);
      else if (key === '\x1b[A' || key === 'k') move(-1);
      else if (key === '\x1b[B' || key === 'j') move(1);
      else if (key === 's') m.sort = SORT_KEYS[(SORT_KEYS.indexOf(m.sort) + 1) % SORT_KEYS.length] ?? 'name';
      else if (sorts[key] !== undefined) m.sort = sorts[key];
      else if (key === '/') [m.typing, m.message] = [true, ''];
      else if (key === '\x1b') m.filter = '';
      else if (actions[key] !== undefined && m.selected !== null) m.confirm = { action: actions[key], name: m.selected };
    }
    draw();
  };
  process.on('exit', restore);
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) process.once(sig, () => finish(0));
  stdout.write(ENTER_SCREEN);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  // A chunk may hold several keys (pasted, or typed fast over SSH): escape sequences stay whole.
  stdin.on('data', (chunk: string) => {
    for (const key of chunk.match(/\x1b\[[0-9;]*[A-Za-z~]|[\s\S]/g) ?? []) onKey(key);
  });
  stdout.on('resize', draw);
  follow();
  await refresh(true);
  const tick = setInterval(() => void refresh(true), 1000);
  const code = await done;
  clearInterval(tick);
  restore();
  process.removeListener('exit', restore);
  process.exit(code);
}
