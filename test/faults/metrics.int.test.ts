// /metrics: the Prometheus text the collector exposes, rendered from a real Ingest over a real
// SQLite store after good and bad input, and served by the collector's HTTP API.

import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorMetricsSource, REJECT_REASONS, renderMetrics } from '../../collector/api/metrics.js';
import { buildApi } from '../../collector/api/server.js';
import { startEmbeddedBroker } from '../../collector/broker/embedded.js';
import { SqliteDeadLetter } from '../../collector/ingest/dead-letter.js';
import { Ingest } from '../../collector/ingest/ingest.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { buildTopic, encodeMessage, type InferenceRecord } from '../../protocol/index.js';
import { runCli } from '../support/process.js';
import { tempDir, waitFor } from '../support/stack.js';

const dir = tempDir('edgewatt-metrics-');
let store: SqliteStore;
let ingest: Ingest;

const record = (seq: number): InferenceRecord => ({
  seq,
  startUs: 1_763_700_000_000_000 + seq,
  durationUs: 100,
  energyJ: 0.001,
  energyUncertaintyJ: 0.0001,
  baselineW: 2,
  sampleCount: 1,
  provenance: 'measured',
  sensor: 'ina219',
  modelId: 'a'.repeat(64),
  variant: 'dense',
  backend: 'wasm',
  batchSize: 1,
  inputBytes: 1,
  outputBytes: 1,
  correct: null,
});
const batch = (device: string, seqs: number[]) =>
  encodeMessage({ v: 1, type: 'inference', device, records: seqs.map(record) });
const topic = (device: string) => buildTopic({ fleet: 'lab', device, kind: 'inference' });

