// A child process for the collector spool's kill -9 test: appends message entries (CBOR batches,
// as ingest spools them) as fast as it can, eight appends in flight like eight MQTT connections,
// and prints `durable <index>` when an append resolved; every so often it commits what a sink
// would have written, first printing `committing <index>` (everything up to it may then be gone).
// Usage: node --import tsx test/deploy/spool-writer.ts <dir> <fsync: true|false>

import { Spool } from '../../collector/sink/spool.js';
import { messageEntry, readMessageEntry } from '../../collector/store/influx-entries.js';
import { encodeMessage } from '../../protocol/index.js';
import { constantRecords, makeBatch } from '../protocol/fixtures.js';

const [dir = '.', fsync = 'true'] = process.argv.slice(2);
// Small segments, so that rotation and deleting committed segments happen during the run.
const spool = await Spool.open({ dir, maxBytes: 1 << 30, segmentBytes: 32 * 1024, fsync: fsync === 'true' });

let next = 0;
async function connection(): Promise<void> {
  for (;;) {
    const index = next++;
    const batch = makeBatch(constantRecords(20, index * 20), `d${index}`);
    await spool.append([
      messageEntry('kill', `d${index}`, batch, { payload: encodeMessage(batch), receivedUs: index }),
    ]);
    process.stdout.write(`durable ${index}\n`);
    if (index % 50 === 49) {
      const head = spool.peek(500);
      if (head === undefined) continue;
      const last = head.entries.at(-1);
      // Said before the commit: once it has begun, those entries may be gone after a kill.
      process.stdout.write(
        `committing ${Number(readMessageEntry(last?.bytes ?? new Uint8Array())?.device.slice(1) ?? -1)}\n`,
      );
      await spool.commit(head.end);
    }
  }
}

await Promise.all(Array.from({ length: 8 }, connection));
