// Warm-up: the agent runs inferences before the first measured one and publishes none of them.
// The rule "latency has settled" on synthetic latencies (a compile step, cache filling, a steady
// state with outliers, a drift that never settles), and the real Agent on a signed model.

import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { latencySettled, WARMUP_CAP, WARMUP_GROUP, WARMUP_MIN, warmUp } from '../../agent/measure/warmup.js';
import type { InferenceRecord } from '../../protocol/index.js';
import { agentConfig, demoModel, type Stack, startStack, tempDir } from '../support/stack.js';

const immediately = () => Promise.resolve();

/** A run that replays `latenciesUs`, then repeats its last value. */
function replay(latenciesUs: readonly number[]): () => number {
  let i = 0;
  return () => latenciesUs[Math.min(i++, latenciesUs.length - 1)] ?? 0;
}

describe('latency settles', () => {
  it('not while the compile and cache-filling steps are among the compared groups', () => {
    const first = [8000, 2400, 900, 400, 250, 160, 120, 105, 100, 101];
    expect(latencySettled(first)).toBe(false);
    expect(latencySettled([...first, 99, 102, 100, 98, 101])).toBe(true);
  });

  it('ignores single outliers (a GC pause) in a steady run: medians, not means', () => {
    const steady = [100, 101, 99, 100, 102, 100, 5000, 99, 101, 100];
    expect(latencySettled(steady)).toBe(true);
  });

  it('never before WARMUP_MIN inferences, however steady', async () => {
    const result = await warmUp(() => 100, undefined, undefined, immediately);
    expect(result.count).toBe(Math.max(WARMUP_MIN, 2 * WARMUP_GROUP));
    expect(result.settled).toBe(true);
  });

  it('until settled: stops at the first settled group after a compile step', async () => {
    const latencies = [
      9000, 3000, 1200, 600, 300, 200, 150, 120, 110, 104, 100, 101, 99, 100, 100, 100, 100, 100,
    ];
    const result = await warmUp(replay(latencies), undefined, undefined, immediately);
    expect(result.settled).toBe(true);
    expect(result.count).toBeGreaterThan(WARMUP_MIN);
    expect(result.count).toBe(16); // medians 100 vs 110: within 10 %
    expect(result.latenciesUs[0]).toBe(9000);
    expect(latencySettled(result.latenciesUs.slice(0, -1))).toBe(false);
  });

  it('a latency that drifts for good stops at the cap, said so', async () => {
    let latencyUs = 100;
    const drifting = () => {
      latencyUs *= 1.03; // 3 % per inference: medians of 5 apart by ~16 %
      return latencyUs;
    };
    const result = await warmUp(drifting, undefined, undefined, immediately);
    expect(result.count).toBe(WARMUP_CAP);
    expect(result.settled).toBe(false);
  });

  it('--warmup N runs exactly N, and 0 none', async () => {
    expect((await warmUp(() => 100, 3, undefined, immediately)).count).toBe(3);
    expect((await warmUp(() => 100, 0, undefined, immediately)).count).toBe(0);
  });
});

describe('the agent warms up before the first measured inference', () => {
  const dir = tempDir();
  let modelPath = '';
  let stack: Stack | undefined;
  beforeAll(async () => {
    modelPath = await demoModel(dir.path);
    return () => dir.remove();
  });
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  for (const warmup of [7, undefined]) {
    it(`runs ${warmup ?? 'until settled'} warm-up inferences and publishes only the measured ones`, async () => {
      stack = await startStack(join(dir.path, `w${warmup ?? 'auto'}.sqlite`));
      const agent = await Agent.start(
        agentConfig(stack.broker.url, modelPath, join(dir.path, 'state'), {
          device: `warm-${warmup ?? 'auto'}`,
          rate: 0,
          count: 25,
          warmup,
        }),
      );
      const firstSeq = agent.nextSeq;
      const sent: InferenceRecord[] = [];
      agent.onBatch((records) => sent.push(...records));
      await agent.finished();
      await agent.stop();
      if (warmup === undefined) expect(agent.stats.warmupInferences).toBeGreaterThanOrEqual(WARMUP_MIN);
      else expect(agent.stats.warmupInferences).toBe(warmup);
      // Exactly the measured ones, numbered from the first seq: no warm-up record took a number.
      expect(sent.map((r) => r.seq)).toEqual(Array.from({ length: 25 }, (_, i) => firstSeq + i));
      expect(agent.stats.inferences).toBe(25);
    });
  }
});
