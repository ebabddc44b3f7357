// `depends`: which vassals wait for others to be RUNNING, and starting them once they are.
import type { Vassal } from './vassal.ts';

/** The vassals waiting for a dependency; the emperor asks and reports every state change. */
export class DependencyWaits {
  private readonly waiting = new Set<Vassal>();

  constructor(
    private readonly vassals: ReadonlyMap<string, Vassal>,
    private readonly removing: ReadonlySet<string>,
  ) {}

  /** Dependencies of `v` not RUNNING yet (or being removed); a vassal that must wait is remembered. */
  missing(v: Vassal): string[] {
    const missing = (v.spec?.depends ?? []).filter((d) => this.vassals.get(d)?.instanceState !== 'RUNNING' || this.removing.has(d));
    if (missing.length > 0) this.waiting.add(v);
    else this.waiting.delete(v);
    return missing;
  }

  /** Forgets a vassal (it is being removed). */
  forget(v: Vassal): void {
    this.waiting.delete(v);
  }

  /** A vassal changed state: when it turned RUNNING, every waiting vassal still wanted tries again. */
  changed(changed: Vassal): void {
    if (this.waiting.size === 0 || changed.instanceState !== 'RUNNING') return;
    for (const v of [...this.waiting]) {
      if (!v.wanted || v.spec === null) {
        this.waiting.delete(v);
        continue;
      }
      v.start();
    }
  }
}
