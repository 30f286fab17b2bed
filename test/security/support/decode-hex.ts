// Child process of wire-hostile.int.test.ts: decodes the hex payload in the file named by argv[2]
// and prints the outcome as one JSON line with the milliseconds it took. A decoder that hangs
// on the payload hangs here, where the test can kill it, not in the test process.

import { readFileSync } from 'node:fs';
import { decodeMessage } from '../../../protocol/index.js';

const hex = readFileSync(process.argv[2] ?? '', 'utf8').trim();
const started = performance.now();
const result = decodeMessage(Uint8Array.from(Buffer.from(hex, 'hex')));
const ms = performance.now() - started;
process.stdout.write(
  `${JSON.stringify(result.ok ? { ok: true, ms } : { ok: false, reason: result.error.reason, message: result.error.message, ms })}\n`,
);
