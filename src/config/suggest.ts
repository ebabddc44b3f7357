// "Did you mean ...?": the closest known word by edit distance.

const MAX_COMPARED = 64;

/** Edit distance (insert, delete, replace, swap of neighbours) between two short strings. */
export function editDistance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i += 1) {
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (before[j - 2] as number) + 1);
      }
      row[j] = best;
    }
    [before, previous, row] = [previous, row, before];
  }
  return previous[b.length] as number;
}

/**
 * The known word closest to `input` (case and `_`/`-` ignored), or null when none is close:
 * within a third of the word's length, at least 1.
 */
export function closestWord(input: string, known: readonly string[]): string | null {
  if (input.length > MAX_COMPARED) return null;
  const norm = (s: string): string => s.toLowerCase().replace(/_/g, '-');
  const wanted = norm(input);
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const word of known) {
    const limit = Math.max(1, Math.floor(word.length / 3));
    if (Math.abs(word.length - wanted.length) > limit) continue;
    const distance = editDistance(wanted, norm(word));
    if (distance <= limit && distance < bestDistance) {
      best = word;
      bestDistance = distance;
    }
  }
  return best;
}
