// Issue 12, item 5: a store that fails for a while (its SQLite file locked by another
// connection), then recovers, behind a real mosquitto. Every record is stored once, none lost;
// the message never waits for a reconnect to be delivered again (it is retried in process), the
// stall shows on /metrics while it lasts, and a clean-session collector stopped in the middle of
// it loses nothing. Before the fix a failed write left its message unacknowledged for good.

import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { collectorMetricsSource, renderMetrics } from '../../collector/api/metrics.js';
import { Collector } from '../../collector/collector.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { buildTopic, encodeMessage, type InferenceRecord, PROTOCOL_VERSION } from '../../protocol/index.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

const RECORDS_PER_BATCH = 3;

const record = (seq: number): InferenceRecord => ({
  seq,
  startUs: 1_763_700_000_000_000 + seq * 1000,
  durationUs: 1500,
  energyJ: 0.0043,
  energyUncertaintyJ: 0.0005,
  baselineW: 2.7,
  sampleCount: 3,
  provenance: 'measured',
  sensor: 'ina219',
  modelId: 'c'.repeat(64),
  variant: 'dense',
  backend: 'wasm',
  batchSize: 1,
  inputBytes: 10,
  outputBytes: 4,
  correct: null,
});

/** Publishes `batches` batches of device `device` from seq `firstSeq`, QoS 1, each acknowledged by the broker. */
async function publish(url: string, device: string, firstSeq: number, batches: number): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: `pub-${device}-${firstSeq}` });
  try {
    for (let b = 0; b < batches; b++) {
      const seqs = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => firstSeq + b * RECORDS_PER_BATCH + i);
      const payload = encodeMessage({
        v: PROTOCOL_VERSION,
        type: 'inference',
        device,
        records: seqs.map(record),
      });
      await client.publishAsync(
        buildTopic({ fleet: 'lab', device, kind: 'inference' }),
        Buffer.from(payload),
        {
          qos: 1,
        },
      );
    }
  } finally {
    await client.endAsync();
  }
}

/** Another connection holding the write lock on the store's file, as a backup or a sqlite3 shell would. */
function lockFile(path: string): { release(): void } {
  const other = new Database(path);
  other.exec('BEGIN IMMEDIATE');
  return {
    release() {
      other.exec('ROLLBACK');
      other.close();
    },
  };
}

function metric(collector: Collector, name: string): number {
  const text = renderMetrics(collectorMetricsSource(collector.ingest, undefined)());
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`${name} not on /metrics`);
  return Number(line.split(' ')[1]);
}

const connections = (broker: Mosquitto, clientId: string) =>
  broker
    .log()
    .split('\n')
    .filter((l) => l.includes('New client connected') && l.includes(` as ${clientId} `)).length;

describeWith(['mosquitto'], 'a store that fails, then recovers (issue 12, item 5)', () => {
  let dir: ReturnType<typeof tempDir>;
  let broker: Mosquitto;
  const running: Collector[] = [];

  beforeEach(async () => {
    dir = tempDir('edgewatt-store-retry-');
    broker = await startMosquitto({ persistence: true });
  });
  afterEach(async () => {
    for (const collector of running.splice(0)) await collector.stop(1000).catch(() => undefined);
    await broker.remove();
    dir.remove();
  });

  async function collector(path: string, clientId?: string): Promise<{ c: Collector; store: SqliteStore }> {
    const store = new SqliteStore(path);
    const c = new Collector(store, { broker: broker.url, ...(clientId === undefined ? {} : { clientId }) });
    await c.start();
    running.push(c);
    return { c, store };
  }

  it('retries the write in process: all stored once, no reconnect, and the stall is on /metrics meanwhile', async () => {
    const path = join(dir.path, 'locked.sqlite');
    const { c, store } = await collector(path, 'retry-persistent');
    const lock = lockFile(path);
    // 30 messages: more than mosquitto's in-flight window of 20, which unacknowledged messages fill.
    await publish(broker.url, 'd1', 0, 30);
    await waitFor('3 failed store writes', () => c.stats.storeErrors >= 3, 20_000);
    // The collector takes many messages at once (collector/ack-window.ts): they fail together,
    // so the stall's age shows once the back-off has run a while, not after the third failure.
    await waitFor(
      'the stall on /metrics',
      () => metric(c, 'edgewatt_oldest_unacked_age_seconds') > 0.2,
      20_000,
    );
    expect(
      metric(c, 'edgewatt_store_retry_pending') + metric(c, 'edgewatt_unacked_messages'),
    ).toBeGreaterThan(0);
    lock.release();
    await waitFor('every record stored', () => store.count() === 30 * RECORDS_PER_BATCH, 20_000);
    await c.idle();
    const seqs = [...store.records()].map((r) => r.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(c.stats.rejected['store-failed']).toBeUndefined();
    expect(c.stats.storeRecoveries).toBeGreaterThanOrEqual(1);
    expect(metric(c, 'edgewatt_store_retry_pending')).toBe(0);
    expect(connections(broker, 'retry-persistent')).toBe(1);
  }, 60_000);

  it('a clean-session collector stopped while the store fails stores everything it was sent before it goes', async () => {
    const path = join(dir.path, 'clean.sqlite');
    const first = await collector(path);
    const lock = lockFile(path);
    await publish(broker.url, 'd2', 0, 30);
    await waitFor('2 failed store writes', () => first.c.stats.storeErrors >= 2, 20_000);
    const stopped = first.c.stop(20_000);
    // The store comes back while the collector is stopping: what the broker had sent must be stored.
    setTimeout(() => lock.release(), 500);
    await stopped;
    const second = await collector(path);
    await publish(broker.url, 'd2', 30 * RECORDS_PER_BATCH, 10);
    await waitFor('every record stored', () => second.store.count() === 40 * RECORDS_PER_BATCH, 20_000);
    const seqs = [...second.store.records()].map((r) => r.seq);
    expect(new Set(seqs).size).toBe(40 * RECORDS_PER_BATCH);
    expect(first.c.stats.rejected['store-failed']).toBeUndefined();
  }, 60_000);
});
