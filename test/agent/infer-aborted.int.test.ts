// agent.infer() with a signal that has already aborted (the local API's client went away before
// its request was handled) is refused without running, also when the queue is idle and would start
// the call at once: no model call, no record, counted as abandoned (agent/serve/queue.ts).

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { RequestAbortedError } from '../../agent/serve/queue.js';
import { agentConfig, demoModel, tempDir } from '../support/stack.js';

const dir = tempDir();
let agent: Agent;
const values = new Float32Array(784).fill(0.3);

beforeAll(async () => {
  const modelPath = await demoModel(dir.path);
  // No broker: records wait in the spool, as on a board offline.
  agent = await Agent.start(
    agentConfig('mqtt://127.0.0.1:1', modelPath, join(dir.path, 'state'), {
      device: 'aborted',
      inputs: null,
      rate: 0,
      warmup: 3,
      batchMax: 1000,
      flushMs: 60_000,
    }),
  );
  // The warm-up holds the queue in steps: wait until it is idle.
  while (!agent.queue.startsAtOnce) await new Promise((resolve) => setTimeout(resolve, 5));
}, 60_000);

afterAll(async () => {
  await agent.stop(0);
  dir.remove();
});

describe('agent.infer() with an aborted signal', () => {
  it('is refused on an idle queue without running the model or recording an inference', async () => {
    expect(agent.queue.startsAtOnce).toBe(true);
    const ran = agent.queue.stats.ran;
    const abandoned = agent.queue.stats.abandoned;
    const inferences = agent.status().inferences;
    await expect(agent.infer({ values, count: 1 }, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      RequestAbortedError,
    );
    expect(agent.queue.stats.ran).toBe(ran);
    expect(agent.queue.stats.abandoned).toBe(abandoned + 1);
    expect(agent.status().inferences).toBe(inferences);
    // A call without a signal still runs at once.
    const answer = await agent.infer({ values, count: 1 });
    expect(agent.queue.stats.ran).toBe(ran + 1);
    expect(agent.status().inferences).toBe(inferences + 1);
    expect(answer.seq).toBeGreaterThanOrEqual(0);
  });
});
