// A child process for the kill -9 test: seals batches into a spool as fast as it can and prints
// `sealed <firstSeq> <count>` after each seal() returned, until it is killed.
// Usage: node --import tsx test/spool/spool-writer.ts <kind> <stateDir> <fsync>

import type { FsyncPolicy } from '../../agent/publish/spool.js';
import { openSpool } from '../../agent/publish/spools.js';
import { spoolRecords } from './records.js';

const [kind = 'file', stateDir = '.', fsync = 'always'] = process.argv.slice(2);
const spool = openSpool(kind, stateDir, 'kill-me', 'cbor', {
  fsync: fsync as FsyncPolicy,
  maxBytes: 1 << 30,
});
let index = 0;
for (;;) {
  const count = 1 + (index % 5);
  const sealed = spool.seal(spoolRecords(count, index));
  // Acknowledge some, as a publisher would, so the spool is not only appended to.
  if (index % 3 === 0) spool.acknowledge(sealed.firstSeq, sealed.count);
  process.stdout.write(
    `sealed ${sealed.firstSeq} ${sealed.count} ${index % 3 === 0 ? 'acked' : 'pending'}\n`,
  );
  index += count;
}
