// The collector takes many messages of a connection at once (collector/ack-window.ts), but a
// device's status messages are still handled one after another in arrival order: a birth waits on
// the store (highest seq stored) and the last will that follows it must not overtake it. Real
// MQTT.js collector and publisher on the embedded broker; a store that holds the birth's query.

import mqtt from 'mqtt';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../collector/broker/embedded.js';
import { Collector } from '../../collector/collector.js';
import type { RecordStore } from '../../collector/store/index.js';
import { buildTopic, encodeMessage, type StatusMessage } from '../../protocol/index.js';
import { fullStatus } from '../protocol/fixtures.js';
import { waitFor } from '../support/stack.js';

let broker: EmbeddedBroker;
let collector: Collector;
const written: string[] = [];
let releaseQuery: () => void = () => {};
let queried = false;

/** Holds the first highestSeq() until released; records the order statuses are written in. */
const store = {
  connect: async () => {},
  close: async () => {},
  writeBatch: async () => ({ inserted: 0, duplicates: 0 }),
  writeOffload: async () => ({ inserted: 0, duplicates: 0 }),
  writeFeedback: async () => {},
  writeStatus: async (_fleet: string, status: StatusMessage) => {
    written.push(`${status.state} ${status.birth}`);
  },
  highestSeq: async () => {
    if (!queried) {
      queried = true;
      await new Promise<void>((resolve) => {
        releaseQuery = resolve;
      });
    }
    return null;
  },
} satisfies RecordStore;

beforeEach(async () => {
  written.length = 0;
  queried = false;
  broker = await startEmbeddedBroker();
  collector = new Collector(store, { broker: broker.url });
  await collector.start();
});

afterEach(async () => {
  releaseQuery();
  await collector.stop(1000);
  await broker.close();
});

it("handles a device's status messages in arrival order while the birth waits on the store", async () => {
  const pub = await mqtt.connectAsync(broker.url, { clientId: 'agent' });
  const topic = buildTopic({ fleet: 'lab', device: 'pi4-a', kind: 'status' });
  const birth = fullStatus({ device: 'pi4-a', state: 'online', birth: 7, seq: 10 });
  const will = fullStatus({ device: 'pi4-a', state: 'offline', birth: 7, seq: 10 });
  await pub.publishAsync(topic, Buffer.from(encodeMessage(birth)), { qos: 1 });
  await pub.publishAsync(topic, Buffer.from(encodeMessage(will)), { qos: 1 });
  await waitFor('the birth to ask the store', () => queried);
  // The will has reached the collector (the broker acknowledged it) but must wait for the birth.
  expect(written).toEqual([]);
  releaseQuery();
  await waitFor('both written', () => written.length === 2);
  expect(written).toEqual(['online 7', 'offline 7']);
  await pub.endAsync();
});
