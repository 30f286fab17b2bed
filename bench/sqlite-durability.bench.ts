// What a commit that survives a power cut costs the SQLite store (issue 12, item 10): the same
// batches written with `synchronous = NORMAL` (the old setting: in WAL mode a commit is not
// synced, so a power cut can undo commits already acknowledged to MQTT) and `FULL` (the default
// now: the WAL is synced at every commit), one transaction per message as ingest does it.
// Usage: node --import tsx bench/sqlite-durability.bench.ts [-- --batches 2000] [-- --records 50]

import { join } from 'node:path';
import { SqliteStore } from '../collector/store/sqlite.js';
import { tempDir } from '../test/support/stack.js';
import { machineLine } from './machine.js';
import { realisticRecords } from './records.js';

const argValue = (name: string) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
};
const BATCHES = Number(argValue('--batches') ?? 2000);
const RECORDS = Number(argValue('--records') ?? 50);
const ROUNDS = 3;

async function run(dir: string, durability: 'normal' | 'full', round: number) {
  const store = new SqliteStore(join(dir, `${durability}-${round}.sqlite`), { durability });
  await store.connect();
  const records = realisticRecords(BATCHES * RECORDS, round + 1, 0);
  const commitMs: number[] = [];
  const started = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    const t = performance.now();
    await store.writeBatch('bench', 'pi-1', records.slice(b * RECORDS, (b + 1) * RECORDS));
    commitMs.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  commitMs.sort((a, b) => a - b);
  const at = (p: number) => commitMs[Math.min(commitMs.length - 1, Math.floor(p * commitMs.length))] ?? 0;
  return { recordsPerS: (BATCHES * RECORDS) / seconds, medianMs: at(0.5), p99Ms: at(0.99) };
}

const dir = tempDir('edgewatt-bench-sqlite-');
try {
  console.log(`Measured on: ${machineLine()}`);
  console.log(
    `SQLite store, ${BATCHES} batches of ${RECORDS} records, one transaction each (WAL); best of ${ROUNDS} rounds, alternated`,
  );
  const best = {
    normal: { recordsPerS: 0, medianMs: 0, p99Ms: 0 },
    full: { recordsPerS: 0, medianMs: 0, p99Ms: 0 },
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const durability of ['normal', 'full'] as const) {
      const result = await run(dir.path, durability, round);
      if (result.recordsPerS > best[durability].recordsPerS) best[durability] = result;
    }
  }
  console.log('| synchronous | records/s | commit median | commit p99 |');
  console.log('|---|---|---|---|');
  for (const durability of ['normal', 'full'] as const) {
    const r = best[durability];
    console.log(
      `| ${durability.toUpperCase()} | ${Math.round(r.recordsPerS).toLocaleString('en')} | ${r.medianMs.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms |`,
    );
  }
  console.log(`FULL / NORMAL records/s: ${(best.full.recordsPerS / best.normal.recordsPerS).toFixed(2)}`);
} finally {
  dir.remove();
}
