// Child process of bench/ingest.bench.ts: simulated devices publishing pre-encoded CBOR batches
// at QoS 1 through a real broker, as fast as the broker acknowledges (a window of unacknowledged
// messages per connection). Prints one JSON line: messages, records, seconds, and its CPU time
// while publishing (µs).

import mqtt from 'mqtt';
import { buildTopic, encodeMessage } from '../protocol/index.js';
import { realisticRecords } from './records.js';

const [
  broker = 'mqtt://127.0.0.1:1883',
  devicesArg = '100',
  batchesArg = '200',
  sizeArg = '50',
  connArg = '4',
] = process.argv.slice(2);
const devices = Number(devicesArg);
const batchesPerDevice = Number(batchesArg);
const batchSize = Number(sizeArg);
const connections = Number(connArg);
const WINDOW = 200;

// Pre-encoded before the clock starts: the bench measures the pipeline, not the encoder.
const template = realisticRecords(batchSize, 7, 0);
const messages: { topic: string; payload: Buffer }[] = [];
for (let b = 0; b < batchesPerDevice; b++) {
  for (let d = 0; d < devices; d++) {
    const device = `sim-${String(d).padStart(4, '0')}`;
    const seq0 = b * batchSize;
    const records = template.map((r, i) => ({
      ...r,
      seq: seq0 + i,
      startUs: r.startUs + (b * batchSize + d) * 1000 + i,
    }));
    messages.push({
      topic: buildTopic({ fleet: 'bench', device, kind: 'inference' }),
      payload: Buffer.from(encodeMessage({ v: 1, type: 'inference', device, records })),
    });
  }
}

const clients = await Promise.all(
  Array.from({ length: connections }, (_, i) =>
    mqtt.connectAsync(broker, { clientId: `bench-pub-${process.pid}-${i}`, clean: true }),
  ),
);
process.stdout.write('ready\n');
await new Promise<void>((resolve) =>
  process.stdin.once('data', () => {
    process.stdin.destroy();
    resolve();
  }),
);
const started = performance.now();
const cpuBefore = process.cpuUsage();
let next = 0;
await Promise.all(
  clients.map(async (client, c) => {
    const inflight = new Set<Promise<unknown>>();
    for (let i = c; i < messages.length; i += connections) {
      const m = messages[i] as { topic: string; payload: Buffer };
      const p = client.publishAsync(m.topic, m.payload, { qos: 1 }).finally(() => inflight.delete(p));
      inflight.add(p);
      next++;
      if (inflight.size >= WINDOW) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }),
);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
await Promise.all(clients.map((c) => c.endAsync()));
process.stdout.write(
  `${JSON.stringify({ messages: next, records: next * batchSize, seconds, cpuUs: cpu.user + cpu.system })}\n`,
);
