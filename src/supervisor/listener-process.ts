// One event listener process: started, read through the protocol, restarted with a growing delay when it dies.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { expandInstance, type VassalSpec } from '../config/spec.ts';
import type { ListenerChild, ListenerSpawner } from '../io/listener-spawn.ts';
import { resolveLogPath } from '../runtime/spawn-request.ts';
import { ProtocolReader } from './listener-protocol.ts';

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
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
/** A listener that lived this long starts its next delay from the first again. */
const STABLE_MS = 10_000;

/** A listener's process; `state` follows supervisord's listener states. */
export class ListenerProcess {
  state: 'stopped' | 'acknowledged' | 'ready' | 'busy' | 'waiting' = 'stopped';
  private child: ListenerChild | null = null;
  private reader = new ProtocolReader();
  private delay = FIRST_DELAY_MS;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private startedAt = 0;

  constructor(
    readonly pool: string,
    readonly name: string,
    private readonly spec: VassalSpec,
    private readonly index: number,
    private readonly setup: ListenerSetup,
    private readonly hooks: ListenerHooks,
  ) {}

  /** Starts the process (again). */
  start(): void {
    this.timer = null;
    if (this.stopping) return;
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
      this.hooks.log(`${child.error}; trying again in ${this.delay / 1000}s`, 'error');
      this.retry();
      return;
    }
    this.child = child;
    this.reader = new ProtocolReader();
    this.state = 'acknowledged';
    this.startedAt = Date.now();
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
    child.onExit((code, signal) => this.exited(child, code, signal));
  }

  /** Writes one event (header and payload) to the listener. */
  send(text: string): void {
    if (this.child === null || this.state !== 'ready') return;
    this.state = 'busy';
    this.reader.expectResult();
    this.child.stdin.write(text);
  }

  /** Stops the process for good: its stop signal, then SIGKILL after its stop timeout. */
  stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) clearTimeout(this.timer);
    const child = this.child;
    if (child === null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), this.spec.stopTimeout);
      child.onExit(() => {
        clearTimeout(kill);
        resolve();
      });
      child.kill(this.spec.stopSignal as NodeJS.Signals);
    });
  }

  private read(chunk: string): void {
    for (const out of this.reader.feed(chunk)) {
      switch (out.kind) {
        case 'ready':
          this.state = 'ready';
          this.hooks.ready(this);
          break;
        case 'result':
          this.state = 'acknowledged';
          this.hooks.result(this, out.ok);
          break;
        case 'junk':
          this.hooks.log(`wrote ${JSON.stringify(out.text.slice(0, 200))} outside the protocol (a listener's stdout is for READY and RESULT only; log to stderr)`, 'warn');
          break;
        case 'broken':
          this.hooks.log(`broke the listener protocol: ${out.why}; restarting it`, 'error');
          this.child?.kill('SIGKILL');
          break;
      }
    }
  }

  private exited(child: ListenerChild, code: number | null, signal: string | null): void {
    if (this.child !== child) return;
    const held = this.state === 'busy';
    this.child = null;
    this.state = 'stopped';
    if (held) this.hooks.lost(this);
    if (this.stopping) return;
    if (Date.now() - this.startedAt > STABLE_MS) this.delay = FIRST_DELAY_MS;
    this.hooks.log(`listener ${signal !== null ? `killed by ${signal}` : `exited with code ${code ?? '?'}`}; restarting in ${this.delay / 1000}s`, 'warn');
    this.retry();
  }

  private retry(): void {
    this.state = 'waiting';
    this.timer = setTimeout(() => this.start(), this.delay);
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
  }
}
