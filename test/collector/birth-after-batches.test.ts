// The collector takes many messages of a connection at once (collector/ack-window.ts), but a
// device's birth asks the store for the highest seq stored only once every message taken before it
// is handled: a batch that reached the collector before the birth (a backlog after a collector
// restart) is counted, so a device that lost its counter is not told a seq below records already
// on their way (it would reuse their seqs, and its new records would be dropped as duplicates).
// Real MQTT.js collector and publisher on the embedded broker; a store that holds the batch's write.

import mqtt from 'mqtt';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../collector/broker/embedded.js';
import { Collector } from '../../collector/collector.js';
import type { RecordStore } from '../../collector/store/index.js';
import { buildTopic, encodeMessage } from '../../protocol/index.js';
import { collectorRecord, fullStatus, makeBatch } from '../protocol/fixtures.js';
import { waitFor } from '../support/stack.js';

const DEVICE = 'pi4-b';
let broker: EmbeddedBroker;
let collector: Collector;
const events: string[] = [];
let stored = -1;
let releaseWrite: () => void = () => {};

/** Holds the first batch's write until released; answers highestSeq from what it has written. */
const store = {
  connect: async () => {},
  close: async () => {},
  writeBatch: async (_fleet: string, _device: string, records: readonly { seq: number }[]) => {
    events.push('write started');
    await new Promise<void>((resolve) => {
      releaseWrite = resolve;
    });
    for (const r of records) stored = Math.max(stored, r.seq);
    events.push('write done');
    return { inserted: records.length, duplicates: 0 };
  },
  writeOffload: async () => ({ inserted: 0, duplicates: 0 }),
  writeFeedback: async () => {},
  writeStatus: async () => {},
  highestSeq: async () => {
    events.push(`highest seq asked: ${stored}`);
    return stored < 0 ? null : stored;
  },
} satisfies RecordStore;

beforeEach(async () => {
  events.length = 0;
  stored = -1;
  broker = await startEmbeddedBroker();
  collector = new Collector(store, { broker: broker.url });
  await collector.start();
});

afterEach(async () => {
  releaseWrite();
  await collector.stop(1000);
  await broker.close();
});

it("answers a birth only after the device's batches taken before it are handled", async () => {
  const pub = await mqtt.connectAsync(broker.url, { clientId: 'agent-b' });
  const batch = makeBatch([collectorRecord(40), collectorRecord(41), collectorRecord(42)], DEVICE);
  await pub.publishAsync(
    buildTopic({ fleet: 'lab', device: DEVICE, kind: 'inference' }),
    Buffer.from(encodeMessage(batch)),
    { qos: 1 },
  );
  const birth = fullStatus({ device: DEVICE, state: 'online', birth: 3, seq: 0 });
  await pub.publishAsync(
    buildTopic({ fleet: 'lab', device: DEVICE, kind: 'status' }),
    Buffer.from(encodeMessage(birth)),
    {
      qos: 1,
    },
  );
  await waitFor('the batch write to start', () => events.includes('write started'));
  // Give the birth every chance to overtake the held write.
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  releaseWrite();
  await waitFor('the birth to ask the store', () => events.some((e) => e.startsWith('highest seq asked')));
  expect(events).toEqual(['write started', 'write done', 'highest seq asked: 42']);
  await pub.endAsync();
});
