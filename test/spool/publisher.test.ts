// The publisher against a real (embedded) broker that goes away and comes back: back-off with
// jitter, the backlog resent in sequence order, the spool's bound while offline, and the birth
// counter that keeps a late last will from marking a reconnected device offline.

import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../agent/publish/backoff.js';
import { Outbox } from '../../agent/publish/outbox.js';
import { Publisher } from '../../agent/publish/publisher.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../collector/broker/embedded.js';
import {
  buildTopic,
  decodeMessage,
  encodeMessage,
  type InferenceBatch,
  type StatusMessage,
} from '../../protocol/index.js';
import { tempDir, waitFor } from '../support/stack.js';
import { testTempDir } from '../support/temp.js';
import { spoolOffloadRecord, spoolRecords } from './records.js';

const FLEET = 'pub';
const DEVICE = 'pub-dev';
const describe_ = { board: 'rpi4', agentVersion: 'test' };

describe('reconnect back-off', () => {
  it('grows exponentially to the cap, with full jitter above half the first step', () => {
    const at = (failures: number, random: number) =>
      backoffDelayMs(failures, { minMs: 500, maxMs: 30_000, random: () => random });
    expect([0, 1, 2, 3, 10].map((n) => at(n, 0.999_999))).toEqual(
      [500, 1000, 2000, 4000, 30_000].map((ms) => expect.closeTo(ms, 0)),
    );
    expect(at(0, 0)).toBe(250);
    expect(at(10, 0)).toBe(250);
    const spread = Array.from({ length: 200 }, () => backoffDelayMs(6));
    expect(Math.min(...spread)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...spread)).toBeLessThanOrEqual(30_000);
    expect(new Set(spread.map((ms) => Math.round(ms))).size).toBeGreaterThan(150);
  });
});

