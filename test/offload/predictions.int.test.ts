// An offloaded request of several inputs answers every input's scores, as the edge path does: a
// real in-process `edgewatt serve` gives `predictions` (one row per input) when the request asks
// for them (X-Edgewatt-Predictions: all) and only `prediction` otherwise (older agents' strict
// schema never meets the new field), and the agent's answer for three offloaded inputs equals an
// edge agent's answer for the same three, row by row.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentConfig } from '../../agent/agent.js';
import { SERVE_HEADERS, serveAnswerSchema } from '../../protocol/serve-answer.js';
import type { RunningServe } from '../../serve/server.js';
import { type Stack, startStack, tempDir } from '../support/stack.js';
import { startZooServe, zooAgentConfig } from '../support/zoo-agent.js';

const PIXELS = 28 * 28;
/** Three different inputs (a seeded pattern each), so their rows differ. */
const VALUES = Float32Array.from({ length: 3 * PIXELS }, (_, i) => {
  const k = Math.floor(i / PIXELS);
  return ((i * (k + 3) * 2654435761) % 1000) / 1000;
});

const dir = tempDir('edgewatt-offload-predictions-');
let stack: Stack;
let serve: RunningServe;

beforeAll(async () => {
  stack = await startStack(join(dir.path, 'store.sqlite'));
  serve = await startZooServe({ maxBatchSize: 8, credentialsPath: null });
}, 60_000);
afterAll(async () => {
  await serve?.close();
  await stack?.stop();
  dir.remove();
});

function config(device: string, offload?: AgentConfig['offload']): AgentConfig {
  return zooAgentConfig({ broker: stack.broker.url, device, stateDir: join(dir.path, device), offload });
}

async function post(withHeader: boolean) {
  const response = await fetch(`${serve.url}/v1/infer`, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream',
      [SERVE_HEADERS.dtype]: 'float32',
      [SERVE_HEADERS.shape]: '3,28,28,1',
      [SERVE_HEADERS.device]: 'pi-1',
      ...(withHeader ? { [SERVE_HEADERS.predictions]: 'all' } : {}),
    },
    body: new Uint8Array(VALUES.buffer),
  });
  expect(response.status).toBe(200);
  return serveAnswerSchema.parse(await response.json());
}

describe('offloading several inputs', () => {
  it('serve answers every row when asked, the first only otherwise', async () => {
    const all = await post(true);
    expect(all.predictions).toHaveLength(3);
    expect(all.predictions?.[0]).toEqual(all.prediction);
    // Different inputs, different rows: a repeated first row would not pass.
    expect(all.predictions?.[1]).not.toEqual(all.predictions?.[0]);
    expect(all.predictions?.[2]).not.toEqual(all.predictions?.[1]);
    const first = await post(false);
    expect(first.predictions).toBeUndefined();
    expect(first.prediction).toHaveLength(10);
  });

  it("the agent's answer for three offloaded inputs equals the edge's, row by row", async () => {
    const offload = await Agent.start(
      config('pi-off', { mode: 'offload', server: serve.url, timeoutMs: 5000, maxRttMs: 5000 }),
    );
    const edge = await Agent.start(config('pi-edge'));
    try {
      const input = { values: VALUES, count: 3 };
      const remote = await offload.infer(input, { source: 'http' });
      const local = await edge.infer(input, { source: 'http' });
      expect(remote.placement).toBe('offload');
      expect(remote.offload?.outcome).toBe('ok');
      expect(remote.output).toHaveLength(3);
      expect(remote.predictedClass).toEqual(local.predictedClass);
      remote.output.forEach((row, k) => {
        const expected = local.output[k] ?? [];
        expect(row).toHaveLength(expected.length);
        row.forEach((score, j) => {
          expect(score).toBeCloseTo(expected[j] ?? Number.NaN, 4);
        });
      });
    } finally {
      await Promise.all([offload.stop(5_000), edge.stop(5_000)]);
    }
  });
});
