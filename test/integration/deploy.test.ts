// deploy/: the alert rules pass `promtool check rules` and their unit tests; the dashboard and the rules name
// only metrics the emperor exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.ts';
import { onPath } from './prom.ts';

const RULES_DIR = join(ROOT, 'deploy/prometheus');
const promtool = onPath('promtool');
const NEED = 'promtool is not on PATH: .ci/run installs Debian\'s prometheus package for it (apt-get install -y --no-install-recommends prometheus)';

/** Every metric family the emperor exports (src/metrics/registry.ts), and prom-client's process_ ones. */
function exported(): Set<string> {
  const text = readFileSync(join(ROOT, 'src/metrics/registry.ts'), 'utf8');
  return new Set([...text.matchAll(/name: '(emperor_[a-z_]+)'/g)].map((m) => m[1] ?? ''));
}

const metricsIn = (expr: string): string[] => [...expr.matchAll(/\b(emperor_[a-z_]+)\b/g)].map((m) => m[1] ?? '');

test('promtool check rules and promtool test rules pass on deploy/prometheus', () => {
  assert.ok(promtool !== null, NEED);
  const check = spawnSync(promtool, ['check', 'rules', 'emperor.rules.yml'], { cwd: RULES_DIR, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /SUCCESS: 7 rules found/);
  const unit = spawnSync(promtool, ['test', 'rules', 'emperor.rules.test.yml'], { cwd: RULES_DIR, encoding: 'utf8' });
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
  const rules = readFileSync(join(RULES_DIR, 'emperor.rules.yml'), 'utf8');
  for (const alert of ['EmperorDown', 'EmperorVassalDown', 'EmperorVassalFlapping', 'EmperorVassalFileInvalid', 'EmperorSamplingStale']) {
    assert.match(readFileSync(join(RULES_DIR, 'emperor.rules.test.yml'), 'utf8'), new RegExp(`alertname: ${alert}\\n`), `${alert} has a test`);
    assert.match(rules, new RegExp(`- alert: ${alert}\\n`));
  }
});

test('the Grafana dashboard is valid JSON over the exported metrics, each panel on the chosen datasource', () => {
  const dash = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/emperor.json'), 'utf8')) as {
    uid: string;
    panels: Array<{ id: number; title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }>;
  };
  const known = exported();
  assert.ok(known.has('emperor_vassal_up'), 'the registry scan found the metrics');
  const ids = new Set<number>();
  for (const p of dash.panels) {
    assert.ok(!ids.has(p.id), `panel id ${p.id} is unique`);
    ids.add(p.id);
    assert.equal(p.datasource.uid, '${datasource}', p.title);
    assert.ok(p.targets.length > 0, p.title);
    for (const t of p.targets) for (const m of metricsIn(t.expr)) assert.ok(known.has(m), `${p.title}: ${m} is not exported`);
  }
  for (const m of metricsIn(readFileSync(join(RULES_DIR, 'emperor.rules.yml'), 'utf8'))) assert.ok(known.has(m), `rules: ${m} is not exported`);
});