describe('publisher and a broker that goes away', () => {
  let dir: ReturnType<typeof tempDir>;
  let broker: EmbeddedBroker | undefined;
  let port = 0;
  const cleanups: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    dir = tempDir('edgewatt-pub-');
    const probe = await startEmbeddedBroker();
    port = probe.port;
    await probe.close();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker?.close();
    broker = undefined;
    dir.remove();
  });

  const url = () => `mqtt://127.0.0.1:${port}`;

  /** Every inference batch the broker receives, in the order it receives them. */
  function tap(on: EmbeddedBroker): number[] {
    const firstSeqs: number[] = [];
    on.aedes.on('publish', (packet) => {
      if (!packet.topic.endsWith('/inference')) return;
      const decoded = decodeMessage(packet.payload as Buffer);
      if (decoded.ok) firstSeqs.push((decoded.value as InferenceBatch).records[0]?.seq ?? -1);
    });
    return firstSeqs;
  }

  function publisher(spool: Outbox): Publisher {
    const p = new Publisher(spool, {
      brokerUrl: url(),
      fleet: FLEET,
      device: DEVICE,
      describe: describe_,
      stateDir: dir.path,
      reconnect: { minMs: 50, maxMs: 400 },
      maxBatchesPerSecond: 1000,
    });
    cleanups.push(() => p.close());
    return p;
  }

  async function subscriber(
    kind: 'inference' | 'status',
  ): Promise<{ firstSeqs: number[]; statuses: StatusMessage[] }> {
    const seen = { firstSeqs: [] as number[], statuses: [] as StatusMessage[] };
    const client = await mqtt.connectAsync(url(), { clientId: `watch-${kind}-${Math.random()}` });
    cleanups.push(() => client.endAsync());
    client.on('message', (_topic, payload) => {
      const decoded = decodeMessage(payload);
      if (!decoded.ok) return;
      if (decoded.value.type === 'inference')
        seen.firstSeqs.push((decoded.value as InferenceBatch).records[0]?.seq ?? -1);
      else if (decoded.value.type === 'status') seen.statuses.push(decoded.value);
    });
    await client.subscribeAsync(buildTopic({ fleet: FLEET, device: DEVICE, kind }), { qos: 1 });
    return seen;
  }

  it('sends the backlog made while the broker was down, complete and in sequence order', async () => {
    const spool = new Outbox(dir.path, DEVICE);
    const pub = publisher(spool);
    const sealed: number[] = [];
    for (let i = 0; i < 40; i++) {
      const [firstSeq, count] = seal(spool, i);
      pub.enqueue(firstSeq, count);
      sealed.push(firstSeq);
    }
    // Each connection attempt takes a new birth number: wait for three refused attempts.
    const firstBirth = pub.stats.birth;
    await waitFor('three refused connection attempts', () => pub.stats.birth >= firstBirth + 2);
    expect(pub.isConnected).toBe(false);
    broker = await startEmbeddedBroker(port);
    const received = tap(broker);
    expect(await pub.drain(10_000)).toBe(true);
    // aedes emits 'publish' after it has acknowledged: let the last few reach the tap.
    await waitFor('every batch seen by the broker', () => received.length >= sealed.length);
    expect(received).toEqual(sealed);
    expect(spool.stats().pendingBatches).toBe(0);
    expect(pub.stats.recordsSent).toBe(80);
  });

  it('publishes offload batches on the offload topic, also when resent by the next process', async () => {
    broker = await startEmbeddedBroker(port);
    const seen: { topic: string; type: string; seqs: number[] }[] = [];
    broker.aedes.on('publish', (packet) => {
      const decoded = decodeMessage(packet.payload as Buffer);
      if (decoded.ok && (decoded.value.type === 'inference' || decoded.value.type === 'offload'))
        seen.push({
          topic: packet.topic,
          type: decoded.value.type,
          seqs: decoded.value.records.map((r) => r.seq),
        });
    });
    // Sealed while no publisher runs: the next one finds them in the spool, with their kinds.
    const first = new Outbox(dir.path, DEVICE);
    first.seal(spoolRecords(1));
    first.sealBatch('offload', [spoolOffloadRecord(0)]);
    const spool = new Outbox(dir.path, DEVICE);
    const pub = publisher(spool);
    const live = spool.sealBatch('offload', [spoolOffloadRecord(1), spoolOffloadRecord(2)]);
    pub.enqueue(live.firstSeq, live.count, live.kind);
    expect(await pub.drain(10_000)).toBe(true);
    await waitFor('three batches seen by the broker', () => seen.length >= 3);
    const topic = (kind: 'inference' | 'offload') => buildTopic({ fleet: FLEET, device: DEVICE, kind });
    expect(seen).toEqual([
      { topic: topic('inference'), type: 'inference', seqs: [0] },
      { topic: topic('offload'), type: 'offload', seqs: [1] },
      { topic: topic('offload'), type: 'offload', seqs: [2, 3] },
    ]);
    expect(spool.stats().pendingBatches).toBe(0);
  });

  it('resends in order after the broker restarts mid-stream, and counts the lost connection', async () => {
    broker = await startEmbeddedBroker(port);
    const before = tap(broker);
    const spool = new Outbox(dir.path, DEVICE);
    const pub = publisher(spool);
    await waitFor('connected', () => pub.isConnected);
    for (let i = 0; i < 10; i++) pub.enqueue(...seal(spool, i));
    await waitFor('first ten acknowledged', () => spool.stats().pendingBatches === 0);
    await broker.close();
    await waitFor('connection lost', () => !pub.isConnected);
    for (let i = 10; i < 30; i++) pub.enqueue(...seal(spool, i));
    broker = await startEmbeddedBroker(port);
    const after = tap(broker);
    expect(await pub.drain(10_000)).toBe(true);
    await waitFor('every batch seen by the broker', () => after.length >= 20);
    expect(pub.stats).toMatchObject({ connectionLosses: 1, connects: 2, recordsSent: 60 });
    expect(before).toEqual(Array.from({ length: 10 }, (_, i) => i * 2));
    expect(after).toEqual(Array.from({ length: 20 }, (_, i) => 20 + i * 2));
  });

  it('keeps only the newest batches within the bound while offline, and counts what it dropped', async () => {
    const probe = new Outbox(testTempDir('edgewatt-size-'), DEVICE);
    const oneBatchBytes = probe.seal(spoolRecords(2)).payload.length;
    const spool = new Outbox(dir.path, DEVICE, 'cbor', { maxBytes: Math.floor(oneBatchBytes * 5.5) });
    const pub = publisher(spool);
    for (let i = 0; i < 20; i++) pub.enqueue(...seal(spool, i));
    expect(spool.stats()).toMatchObject({ pendingBatches: 5, droppedBatches: 15, droppedRecords: 30 });
    broker = await startEmbeddedBroker(port);
    expect(await pub.drain(10_000)).toBe(true);
    expect(pub.stats.recordsSent).toBe(10);
    expect(spool.nextSeq).toBe(40);
  });

  it('raises the birth counter on every connection and answers a late last will with its birth', async () => {
    broker = await startEmbeddedBroker(port);
    const statuses = await subscriber('status');
    const pub = publisher(new Outbox(dir.path, DEVICE));
    await waitFor('first birth', () => statuses.statuses.some((s) => s.state === 'online'));
    const firstBirth = pub.stats.birth;
    await broker.close();
    broker = await startEmbeddedBroker(port);
    await waitFor('reconnected', () => pub.stats.connects === 2);
    expect(pub.stats.birth).toBeGreaterThan(firstBirth);

    // The old connection's will arrives late (as through a slow bridge or a half-open socket) and
    // replaces the retained status.
    const watcher = await subscriber('status');
    await waitFor('current birth seen', () => watcher.statuses.some((s) => s.birth === pub.stats.birth));
    const late = await mqtt.connectAsync(url(), { clientId: 'late-will' });
    cleanups.push(() => late.endAsync());
    const staleWill = encodeMessage({
      v: 1,
      type: 'status',
      device: DEVICE,
      state: 'offline',
      seq: 0,
      atUs: 1,
      birth: firstBirth,
    });
    await late.publishAsync(
      buildTopic({ fleet: FLEET, device: DEVICE, kind: 'status' }),
      Buffer.from(staleWill),
      {
        qos: 1,
        retain: true,
      },
    );
    await waitFor('birth reasserted', () => pub.stats.birthsReasserted === 1);
    // What a newcomer finds retained is the device online with its current birth.
    const newcomer = await subscriber('status');
    await waitFor('retained status', () => newcomer.statuses.length > 0);
    expect(newcomer.statuses.at(-1)).toMatchObject({ state: 'online', birth: pub.stats.birth });
  });

  it('keeps the birth counter across restarts of the agent', async () => {
    broker = await startEmbeddedBroker(port);
    const first = publisher(new Outbox(dir.path, DEVICE));
    await waitFor('connected', () => first.isConnected);
    const birth = first.stats.birth;
    await first.close();
    const second = publisher(new Outbox(dir.path, DEVICE));
    await waitFor('connected again', () => second.isConnected);
    expect(second.stats.birth).toBe(birth + 1);
  });
});

function seal(spool: Outbox, i: number): [number, number] {
  const batch = spool.seal(spoolRecords(2, i * 2));
  return [batch.firstSeq, batch.count];
}
