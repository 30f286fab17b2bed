// The collector against a real (embedded) broker: bad input is counted by reason and never stops
// ingest; a redelivered batch is stored once.

import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelledRecords } from '../../collector/store/index.js';
import { buildTopic, encodeMessage, type InferenceRecord, PROTOCOL_VERSION } from '../../protocol/index.js';
import { collectorRecord, jsonPayload, wireOf } from '../protocol/fixtures.js';
import {
  makeFailedOffloadRecord,
  makeOffloadBatch,
  makeOffloadRecord,
} from '../protocol/offload-fixtures.js';
import { type Stack, startStack, tempDir, waitFor } from '../support/stack.js';

const dir = tempDir();
let stack: Stack;
let publisher: mqtt.MqttClient;

beforeAll(async () => {
  stack = await startStack(join(dir.path, 'ingest.sqlite'));
  publisher = await mqtt.connectAsync(stack.broker.url, { clientId: 'test-publisher' });
});

afterAll(async () => {
  await publisher.endAsync();
  await stack.stop();
  dir.remove();
});

const record = (seq: number): InferenceRecord =>
  collectorRecord(seq, { energyJ: 0.004_321_987, correct: seq % 2 === 0 });

const topic = (device: string, kind: 'inference' | 'status' = 'inference') =>
  buildTopic({ fleet: 'lab', device, kind });
const batch = (device: string, seqs: number[]) =>
  Buffer.from(encodeMessage({ v: PROTOCOL_VERSION, type: 'inference', device, records: seqs.map(record) }));

describe('collector ingest', () => {
  it('counts each kind of bad input and keeps storing good input after it', async () => {
    const stats = stack.collector.stats;
    await publisher.publishAsync(topic('dev-1'), Buffer.from([0x00, 0x01]), { qos: 1 });
    await publisher.publishAsync(topic('dev-1'), Buffer.from('{"v":1,"type":"inference"'), { qos: 1 });
    await publisher.publishAsync(topic('dev-1'), Buffer.from('{"v":7,"type":"inference"}'), { qos: 1 });
    await publisher.publishAsync(topic('dev-1'), batch('someone-else', [0]), { qos: 1 });
    await publisher.publishAsync(topic('dev-1', 'status'), batch('dev-1', [0]), { qos: 1 });
    await publisher.publishAsync('edgewatt/v1/lab/dev-1/nonsense', batch('dev-1', [0]), { qos: 1 });
    await publisher.publishAsync(topic('dev-1'), batch('dev-1', [0, 1, 2]), { qos: 1 });
    await waitFor('good batch stored', () => stack.store.count() === 3);
    await stack.collector.idle();
    expect(stats.rejected).toEqual({
      'unknown-encoding': 1,
      malformed: 1,
      'unsupported-version': 1,
      'device-mismatch': 1,
      'topic-mismatch': 1,
    });
    // `nonsense` is not a kind the collector subscribes to: the broker never delivers it.
    expect(stats.records).toBe(3);
  });

  it('stores a redelivered batch once and counts the duplicates', async () => {
    const before = stack.collector.stats.duplicates;
    await publisher.publishAsync(topic('dev-2'), batch('dev-2', [10, 11]), { qos: 1 });
    await publisher.publishAsync(topic('dev-2'), batch('dev-2', [10, 11]), { qos: 1 });
    await publisher.publishAsync(topic('dev-2'), batch('dev-2', [11, 12]), { qos: 1 });
    await waitFor('duplicates counted', () => stack.collector.stats.duplicates - before === 3);
    const stored = [...stack.store.records()].filter((r) => r.device === 'dev-2');
    expect(stored.map((r) => r.seq)).toEqual([10, 11, 12]);
    const { fleet, device, receivedUs: _r, ...first } = stored[0] ?? ({} as never);
    expect({ fleet, device }).toEqual({ fleet: 'lab', device: 'dev-2' });
    expect(first).toEqual(record(10));
  });
});

