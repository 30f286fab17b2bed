// The real deployment path end to end: real agents (demo model) → real Mosquitto → three
// collectors in one MQTT 5 shared-subscription group → real InfluxDB. Every record is stored
// once, also a batch delivered twice (to different members); then every panel query of every
// dashboard, run against what this run stored, returns data.

import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { Collector } from '../../collector/collector.js';
import { InfluxStore } from '../../collector/store/influx.js';
import { buildDashboards } from '../../dashboards/index.js';
import { buildTopic, encodeMessage, type InferenceRecord } from '../../protocol/index.js';
import { sampleDeploymentPoints } from '../collector/deploy/support.js';
import { makeRecord } from '../protocol/fixtures.js';
import { type Influxd, startInfluxd } from '../support/influxd.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { demoModel, tempDir, waitFor } from '../support/stack.js';
import { describeWith, hasTools, type Tool } from '../support/tools.js';
import { agentConfig, compareKeys, SAMPLE_COMPARISON, storedKeys } from './fixtures.js';
import { panelQueries, substituteMacros } from './panels.js';

const NEEDS: Tool[] = ['mosquitto', 'influxd'];
const ready = hasTools(...NEEDS);

const DB = 'edgewatt';
const dir = tempDir('edgewatt-shared-');
let mosquitto: Mosquitto;
let influx: Influxd;
let modelPath = '';
const stores: InfluxStore[] = [];
const collectors: Collector[] = [];
const startedAtMs = Date.now();

beforeAll(async () => {
  if (!ready) return;
  [mosquitto, influx, modelPath] = await Promise.all([startMosquitto(), startInfluxd(), demoModel(dir.path)]);
  for (let i = 0; i < 3; i++) {
    const store = new InfluxStore(`127.0.0.1:${influx.port}/${DB}`, {
      spoolDir: join(dir.path, `spool-${i}`),
      flushIntervalMs: 100,
    });
    const collector = new Collector(store, {
      broker: mosquitto.url,
      clientId: `collector-${i}`,
      sharedGroup: 'ingest',
    });
    await collector.start();
    stores.push(store);
    collectors.push(collector);
  }
}, 60_000);

afterAll(async () => {
  for (const c of collectors) await c.stop();
  await mosquitto?.remove();
  await influx?.remove();
  dir.remove();
});

/** A device with ground truth (a third-party publisher): its answers are right or wrong. */
function groundTruthRecords(): InferenceRecord[] {
  const t0 = Date.now() * 1000;
  return Array.from({ length: 20 }, (_, i) =>
    makeRecord(i, {
      startUs: t0 + i * 5000,
      variant: 'pruned-50',
      correct: i % 4 !== 0,
      provenance: 'measured',
    }),
  );
}

describeWith(NEEDS, 'agents → Mosquitto → three collectors in one shared group → InfluxDB', () => {
  it('stores every record once, with the load split across the group', async () => {
    const produced: string[] = [];
    const devices = ['pi4-a', 'pi5-b', 'orin-c', 'pi4-d'];
    const agents = await Promise.all(
      devices.map((device, i) =>
        Agent.start(
          agentConfig(mosquitto.url, modelPath, join(dir.path, 'agents'), {
            device,
            sensor: ['simulated:rpi4', 'simulated:rpi5', 'simulated:jetson-orin-nano', 'simulated:rpi4'][
              i
            ] as string,
            count: 60,
          }),
        ).then((agent) => {
          // Attached at once: the first batch is sealed a few milliseconds after start.
          agent.onBatch((records) => produced.push(...records.map((r) => `${device}/${r.seq}`)));
          return agent;
        }),
      ),
    );
    // The same batch published twice, as a device resends what was not acknowledged: round robin
    // hands the two copies to different members of the group.
    const gt = groundTruthRecords();
    const payload = encodeMessage({ v: 1, type: 'inference', device: 'mcu-gt', records: gt });
    const publisher = await mqtt.connectAsync(mosquitto.url, { clientId: 'gt-publisher' });
    const topic = buildTopic({ fleet: 'field', device: 'mcu-gt', kind: 'inference' });
    await publisher.publishAsync(topic, Buffer.from(payload), { qos: 1 });
    await publisher.publishAsync(topic, Buffer.from(payload), { qos: 1 });
    await publisher.endAsync();
    produced.push(...gt.map((r) => `mcu-gt/${r.seq}`));

    await Promise.all(agents.map((a) => a.finished()));
    await Promise.all(agents.map((a) => a.stop()));
    const received = () => collectors.reduce((sum, c) => sum + c.stats.records, 0);
    await waitFor('all records at the collectors', () => received() >= 4 * 60 + 2 * gt.length, 60_000);
    await Promise.all(stores.map((s) => s.drained()));

    const result = compareKeys(produced, await storedKeys(influx, DB));
    expect(result).toMatchObject({
      produced: 4 * 60 + 20,
      stored: 4 * 60 + 20,
      missing: [],
      duplicates: 0,
      unexpected: [],
    });
    for (const c of collectors) expect(c.stats.batches, 'every member got a share').toBeGreaterThan(0);
    expect(stores.every((s) => s.sinkStats.dropped === 0)).toBe(true);
  }, 120_000);

  it('answers every panel query of every dashboard with data from this run', async () => {
    await stores[0]?.writeComparison([
      { ...SAMPLE_COMPARISON, atUs: Date.now() * 1000 },
      { ...SAMPLE_COMPARISON, atUs: Date.now() * 1000, variant: 'pruned-50', board: 'jetson-orin-nano' },
    ]);
    await stores[0]?.writeDeployments(sampleDeploymentPoints(Date.now()));
    await stores[0]?.drained();
    const range = { fromMs: startedAtMs - 60_000, toMs: Date.now() + 60_000 };
    // The experiments dashboard needs experiment records (test/deploy/experiments-dashboard.int.test.ts),
    // the offload dashboard offload records (test/deploy/offload-dashboard.int.test.ts); these agents make neither.
    const queries = buildDashboards()
      .filter((d) => !d.path.includes('experiments') && !d.path.includes('offload'))
      .flatMap((d) => panelQueries(d.json));
    expect(queries.length).toBeGreaterThanOrEqual(15);
    const empty: string[] = [];
    for (const q of queries) {
      const series = await influx.query(DB, substituteMacros(q.query, range));
      const hasValue = series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null)));
      if (!hasValue) empty.push(`${q.dashboard} / ${q.panel}: ${q.query}`);
    }
    expect(empty).toEqual([]);
  });
});
