// Seqs given in answers while the counter is being recovered (docs/reliability.md, "The counter
// recovered from the collector"): an agent whose state directory is new answers requests before
// the collector's cmd/seq answer arrives, with the seqs it then expects; the real collector's
// answer (held at the embedded broker until the answers are out) raises the counter past what
// the store has, so the records are stored under higher seqs. Feedback with an answered seq —
// given before the records were sealed, and after — must still name the stored record, never
// the older record that had that seq — through agent.feedback() and over MQTT (cmd/feedback).

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentConfig, type InferAnswer } from '../../agent/agent.js';
import { readLabelledRecords } from '../../collector/store/labels.js';
import { type Stack, startStack, tempDir, waitFor } from '../support/stack.js';

const ZOO_MODEL = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));
const PIXELS = 28 * 28;
const input = (k: number) => ({
  values: Float32Array.from({ length: PIXELS }, (_, i) => ((i * (k + 3) * 2654435761) % 1000) / 1000),
  count: 1,
});

const dir = tempDir('edgewatt-seq-renumber-');
let stack: Stack;

beforeAll(async () => {
  stack = await startStack(join(dir.path, 'store.sqlite'));
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  dir.remove();
});

function config(stateDir: string): AgentConfig {
  return {
    broker: stack.broker.url,
    fleet: 'lab',
    device: 'pi-r',
    sensor: 'simulated:rpi4',
    model: ZOO_MODEL,
    allowUnsigned: true,
    warmup: 0,
    rate: 0,
    count: 0,
    stateDir: join(dir.path, stateDir),
    batchMax: 50,
    flushMs: 50,
    encoding: 'cbor',
    batchSize: 1,
    inputs: null,
  };
}

async function labels(): Promise<[number, number | null][]> {
  const out: [number, number | null][] = [];
  for await (const r of readLabelledRecords(stack.store, { device: 'pi-r' })) out.push([r.seq, r.label]);
  return out.sort((a, b) => a[0] - b[0]);
}

describe('seqs answered during seq recovery', () => {
  it('feedback with an answered seq names the stored record after the collector raised the counter', async () => {
    // A first life of the device: records 0..4 stored.
    const first = await Agent.start(config('state-1'));
    for (let k = 0; k < 5; k++) await first.infer(input(k), { source: 'http' });
    await first.stop(5_000);
    await waitFor('5 records stored', () => stack.store.count({ device: 'pi-r' }) === 5);

    // Its state directory lost: a new one. The collector's cmd/seq answer is held at the broker.
    const held: (() => void)[] = [];
    let holding = true;
    const aedes = stack.broker.aedes;
    const authorize = aedes.authorizePublish;
    aedes.authorizePublish = (_client, packet, callback) => {
      if (holding && packet.topic === 'edgewatt/v1/lab/pi-r/cmd/seq') held.push(() => callback(null));
      else callback(null);
    };
    const second = await Agent.start(config('state-2'));
    try {
      await waitFor('the collector answered the birth', () => held.length > 0, 20_000);
      const answers: InferAnswer[] = [];
      for (let k = 0; k < 3; k++) answers.push(await second.infer(input(10 + k), { source: 'http' }));
      // Answered before the counter was known: the seqs the spool expected (from 0).
      expect(answers.map((a) => a.seq)).toEqual([0, 1, 2]);
      const labelOf = (k: number) => ((answers[k]?.predictedClass[0] ?? 0) + 1 + k) % 10;
      second.feedback(0, labelOf(0)); // while the record waits to be sealed
      holding = false;
      for (const release of held.splice(0)) release();
      await waitFor('3 more records stored', () => stack.store.count({ device: 'pi-r' }) === 8);
      second.feedback(2, labelOf(2)); // after it was sealed, under another seq
      // Over MQTT, as an application on the board would send it (cmd/feedback).
      const app = await mqtt.connectAsync(stack.broker.url);
      await app.publishAsync(
        'edgewatt/v1/lab/pi-r/cmd/feedback',
        JSON.stringify({ seq: 1, label: labelOf(1) }),
        { qos: 1 },
      );
      await app.endAsync();
      await waitFor('3 feedbacks stored', () => stack.collector.stats.feedbacks === 3);
      // Stored after what the store had; the labels on the records answered, none on the first life's.
      expect(await labels()).toEqual([
        [0, null],
        [1, null],
        [2, null],
        [3, null],
        [4, null],
        [5, labelOf(0)],
        [6, labelOf(1)],
        [7, labelOf(2)],
      ]);
    } finally {
      aedes.authorizePublish = authorize;
      await second.stop(5_000);
    }
  }, 60_000);
});
