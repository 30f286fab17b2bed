// Writes the golden file of every vector in golden-inputs.ts that has none yet, from today's
// encoder, and lists the ones it wrote. It never overwrites: an existing file is the contract,
// and a vector whose bytes changed is a protocol change (see golden.test.ts).
// Run: node --import tsx test/protocol/golden-write.ts

import { existsSync, writeFileSync } from 'node:fs';
import { encodeMessage } from '../../protocol/index.js';
import { GOLDEN_VECTORS } from './golden-inputs.js';

for (const [name, message, encoding] of GOLDEN_VECTORS) {
  const file = new URL(`./golden/${name}`, import.meta.url);
  if (existsSync(file)) continue;
  const bytes = encodeMessage(message, encoding);
  writeFileSync(
    file,
    `${encoding === 'cbor' ? Buffer.from(bytes).toString('hex') : Buffer.from(bytes).toString('utf8')}\n`,
  );
  console.log(`wrote test/protocol/golden/${name}`);
}
