// Each input source of the agent's loop, end to end into a collector (embedded broker, SQLite):
// random, dir:<path> (labelled by class-index subfolders), dataset:fashion-mnist (labelled, so
// accuracy is measured), mqtt (inputs on cmd/infer, answers on the answer topic). Every record
// says which source fed it.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentConfig } from '../../agent/agent.js';
import { inputsFactory } from '../../cli/schemas/agent-api.js';
import { buildTopic } from '../../protocol/index.js';
import { type Stack, startStack, tempDir, waitFor } from '../support/stack.js';
import { zooAgentConfig } from '../support/zoo-agent.js';

const dir = tempDir('edgewatt-inputs-');
let stack: Stack;

beforeAll(async () => {
  stack = await startStack(join(dir.path, 'store.sqlite'));
});
afterAll(async () => {
  await stack.stop();
  dir.remove();
});

function config(device: string, inputs: AgentConfig['inputs'], count: number): AgentConfig {
  return {
    ...zooAgentConfig({ broker: stack.broker.url, device, stateDir: join(dir.path, device) }),
    inputs,
    count,
  };
}

async function runToCount(device: string, spec: string, count: number) {
  const agent = await Agent.start(config(device, await inputsFactory({ inputs: spec }), count));
  await agent.finished();
  await agent.stop(5_000);
  await waitFor(`${device} stored`, () => stack.store.count({ device }) === count);
  return [...stack.store.records({ device })];
}

describe('--inputs', () => {
  it('random: the seeded load generator, correctness unknown', async () => {
    const records = await runToCount('in-random', 'random', 5);
    expect(records.map((r) => [r.inputSource, r.correct])).toEqual(Array(5).fill(['random', null]));
  });

  it('dir:<path>: image files cycled; a class-index subfolder is the label', async () => {
    const folder = join(dir.path, 'images');
    mkdirSync(join(folder, '7'), { recursive: true });
    const png = new PNG({ width: 28, height: 28 });
    png.data.fill(255);
    writeFileSync(join(folder, '7', 'white.png'), PNG.sync.write(png));
    writeFileSync(join(folder, 'zeros.json'), JSON.stringify(Array(28).fill(Array(28).fill([0]))));
    const records = await runToCount('in-dir', `dir:${folder}`, 4);
    expect(records.map((r) => r.inputSource)).toEqual(Array(4).fill('dir'));
    // Name order: 7/white.png (labelled), zeros.json (not), then again.
    expect(records.map((r) => r.correct === null)).toEqual([false, true, false, true]);
  });

  it('dataset:fashion-mnist: labelled test images, so the records say whether each answer was right', async () => {
    const records = await runToCount('in-dataset', 'dataset:fashion-mnist:40', 40);
    expect(records.every((r) => r.inputSource === 'dataset' && typeof r.correct === 'boolean')).toBe(true);
    // The zoo CNN is ~90 % accurate on Fashion-MNIST: far from chance (10 %) on 40 images.
    const accuracy = records.filter((r) => r.correct).length / records.length;
    expect(accuracy).toBeGreaterThan(0.6);
  });

  it('mqtt: inputs on cmd/infer are run and answered on the answer topic with the same id', async () => {
    const agent = await Agent.start(config('in-mqtt', await inputsFactory({ inputs: 'mqtt' }), 0));
    const client = await mqtt.connectAsync(stack.broker.url, { clientId: 'app-feeder' });
    const answers: Record<string, unknown>[] = [];
    client.on('message', (_topic, payload) =>
      answers.push(JSON.parse(payload.toString()) as Record<string, unknown>),
    );
    await client.subscribeAsync('edgewatt/v1/lab/in-mqtt/answer', { qos: 1 });
    const topic = buildTopic({ fleet: 'lab', device: 'in-mqtt', kind: 'cmd', command: 'infer' });
    // The agent subscribes once connected: resend until the first answer comes.
    const image = Array(28).fill(Array(28).fill([0.5]));
    await waitFor('agent answers', () => {
      void client.publishAsync(topic, JSON.stringify({ id: 'warm', input: image }), { qos: 1 });
      return answers.length > 0;
    });
    await client.publishAsync(topic, JSON.stringify({ id: 'a1', input: image, label: 3 }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ id: 'bad', input: [1, 2] }), { qos: 1 });
    await waitFor(
      'answers a1 and bad',
      () => answers.some((a) => a.id === 'a1') && answers.some((a) => a.id === 'bad'),
    );
    const a1 = answers.find((a) => a.id === 'a1') as { seq: number; predictedClass: number; energyJ: number };
    expect(a1.energyJ).toBeGreaterThan(0);
    expect(String(answers.find((a) => a.id === 'bad')?.error)).toContain('does not fit');
    await client.endAsync();
    await agent.stop(5_000);
    await waitFor('mqtt record stored', () =>
      [...stack.store.records({ device: 'in-mqtt' })].some((r) => r.seq === a1.seq),
    );
    const record = [...stack.store.records({ device: 'in-mqtt' })].find((r) => r.seq === a1.seq);
    expect(record?.inputSource).toBe('mqtt');
    expect(record?.correct).toBe(a1.predictedClass === 3);
  });
});
