// Feedback end to end on the real deployment path: an agent answers three inferences and is told
// the truth for two of them; its records and `feedback` messages go through real Mosquitto to two
// collectors, one writing SQLite and one real InfluxDB; both join each label to its record.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { Collector } from '../../collector/collector.js';
import { type RecordReader, readAccuracySummary, readLabelledRecords } from '../../collector/store/index.js';
import { InfluxStore } from '../../collector/store/influx.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { type Influxd, startInfluxd } from '../support/influxd.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith, hasTools, type Tool } from '../support/tools.js';

const NEEDS: Tool[] = ['mosquitto', 'influxd'];
const ZOO_MODEL = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));
const dir = tempDir('edgewatt-feedback-');
let mosquitto: Mosquitto;
let influx: Influxd;
let sqlite: SqliteStore;
let influxStore: InfluxStore;
const collectors: Collector[] = [];

beforeAll(async () => {
  if (!hasTools(...NEEDS)) return;
  [mosquitto, influx] = await Promise.all([startMosquitto(), startInfluxd()]);
  sqlite = new SqliteStore(join(dir.path, 'store.sqlite'));
  influxStore = new InfluxStore(`127.0.0.1:${influx.port}/edgewatt`, {
    spoolDir: join(dir.path, 'spool'),
    flushIntervalMs: 50,
  });
  for (const [i, store] of [sqlite, influxStore].entries()) {
    const collector = new Collector(store, { broker: mosquitto.url, clientId: `collector-${i}` });
    await collector.start();
    collectors.push(collector);
  }
}, 60_000);

afterAll(async () => {
  for (const c of collectors) await c.stop();
  await mosquitto?.remove();
  await influx?.remove();
  dir.remove();
});

async function labelled(reader: RecordReader) {
  const rows: [number, number | null, boolean | null][] = [];
  for await (const r of readLabelledRecords(reader, { device: 'fb-1' }))
    rows.push([r.seq, r.label, r.correct]);
  return rows;
}

describeWith(NEEDS, 'feedback → Mosquitto → collectors → SQLite and InfluxDB', () => {
  it('joins each label to its record in both stores, with field accuracy', async () => {
    const agent = await Agent.start({
      broker: mosquitto.url,
      fleet: 'lab',
      device: 'fb-1',
      sensor: 'simulated:rpi4',
      model: ZOO_MODEL,
      allowUnsigned: true,
      warmup: 0,
      rate: 0,
      count: 0,
      stateDir: join(dir.path, 'agent'),
      batchMax: 50,
      flushMs: 50,
      encoding: 'cbor',
      batchSize: 1,
      inputs: null,
    });
    const image = (v: number) => new Float32Array(784).fill(v);
    const answers = [];
    for (const v of [0.1, 0.5, 0.9])
      answers.push(await agent.infer({ values: image(v), count: 1 }, { source: 'http' }));
    const [a, b] = answers as [(typeof answers)[0], (typeof answers)[0]];
    const right = agent.feedback(a.seq, a.predictedClass[0] as number);
    const wrong = agent.feedback(b.seq, ((b.predictedClass[0] as number) + 1) % 10);
    expect([right.correct, wrong.correct]).toEqual([true, false]);
    await waitFor(
      'feedback in both collectors',
      () => collectors.every((c) => c.stats.feedbacks === 2),
      20_000,
    );
    await waitFor('records in both collectors', () => collectors.every((c) => c.stats.records === 3), 20_000);
    await agent.stop(5_000);
    await influxStore.drained();
    const expected = [
      [a.seq, right.label, true],
      [b.seq, wrong.label, false],
      [answers[2]?.seq, null, null],
    ];
    expect(await labelled(sqlite)).toEqual(expected);
    expect(await labelled(influxStore)).toEqual(expected);
    for (const store of [sqlite, influxStore]) {
      const [summary] = await readAccuracySummary(store, { device: 'fb-1' });
      expect(summary).toMatchObject({ inferences: 3, judged: 2, correct: 1, accuracy: 0.5 });
      expect(summary?.energyPerCorrectJ).toBeCloseTo((summary?.meanEnergyJ ?? 0) / 0.5, 12);
    }
  }, 60_000);
});
