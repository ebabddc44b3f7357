// `npm run build`, second step: emperorctl's files compiled again as CommonJS into dist/cjs/ (tsconfig.ctl.json),
// which bin/emperorctl.cjs loads without starting Node's ES module loader. This marks that folder CommonJS.
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{ "type": "commonjs" }\n');
