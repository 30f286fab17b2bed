// agent.infer() in-process (issue 14): on an idle queue with a synchronous model call and the
// simulated sensor, the whole turn runs in the caller's turn and the answer comes back before its
// record is built; the record, the tallies and the remembered answer follow (before the next turn,
// or at once when feedback or status reads them). Whatever the order, each record carries the
// seq its answer gave and the answer's figures to the last bit.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import type { InferenceRecord } from '../../protocol/index.js';
import { agentConfig, demoModel, tempDir } from '../support/stack.js';

const dir = tempDir();
let agent: Agent;
const sealed: InferenceRecord[] = [];
const values = new Float32Array(784).fill(0.3);
const tick = () => new Promise((resolve) => setImmediate(resolve));

beforeAll(async () => {
  const modelPath = await demoModel(dir.path);
  // No broker: records wait in the spool, as on a board offline.
  agent = await Agent.start(
    agentConfig('mqtt://127.0.0.1:1', modelPath, join(dir.path, 'state'), {
      device: 'inproc',
      inputs: null,
      rate: 0,
      warmup: 3,
      batchMax: 1000,
      flushMs: 60_000,
    }),
  );
  agent.onBatch((records) => sealed.push(...records));
  // The warm-up holds the queue in steps: wait until it is idle.
  while (!agent.queue.startsAtOnce) await new Promise((resolve) => setTimeout(resolve, 5));
}, 60_000);

afterAll(() => dir.remove());

describe('agent.infer() in-process', () => {
  it("runs the turn in the caller's turn and answers before the record; feedback and status right after see it", async () => {
    const ranBefore = agent.queue.stats.ran;
    const pending = agent.infer({ values, count: 1 }, { label: 4 });
    // No promise job has run yet, and the model call, its window and the queue turn are over.
    expect(agent.queue.stats.ran).toBe(ranBefore + 1);
    expect(agent.queue.depth).toBe(0);
    const answer = await pending;
    expect(answer.queuedMs).toBe(0); // it waited for nothing
    expect(answer.energy.provenance).toBe('estimated');
    expect(answer.energy.energyJ).toBeGreaterThan(0);
    // Read right after the answer: the deferred record is held first.
    const judged = agent.feedback(answer.seq, answer.predictedClass[0] ?? -1);
    expect(judged.correct).toBe(true);
    const status = agent.status();
    expect(status.inferences).toBe(1);
    expect(status.energy.inferences).toBe(1);
    expect(status.energy.meanJ).toBe(answer.energy.energyJ);
  });

  it("gives each record its answer's seq and figures, with or without a loop turn between calls", async () => {
    const answers = [];
    for (let i = 0; i < 20; i++) {
      answers.push(await agent.infer({ values, count: 1 }));
      if (i % 3 === 0) await tick(); // some calls start at once, others wait for a turn
    }
    await agent.stop(0);
    const bySeq = new Map(sealed.map((record) => [record.seq, record]));
    expect(sealed).toHaveLength(21);
    const seqs = answers.map((a) => a.seq);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i)); // consecutive, in call order
    for (const answer of answers) {
      const record = bySeq.get(answer.seq);
      expect(record).toBeDefined();
      expect(record?.energyJ).toBe(answer.energy.energyJ);
      expect(record?.energyUncertaintyJ).toBe(answer.energy.uncertaintyJ);
      expect(record?.baselineW).toBe(answer.energy.baselineW);
      expect((record?.durationUs ?? 0) / 1000).toBe(answer.latencyMs);
      expect(record?.inputSource).toBe('library');
    }
  });
});
