#!/usr/bin/env node
'use strict';
// emperorctl as installed (package.json "bin"): CommonJS, so a short-lived `emperorctl status` skips the
// ES module loader's start-up (about 8 ms of a 60 ms `node -e 0`). `npm run build` compiles emperorctl's
// own files a second time, as CommonJS, into dist/cjs/ (tsconfig.ctl.json); without them (a source tree
// never built, or built by an older build script) it runs the ES module entry, bin/emperorctl.js.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '../dist/cjs/cli/emperorctl.js');
if (existsSync(compiled)) require(compiled).main(process.argv.slice(2));
else import('./emperorctl.js');
