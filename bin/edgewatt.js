#!/usr/bin/env node
// Entry point installed as `edgewatt`. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('edgewatt: dist/ is missing; run `npm run build` (npm install does it for you)\n');
  process.exit(1);
}
const { main } = await import(entry.href);
const code = await main(process.argv);
// On failure, exit now: a connection a failed command left open must not keep it running (stderr
// is written synchronously, so the message is out). On success, let pending output drain.
if (code !== 0) process.exit(code);
process.exitCode = code;