describe('collector ingest of feedback', () => {
  const feedbackTopic = (device: string) => buildTopic({ fleet: 'lab', device, kind: 'feedback' });
  const feedback = (device: string, seq: number, label: number, correct: boolean) =>
    Buffer.from(
      encodeMessage({
        v: PROTOCOL_VERSION,
        type: 'feedback',
        device,
        seq,
        label,
        correct,
        atUs: 1_763_700_001_000_000,
      }),
    );

  it('stores feedback on its own topic and joins it to the record; another device’s feedback is refused', async () => {
    const before = stack.collector.stats.feedbacks;
    const mismatched = stack.collector.stats.rejected['device-mismatch'] ?? 0;
    await publisher.publishAsync(topic('dev-fb'), batch('dev-fb', [0, 1]), { qos: 1 });
    await publisher.publishAsync(feedbackTopic('dev-fb'), feedback('dev-fb', 1, 3, false), { qos: 1 });
    await publisher.publishAsync(feedbackTopic('dev-fb'), feedback('intruder', 0, 3, true), { qos: 1 });
    await waitFor('feedback stored', () => stack.collector.stats.feedbacks === before + 1);
    await waitFor(
      'mismatch refused',
      () => stack.collector.stats.rejected['device-mismatch'] === mismatched + 1,
    );
    const labelled = [];
    for await (const r of readLabelledRecords(stack.store, { device: 'dev-fb' }))
      labelled.push([r.seq, r.label, r.correct]);
    // Record 1 has no feedback-free verdict to keep: the feedback's (label 3, wrong) replaces it.
    expect(labelled).toEqual([
      [0, null, true],
      [1, 3, false],
    ]);
  });

  it('stores offload batches in their own table once, fills the seq span with them, and dead-letters an inconsistent one naming the field', async () => {
    const offloadTopic = (device: string) => buildTopic({ fleet: 'lab', device, kind: 'offload' });
    const offload = Buffer.from(
      encodeMessage(makeOffloadBatch([makeOffloadRecord(3), makeFailedOffloadRecord(4)], 'dev-off')),
    );
    const before = { ...stack.collector.stats, rejected: { ...stack.collector.stats.rejected } };
    await publisher.publishAsync(topic('dev-off'), batch('dev-off', [0, 1, 2]), { qos: 1 });
    await publisher.publishAsync(offloadTopic('dev-off'), offload, { qos: 1 });
    await publisher.publishAsync(offloadTopic('dev-off'), offload, { qos: 1 });
    await publisher.publishAsync(topic('dev-off'), batch('dev-off', [5]), { qos: 1 });
    // Another publisher's batch: a failed request that still claims the server's energy.
    const wire = wireOf(makeOffloadBatch([makeOffloadRecord(6)], 'dev-off'));
    await publisher.publishAsync(
      offloadTopic('dev-off'),
      Buffer.from(jsonPayload({ ...wire, outcome: 'timeout' })),
      {
        qos: 1,
      },
    );
    await waitFor(
      'offload stored, redelivery counted',
      () =>
        stack.collector.stats.offloadRecords === before.offloadRecords + 2 &&
        stack.collector.stats.duplicates === before.duplicates + 2,
    );
    await waitFor(
      'inconsistent batch refused',
      () => (stack.collector.stats.rejected.invalid ?? 0) === (before.rejected.invalid ?? 0) + 1,
    );
    await stack.collector.idle();
    const stored = [];
    for await (const r of stack.store.readOffload({ device: 'dev-off' })) stored.push(r);
    expect(stored.map((r) => [r.seq, r.outcome, r.serverEnergyJ])).toEqual([
      [3, 'ok', 0.004321],
      [4, 'timeout', undefined],
    ]);
    expect(stored[0]).toMatchObject({ ...makeOffloadRecord(3), fleet: 'lab', device: 'dev-off' });
    // Seqs 0–5 are all there: the offload records fill the span between the inference records.
    expect(stack.collector.ingest.seqSpan.get('lab/dev-off')).toEqual({ lowSeq: 0, highSeq: 5, stored: 6 });
    const refused = stack.collector.ingest.deadLetter.recent(1)[0];
    expect(refused).toMatchObject({ reason: 'invalid', topic: offloadTopic('dev-off') });
    expect(refused?.detail).toContain('record 0 (seq 6): outcome is "timeout" but serverId ("dc-fra-1")');
  });
});
