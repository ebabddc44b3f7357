// The status page's pages wired to the running emperor: its snapshot, its event ring and its commands.
import { PROTOCOL_VERSION, type ActionResult } from '../control/protocol.ts';
import type { ControlConnection } from '../control/control-server.ts';
import type { EventFeed } from '../control/event-stream.ts';
import { runCommand, type CommandTarget } from '../runtime/commands.ts';
import { statusViews, type HttpViews } from '../metrics/status-page.ts';

// An action from the page is a one-shot request: nothing follows it.
const ONE_SHOT: ControlConnection = { send: () => {}, onClose: () => {}, keepOpen: () => {}, backlog: () => 0, end: () => {} };

/** GET /, GET /events and (with a token) the actions, for the metrics server. */
export function webViews(target: CommandTarget, events: EventFeed, token: string | null): HttpViews {
  return statusViews({
    snapshot: () => target.snapshot(),
    events,
    token,
    act: async (cmd, name) => {
      const reply = await runCommand(target, { v: PROTOCOL_VERSION, cmd, names: [name] }, ONE_SHOT);
      if ('ok' in reply && reply.ok) return { status: 200, body: reply.result as ActionResult };
      if ('ok' in reply) return { status: reply.error.code === 'unknown-vassal' ? 404 : 409, body: { message: reply.error.message } };
      return { status: 500, body: { message: 'unexpected reply' } };
    },
  });
}
