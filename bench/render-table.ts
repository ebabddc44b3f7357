// Prints (or writes into README.md) the performance table of a results file; default: the newest in bench/out/.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readResults, renderTable, writeReadmeTable } from './table.ts';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const write = args.includes('--write-readme');
let file = args.find((a) => !a.startsWith('--'));
if (file === undefined) {
  const dir = join(ROOT, 'bench/out');
  const newest = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (newest === undefined) throw new Error('no bench/out/*.jsonl: run npm run bench first');
  file = newest;
} else if (!file.includes('/')) file = join(ROOT, 'bench/out', file);
const rs = readResults(file);
console.log(renderTable(rs));
if (write) {
  writeReadmeTable(join(ROOT, 'README.md'), rs, file);
  console.log(`README.md rewritten from ${file}`);
}
