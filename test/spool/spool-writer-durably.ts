// A child process for the kill -9 test of the off-loop seal: keeps several sealBatchDurably() calls
// in flight at once (numbered at once, written in the thread pool in order) and prints
// `sealed <firstSeq> <count> <acked|pending>` after each one resolved, until it is killed.
// Usage: node --import tsx test/spool/spool-writer-durably.ts <stateDir> <fsync>

import type { FsyncPolicy } from '../../agent/publish/spool.js';
import { openSpool } from '../../agent/publish/spools.js';
import { spoolRecords } from './records.js';

const [stateDir = '.', fsync = 'always'] = process.argv.slice(2);
const spool = openSpool('file', stateDir, 'kill-me', 'cbor', {
  fsync: fsync as FsyncPolicy,
  maxBytes: 1 << 30,
});
/** Seals in flight at once: the agent has one seal of several batches under way at a time. */
const IN_FLIGHT = 4;
let index = 0;

async function sealOne(): Promise<void> {
  const count = 1 + (index % 5);
  const acked = index % 3 === 0;
  const sealing = spool.sealBatchDurably('inference', spoolRecords(count, index));
  index += count;
  const sealed = await sealing;
  // Acknowledge some, as a publisher would, so the spool is not only appended to.
  if (acked) spool.acknowledge(sealed.firstSeq, sealed.count);
  process.stdout.write(`sealed ${sealed.firstSeq} ${sealed.count} ${acked ? 'acked' : 'pending'}\n`);
}

async function lane(): Promise<void> {
  for (;;) await sealOne();
}

await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
