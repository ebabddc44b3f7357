import { vassalTransition, type VassalState } from './src/core/vassal-machine.ts';
import { EVENTS, SITUATIONS, showEffect, viewsOf, type Situation } from './test/unit/vassal-machine-situations.ts';
function diff(a: VassalState, b: VassalState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(b) as (keyof VassalState)[]) if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out[k] = b[k];
  return out;
}
let text = '';
for (const [sn, sit] of Object.entries(SITUATIONS) as [string, Situation][]) {
  text += `  ${JSON.stringify(sn)}: {\n`;
  for (const [en, e] of Object.entries(EVENTS) as [string, any][]) {
    const spec = e.spec ? e.spec(sit.spec) : sit.spec;
    const t = vassalTransition(sit.st, e.ev(sit.spec, sit.st), { spec, instances: viewsOf(sit) });
    const d = diff(sit.st, t.state);
    const fx = t.effects.map(showEffect);
    if (fx.length === 0 && Object.keys(d).length === 0) { text += `    ${JSON.stringify(en)}: '=',\n`; continue; }
    text += `    ${JSON.stringify(en)}: { ${Object.keys(d).length ? `changes: ${JSON.stringify(d)}, ` : ''}effects: [${fx.map((f) => JSON.stringify(f)).join(', ')}] },\n`;
  }
  text += `  },\n`;
}
console.log(text);
