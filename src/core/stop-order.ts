// The order vassals stop in at shutdown: dependents before the vassals they depend on.

/**
 * Batches to stop one after the other: each holds what no vassal still running depends on; when
 * a cycle leaves no such vassal, everything left stops together. Keeps the given order within a batch.
 */
export function stopBatches<T>(items: Iterable<T>, name: (t: T) => string, depends: (t: T) => readonly string[]): T[][] {
  const remaining = new Set(items);
  const batches: T[][] = [];
  while (remaining.size > 0) {
    const needed = new Set<string>();
    for (const t of remaining) for (const d of depends(t)) needed.add(d);
    let batch = [...remaining].filter((t) => !needed.has(name(t)));
    if (batch.length === 0) batch = [...remaining]; // a cycle: stop them together
    for (const t of batch) remaining.delete(t);
    batches.push(batch);
  }
  return batches;
}
