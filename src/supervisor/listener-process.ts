// One event listener process: started, read through the protocol, restarted with a growing delay when it dies.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { expandInstance, type VassalSpec } from '../config/spec.ts';
import type { ListenerChild, ListenerSpawner } from '../io/listener-spawn.ts';
import { resolveLogPath } from '../runtime/spawn-plan.ts';
import { ProtocolReader } from './listener-protocol.ts';
import { initialListener, listenerTransition, type ListenerEvent, type ListenerMachine, type ListenerState } from './listener-lifecycle.ts';

/** What a listener process reports to its pool. */
export interface ListenerHooks {
  ready(p: ListenerProcess): void;
  result(p: ListenerProcess, ok: boolean): void;
  /** it died (or broke the protocol) while holding an event. */
  lost(p: ListenerProcess): void;
  log(message: string, level: 'info' | 'warn' | 'error'): void;
  stderr(line: string): void;
}

/** How a listener process is started, beyond its spec. */
export interface ListenerSetup {
  spawn: ListenerSpawner;
  logDir: string;
  baseEnv: Record<string, string | undefined>;
  /** SUPERVISOR_SERVER_URL for childutils.getRPCInterface, when --supervisor-rpc is on. */
  serverUrl: string | null;
  account: { uid: number; gid: number } | null;
}

const PRIVATE_ENV = ['NOTIFY_SOCKET', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'WATCHDOG_USEC', 'WATCHDOG_PID'];

/** A listener's process: feeds events to listener-lifecycle's transition and carries out its effects. */
export class ListenerProcess {
  private machine: ListenerMachine = initialListener;
  private child: ListenerChild | null = null;
  private reader = new ProtocolReader();
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private exitWaiters: Array<() => void> = [];

  constructor(
    readonly pool: string,
    readonly name: string,
    private readonly spec: VassalSpec,
    private readonly index: number,
    private readonly setup: ListenerSetup,
    private readonly hooks: ListenerHooks,
  ) {}

  /** Its state, as the pool needs it (READY takes an event). */
  get state(): ListenerState {
    return this.machine.state;
  }

  /** As supervisorctl status shows it: supervisord's process state, pid and start time (Unix seconds). */
  view(): { state: string; pid: number; start: number } {
    const state = { STOPPED: 'STARTING', ACKNOWLEDGED: 'RUNNING', READY: 'RUNNING', BUSY: 'RUNNING', BACKOFF: 'BACKOFF', GONE: 'STOPPED' }[this.machine.state];
    return { state, pid: this.child?.pid ?? 0, start: this.startedAt === 0 ? 0 : Math.floor(this.startedAt / 1000) };
  }

  /** Starts the process. */
  start(): void {
    this.feed({ type: 'start' });
  }

  /** Writes one event (header and payload) to a READY listener. */
  send(text: string): void {
    if (this.child === null || this.machine.state !== 'READY') return;
    this.feed({ type: 'sent' });
    this.reader.expectResult();
    this.child.stdin.write(text);
  }

  /** Stops the process for good: its stop signal, then SIGKILL after its stop timeout. */
  stop(): Promise<void> {
    const child = this.child;
    const gone = child === null ? Promise.resolve() : new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    this.feed({ type: 'stop' });
    if (this.timer !== null) clearTimeout(this.timer);
    if (child !== null) {
      const kill = setTimeout(() => child.kill('SIGKILL'), this.spec.stopTimeout);
      void gone.then(() => clearTimeout(kill));
    }
    return gone;
  }

  private feed(ev: ListenerEvent): void {
    const { next, effects } = listenerTransition(this.machine, ev);
    this.machine = next;
    for (const e of effects) {
      switch (e.type) {
        case 'spawn':
          this.spawn();
          break;
        case 'notify-ready':
          this.hooks.ready(this);
          break;
        case 'deliver-result':
          this.hooks.result(this, e.ok);
          break;
        case 'requeue':
          this.hooks.lost(this);
          break;
        case 'kill':
          this.child?.kill(e.signal === 'SIGKILL' ? 'SIGKILL' : (this.spec.stopSignal as NodeJS.Signals));
          break;
        case 'retry-in':
          this.timer = setTimeout(() => {
            this.timer = null;
            this.feed({ type: 'start' });
          }, e.ms);
          break;
        case 'log':
          this.hooks.log(e.message, e.level);
          break;
      }
    }
  }

  private spawn(): void {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.setup.baseEnv)) if (v !== undefined && !PRIVATE_ENV.includes(k)) env[k] = v;
    for (const [k, v] of this.spec.env) env[k] = expandInstance(v, this.index);
    Object.assign(env, { SUPERVISOR_ENABLED: '1', SUPERVISOR_PROCESS_NAME: this.name, SUPERVISOR_GROUP_NAME: this.pool });
    if (this.setup.serverUrl !== null) env.SUPERVISOR_SERVER_URL = this.setup.serverUrl;
    let fd: number | null = null;
    if (this.spec.stderrLog !== null) {
      const path = resolveLogPath(this.spec.stderrLog, this.index, this.setup.logDir);
      try {
        mkdirSync(dirname(path), { recursive: true });
        fd = openSync(path, 'a', 0o640);
      } catch (err) {
        this.hooks.log(`cannot open its stderr log ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; its stderr goes to the emperor's`, 'warn');
      }
    }
    const child = this.setup.spawn({
      argv: this.spec.command.map((w) => expandInstance(w, this.index)),
      cwd: expandInstance(this.spec.directory, this.index),
      env,
      uid: this.setup.account?.uid ?? null,
      gid: this.setup.account?.gid ?? null,
      umask: this.spec.umask,
      stderrFd: fd,
    });
    if (fd !== null) closeSync(fd);
    if ('error' in child) {
      this.feed({ type: 'spawn-failed', error: child.error });
      return;
    }
    this.child = child;
    this.reader = new ProtocolReader();
    this.startedAt = Date.now();
    this.feed({ type: 'spawned' });
    this.hooks.log(`listener started, pid ${child.pid}`, 'info');
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.read(chunk));
    if (child.stderr !== null) {
      let part = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        const lines = (part + chunk).split('\n');
        part = (lines.pop() ?? '').slice(-64 * 1024);
        for (const line of lines) this.hooks.stderr(line);
      });
    }
    child.onExit((code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      for (const w of this.exitWaiters.splice(0)) w();
      this.feed({ type: 'exited', how: signal !== null ? `killed by ${signal}` : `exited with code ${code ?? '?'}`, uptimeMs: Date.now() - this.startedAt });
    });
  }

  private read(chunk: string): void {
    for (const out of this.reader.feed(chunk)) {
      if (out.kind === 'junk') {
        this.hooks.log(`wrote ${JSON.stringify(out.text.slice(0, 200))} outside the protocol (a listener's stdout is for READY and RESULT only; log to stderr)`, 'warn');
      } else if (out.kind === 'broken') {
        this.feed({ type: 'broken', why: out.why });
      } else {
        this.feed(out.kind === 'ready' ? { type: 'ready' } : { type: 'result', ok: out.ok });
      }
    }
  }
}