/** Parses exposition text into `name{labels}` → value, and checks every sample has HELP and TYPE. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.trimEnd().split('\n')) {
    const type = /^# TYPE (\S+) (counter|gauge)$/.exec(line);
    if (type?.[1] !== undefined) typed.add(type[1]);
    if (line.startsWith('#')) continue;
    const match = /^([a-z_]+)(\{.*\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    if (!typed.has(match[1] ?? '')) throw new Error(`sample before its TYPE: ${line}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

beforeAll(async () => {
  store = new SqliteStore(join(dir.path, 'm.sqlite'));
  await store.connect();
  ingest = new Ingest(store, { nowMs: () => 1_763_700_000_000 });
  await ingest.handle(topic('pi-1'), batch('pi-1', [0, 1, 2]));
  await ingest.handle(topic('pi-1'), batch('pi-1', [2, 3]));
  await ingest.handle(topic('pi-2'), batch('pi-2', [0]));
  await ingest.handle(topic('pi-2'), batch('pi-2', [5, 6])); // 1..4 dropped by the agent's spool
  await ingest.handle(topic('pi-2'), new Uint8Array([1, 2, 3]));
  await ingest.handle(topic('pi-2'), batch('pi-1', [9]));
  await ingest.handle(topic('pi-2'), new TextEncoder().encode('{"v":1'));
  await ingest.handle(topic('pi-2'), new TextEncoder().encode('{"v":1,"type":"x"}'));
});
afterAll(async () => {
  await store.close();
  dir.remove();
});

describe('renderMetrics', () => {
  it('exposes what ingest counted, every rejection reason, and last seen per device', () => {
    const samples = parse(renderMetrics(collectorMetricsSource(ingest, undefined)()));
    expect(samples.get('edgewatt_messages_received_total')).toBe(8);
    expect(samples.get('edgewatt_records_stored_total')).toBe(7);
    expect(samples.get('edgewatt_duplicate_records_total')).toBe(1);
    expect(samples.get('edgewatt_batches_stored_total')).toBe(4);
    expect(samples.get('edgewatt_device_missing_records{fleet="lab",device="pi-1"}')).toBe(0);
    expect(samples.get('edgewatt_device_missing_records{fleet="lab",device="pi-2"}')).toBe(4);
    expect(samples.get('edgewatt_rejected_messages_total{reason="unknown-encoding"}')).toBe(1);
    expect(samples.get('edgewatt_rejected_messages_total{reason="device-mismatch"}')).toBe(1);
    expect(samples.get('edgewatt_rejected_messages_total{reason="malformed"}')).toBe(1);
    expect(samples.get('edgewatt_rejected_messages_total{reason="invalid"}')).toBe(1);
    expect(samples.get('edgewatt_rejected_messages_total{reason="rate-limited"}')).toBe(0);
    for (const reason of REJECT_REASONS)
      expect(samples.has(`edgewatt_rejected_messages_total{reason="${reason}"}`)).toBe(true);
    expect(samples.get('edgewatt_dead_lettered_total')).toBe(4);
    expect(samples.get('edgewatt_dead_letter_entries')).toBe(4);
    expect(samples.get('edgewatt_store_write_errors_total')).toBe(0);
    expect(samples.get('edgewatt_device_last_seen_seconds{fleet="lab",device="pi-1"}')).toBe(1_763_700_000);
    expect(samples.has('edgewatt_device_last_seen_seconds{fleet="lab",device="pi-2"}')).toBe(true);
    // SQLite does not buffer: no store buffer figures are invented for it.
    expect(samples.has('edgewatt_store_buffer_entries')).toBe(false);
  });

  it('reports a buffering store, and escapes label values', () => {
    const text = renderMetrics({
      ingest: ingest.stats,
      lastSeenUs: new Map([['odd/dev"ice\\x', 2_000_000]]),
      store: { pendingLines: 12, pendingBytes: 3400, written: 40, dropped: 2, retries: 5 },
    });
    const samples = parse(text);
    expect(samples.get('edgewatt_store_buffer_entries')).toBe(12);
    expect(samples.get('edgewatt_store_written_total')).toBe(40);
    expect(samples.get('edgewatt_store_dropped_total')).toBe(2);
    expect(samples.get('edgewatt_store_retries_total')).toBe(5);
    expect(text).toContain('edgewatt_device_last_seen_seconds{fleet="odd",device="dev\\"ice\\\\x"} 2');
  });
});

describe('GET /metrics', () => {
  it('serves the text format when the collector provides metrics, and is absent otherwise', async () => {
    const app = await buildApi({
      scenariosDir: dir.path,
      metrics: collectorMetricsSource(ingest, undefined),
    });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(parse(response.body).get('edgewatt_records_stored_total')).toBe(7);
    await app.close();
    const bare = await buildApi({ scenariosDir: dir.path });
    expect((await bare.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    await bare.close();
  });
});

describe('edgewatt collector --http (a real process)', () => {
  it('serves /metrics and keeps refused messages in its dead-letter file', async () => {
    const broker = await startEmbeddedBroker();
    const deadLetterPath = join(dir.path, 'cli-dead-letter.sqlite');
    const collector = runCli(
      [
        'collector',
        '--broker',
        broker.url,
        '--store',
        `sqlite:${join(dir.path, 'cli.sqlite')}`,
        '--http',
        '127.0.0.1:0',
        '--dead-letter',
        deadLetterPath,
        '--rate-limit',
        '1000',
      ],
      { EDGEWATT_LOG_LEVEL: 'info' },
    );
    try {
      await waitFor('HTTP API listening', () => /HTTP API listening/.test(collector.stderr()), 20_000);
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(collector.stderr())?.[1];
      await waitFor('collector subscribed', () => /collector subscribed/.test(collector.stderr()), 20_000);
      const publisher = await mqtt.connectAsync(broker.url);
      await publisher.publishAsync(topic('cli-dev'), Buffer.from(batch('cli-dev', [0, 1])), { qos: 1 });
      await publisher.publishAsync(topic('cli-dev'), Buffer.from([0xde, 0xad]), { qos: 1 });
      await publisher.endAsync();
      let samples = new Map<string, number>();
      await waitFor(
        'metrics show the batch and the refusal',
        () => {
          void fetch(`${url}/metrics`)
            .then((response) => response.text())
            .then((text) => {
              samples = parse(text);
            })
            .catch(() => undefined);
          return samples.get('edgewatt_dead_lettered_total') === 1;
        },
        20_000,
      );
      expect(samples.get('edgewatt_records_stored_total')).toBe(2);
      expect(samples.get('edgewatt_rejected_messages_total{reason="unknown-encoding"}')).toBe(1);
      collector.child.kill('SIGINT');
      expect((await collector.exited).code, collector.stderr()).toBe(0);
      const kept = new SqliteDeadLetter(deadLetterPath);
      expect(kept.recent(5)).toMatchObject([
        { reason: 'unknown-encoding', topic: topic('cli-dev'), payloadBytes: 2 },
      ]);
      kept.close();
    } finally {
      collector.child.kill('SIGKILL');
      await broker.close();
    }
  }, 60_000);
});
