// New vassals started a batch per event-loop turn: hundreds of files at once never freeze the sockets.

/** Starts what is pushed, at most `batch` per event-loop turn, in the order pushed. */
export class StartQueue<T> {
  private readonly queue: T[] = [];
  private drainedWaiters: Array<() => void> = [];

  /** `nextTurn` runs a function on the next event-loop turn (setImmediate; a fake in tests). */
  constructor(
    private readonly batch: number,
    private readonly start: (item: T) => void,
    private readonly nextTurn: (fn: () => void) => void,
  ) {}

  /** Queues one start; the first of a run schedules the turns that drain the queue. */
  push(item: T): void {
    this.queue.push(item);
    if (this.queue.length > 1) return;
    const drain = (): void => {
      for (const next of this.queue.splice(0, this.batch)) this.start(next);
      if (this.queue.length > 0) this.nextTurn(drain);
      else for (const done of this.drainedWaiters.splice(0)) done();
    };
    this.nextTurn(drain);
  }

  /** Resolves once everything queued has been started. */
  drained(): Promise<void> {
    return new Promise((resolve) => {
      if (this.queue.length === 0) this.nextTurn(resolve);
      else this.drainedWaiters.push(resolve);
    });
  }
}
