// The --config file: its `[emperor]` section (options; flags given on the command line win) and its
// `[alarm:NAME]` sections. Read once; every problem at once, with its line.
import { readFileSync } from 'node:fs';
import { readIni } from '../config/ini-source.ts';
import { formatProblem } from '../config/parse-file.ts';
import { closestWord } from '../config/suggest.ts';
import { EMPEROR_ALARM_KEYS, readAlarmSettings, type AlarmSettings } from '../config/alarm-config.ts';
import { describeErrno } from '../core/errors.ts';
import { UsageError } from './usage-error.ts';

/** The file's text, or a usage error naming it. */
export function readConfigText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --config ${path}: ${describeErrno(err)}`, 'E_FILE_UNREADABLE');
  }
}

/** The `[emperor]` section's options; a key not in `known` (or `config` itself) is an error with a suggestion. */
export function configOptions(path: string, text: string, known: readonly string[]): Map<string, string> {
  const doc = readIni(path, text);
  const errors = doc.problems.filter((p) => !p.warning).map(formatProblem);
  const out = new Map<string, string>();
  for (const section of doc.sections) {
    if (section.name !== 'emperor') continue;
    for (const e of section.entries) {
      if (EMPEROR_ALARM_KEYS.includes(e.key)) continue;
      if (!known.includes(e.key) || e.key === 'config') {
        const near = closestWord(e.key, known);
        errors.push(`${path}:${e.line}: unknown option \`${e.key}\`${near ? `; did you mean \`${near}\`?` : ''}`);
        continue;
      }
      out.set(e.key, e.value);
    }
  }
  if (errors.length > 0) throw new UsageError(errors.join('\n'));
  return out;
}

/** The alarms of the file (its `[alarm:NAME]` sections). */
export function configAlarms(path: string, text: string): AlarmSettings {
  const r = readAlarmSettings(path, text);
  if (!r.ok) throw new UsageError(r.errors.join('\n'), 'E_ALARM_CONFIG');
  return r.value;
}
