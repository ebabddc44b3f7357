// `depends`: which vassals wait for others to be RUNNING (or a one-shot to complete), and starting them once they are.
import type { Vassal } from './vassal.ts';
import { completedWaits } from './depends-completed.ts';

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
    // `depends = NAME:completed`: a one-shot must have EXITED with a success code (a vassal being removed never will).
    missing.push(...completedWaits(v.spec, (d) => (this.removing.has(d) ? undefined : this.vassals.get(d))));
    if (missing.length > 0) this.waiting.add(v);
    else this.waiting.delete(v);
    return missing;
  }

  /** Forgets a vassal (it is being removed). */
  forget(v: Vassal): void {
    this.waiting.delete(v);
  }

  /** A vassal changed state: when it turned RUNNING (or EXITED: a one-shot completed), every waiting vassal still wanted tries again. */
  changed(changed: Vassal): void {
    if (this.waiting.size === 0 || (changed.instanceState !== 'RUNNING' && changed.instanceState !== 'EXITED')) return;
    for (const v of [...this.waiting]) {
      if (!v.wanted || v.spec === null) {
        this.waiting.delete(v);
        continue;
      }
      v.start();
    }
  }
}
