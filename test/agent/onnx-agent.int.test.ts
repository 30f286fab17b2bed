// Bring your own model, end to end, with real processes: `edgewatt model import` writes the
// manifest of the committed ONNX fixture, `model keygen` and `model sign` sign it, and a real
// `edgewatt agent` that trusts only that key runs it on onnx-cpu — its own loop (random inputs)
// and the local API — with the fixture's known answer, each inference in its energy window, and
// every record reaching a real collector (embedded broker, SQLite) naming the ONNX artifact and
// backend. A byte changed in the signed model.onnx stops the same agent before it starts.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../protocol/manifest/index.js';
import { freePort, waitForPort } from '../support/ports.js';
import { type Running, runCli } from '../support/process.js';
import { type Stack, startStack, tempDir, waitFor } from '../support/stack.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/onnx/tiny/model.onnx', import.meta.url));
const ID = sha256(readFileSync(FIXTURE));
const dir = tempDir('edgewatt-onnx-agent-');
const MODEL = join(dir.path, 'tiny');
const KEYS = join(dir.path, 'keys');
let stack: Stack;

/** The fixture's answer, softmax(flatten(x) · W + b), from make-tiny.mjs's seeded W and b. */
function expectedOutput(input: number[]): number[] {
  const seeded = (count: number, seed: number) => {
    let state = seed >>> 0;
    return Array.from({ length: count }, () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return Math.fround((state / 2 ** 32 - 0.5) * 0.1);
    });
  };
  const weight = seeded(7840, 1);
  const bias = seeded(10, 2);
  const logits = Array.from({ length: 10 }, (_, j) =>
    input.reduce((sum, x, i) => sum + x * (weight[i * 10 + j] ?? 0), bias[j] ?? 0),
  );
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

async function cli(args: string[]): Promise<string> {
  const run = runCli(args);
  const { code } = await run.exited;
  expect(code, `edgewatt ${args.join(' ')}\n${run.stderr()}`).toBe(0);
  return run.stdout();
}

function startAgent(model: string, apiPort: number, device: string): Running {
  return runCli([
    'agent',
    '--device',
    device,
    '--sensor',
    'simulated:rpi4',
    '--model',
    model,
    '--trusted-key',
    `${KEYS}.pub.pem`,
    '--warmup',
    '3',
    '--inputs',
    'random',
    '--rate',
    '20',
    '--flush-ms',
    '100',
    '--state-dir',
    join(dir.path, `state-${device}`),
    '--broker',
    stack.broker.url,
    '--api',
    `127.0.0.1:${apiPort}`,
  ]);
}

beforeAll(async () => {
  stack = await startStack(join(dir.path, 'store.sqlite'));
  const labels = 'c0,c1,c2,c3,c4,c5,c6,c7,c8,c9';
  const imported = await cli([
    'model',
    'import',
    FIXTURE,
    '--out',
    MODEL,
    '--name',
    'tiny-onnx',
    '--labels',
    labels,
  ]);
  expect(imported).toContain('onnx model tiny-onnx');
  await cli(['model', 'keygen', '--out', KEYS]);
  await cli(['model', 'sign', '--key', `${KEYS}.key.pem`, MODEL]);
  expect(await cli(['model', 'verify', '--trusted-key', `${KEYS}.pub.pem`, MODEL])).toContain(
    `OK ${MODEL}: tiny-onnx ${ID}`,
  );
}, 60_000);

afterAll(async () => {
  await stack.stop();
  dir.remove();
});

describe('import → sign → agent, with the ONNX fixture', () => {
  it('the agent runs the signed ONNX model on onnx-cpu: API answers, loop records, all stored', async () => {
    const port = await freePort();
    const agent = startAgent(MODEL, port, 'onnx-1');
    try {
      await waitForPort(port, 'agent API', 30_000, agent.child);
      const input = Array.from({ length: 784 }, (_, i) => (i % 29) / 28);
      const image = Array.from({ length: 28 }, (_, r) =>
        Array.from({ length: 28 }, (_, c) => [input[r * 28 + c] ?? 0]),
      );
      const response = await fetch(`http://127.0.0.1:${port}/v1/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: image }),
      });
      expect(response.status).toBe(200);
      const answer = (await response.json()) as {
        seq: number;
        output: number[][];
        predictedClass: number[];
        predictedLabel: string[];
        modelId: string;
        variant: string;
        backend: string;
        energy: { energyJ: number; provenance: string };
      };
      expect(answer).toMatchObject({ modelId: ID, variant: 'tiny-onnx', backend: 'onnx-cpu' });
      for (const [j, p] of expectedOutput(input).entries()) expect(answer.output[0]?.[j]).toBeCloseTo(p, 5);
      expect(answer.predictedLabel).toEqual([`c${answer.predictedClass[0]}`]);
      expect(answer.energy.energyJ).toBeGreaterThan(0);
      expect(answer.energy.provenance).toBe('estimated');
      const status = await (await fetch(`http://127.0.0.1:${port}/v1/status`)).text();
      expect(status).toContain('model tiny-onnx');
      expect(status).toContain('on onnx-cpu');

      await waitFor('loop records stored', () => stack.store.count({ device: 'onnx-1' }) >= 10, 20_000);
      const records = [];
      for await (const r of stack.store.readRecords({ device: 'onnx-1' })) records.push(r);
      expect(new Set(records.map((r) => `${r.modelId} ${r.variant} ${r.backend}`))).toEqual(
        new Set([`${ID} tiny-onnx onnx-cpu`]),
      );
      expect(new Set(records.map((r) => r.inputSource))).toContain('random');
      const fromApi = records.find((r) => r.seq === answer.seq);
      expect(fromApi?.inputSource).toBe('http');
      // Each record's window is its own: none starts before the previous one ended.
      const sorted = [...records].sort((a, b) => a.startUs - b.startUs);
      for (let i = 1; i < sorted.length; i++) {
        const before = sorted[i - 1] as { startUs: number; durationUs: number };
        expect((sorted[i] as { startUs: number }).startUs).toBeGreaterThanOrEqual(
          before.startUs + before.durationUs - 1,
        );
      }
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
  }, 60_000);

  it('a byte changed in the signed model.onnx stops the agent before it serves', async () => {
    const tampered = join(dir.path, 'tampered');
    await cli(['model', 'import', FIXTURE, '--out', tampered]);
    await cli(['model', 'sign', '--key', `${KEYS}.key.pem`, tampered]);
    const bytes = readFileSync(join(tampered, 'model.onnx'));
    bytes[bytes.length - 9] = (bytes[bytes.length - 9] ?? 0) ^ 0x10;
    writeFileSync(join(tampered, 'model.onnx'), bytes);
    const agent = startAgent(tampered, await freePort(), 'onnx-2');
    const { code } = await agent.exited;
    expect(code).not.toBe(0);
    expect(agent.stderr()).toMatch(/model\.onnx: SHA-256 [0-9a-f]{64}, but .*manifest\.json says/);
  }, 30_000);
});
