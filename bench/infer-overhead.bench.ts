// agent.infer()'s in-process overhead over the bare model call on models of growing size (issue
// 14: is it a fixed number of µs, so that the ≤ 5 % target holds for any model above some size?).
// The zoo holds one model family only (cnn-base is its largest) and the fixtures none larger, so
// next to the zoo CNN the bench builds larger ones with the project's own architectures
// (models/arch): a CNN of twice the widths, the depthwise-separable DS-CNN, and MobileNetV1 at
// 96×96. Their weights are untrained (seeded): only the time of a call matters here. For each
// model one agent (simulated sensor, no loop, as bench:api) runs; the bare call (tensor, runner
// window, dispose: bench:api's "bare model call") and agent.infer() on the same input alternate,
// each after a turn of the event loop, as a caller's requests arrive. Both are timed in full.
// Besides the median, the lower quartile: on this shared 2-core VM another process taking the
// core in the middle of a call hits the slower calls, and a long call more often than a short one.
// Run: node --import tsx bench/infer-overhead.bench.ts (about a minute; at a quiet moment).

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as loopTurn } from 'node:timers/promises';
import { Agent } from '../agent/agent.js';
import { runInference } from '../agent/measure/runner.js';
import { buildCnn } from '../models/arch/cnn.js';
import { buildDsCnn } from '../models/arch/dscnn.js';
import { buildMobileNetV1 } from '../models/arch/mobilenet-v1.js';
import { saveArtifact } from '../models/artifact/save.js';
import { loadRuntime } from '../runtime/backend.js';
import { machineLine } from './machine.js';

/** Calls of each kind per model (more for the small ones, which vary more call to call). */
const ROUNDS = Number(process.env.EDGEWATT_BENCH_ROUNDS ?? 1500);
const dir = mkdtempSync(join(tmpdir(), 'edgewatt-bench-infer-'));
const { tf } = await loadRuntime();

const MODELS: { name: string; path: () => Promise<string>; rounds: number }[] = [
  {
    name: 'zoo cnn-base',
    path: async () => new URL('../models/zoo/cnn-base', import.meta.url).pathname,
    rounds: ROUNDS,
  },
  {
    name: 'cnn ×2 widths (64, 128, 128)',
    path: async () =>
      (
        await saveArtifact(tf, buildCnn(tf, { conv1: 64, conv2: 128, dense1: 128 }), join(dir, 'cnn2'), {
          variant: 'cnn-x2',
          architecture: 'cnn',
        })
      ).dir,
    rounds: ROUNDS,
  },
  {
    name: 'dscnn',
    path: async () =>
      (
        await saveArtifact(tf, buildDsCnn(tf), join(dir, 'dscnn'), {
          variant: 'dscnn',
          architecture: 'dscnn',
        })
      ).dir,
    rounds: ROUNDS,
  },
  {
    name: 'MobileNetV1 96×96',
    path: async () =>
      (
        await saveArtifact(tf, buildMobileNetV1(tf, 96, 10), join(dir, 'mobilenet'), {
          variant: 'mobilenet-v1-96',
          architecture: 'mobilenet-v1',
        })
      ).dir,
    rounds: Math.ceil(ROUNDS / 5),
  },
];

let seed = 14;
const nextRandom = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

console.log(machineLine());
console.log(
  `${'model'.padEnd(30)} ${'median: bare call, agent.infer() over it'.padEnd(34)} ${'lower quartile: the same'.padEnd(34)} load average (1 min) before/after`,
);
for (const { name, path, rounds } of MODELS) {
  const agent = await Agent.start({
    broker: 'mqtt://127.0.0.1:1', // none: records wait in the spool, as on a board offline
    fleet: 'bench',
    device: 'overhead',
    sensor: 'simulated:rpi4',
    model: await path(),
    allowUnsigned: true,
    warmup: 30,
    rate: 0,
    count: 0,
    stateDir: join(dir, `state-${name.replace(/\W+/g, '-')}`),
    batchMax: 50,
    flushMs: 1000,
    encoding: 'cbor',
    batchSize: 1,
    inputs: null,
    queueMax: 64,
    spool: { fsync: 'never' },
  });
  // The warm-up holds the queue in steps: wait until it is idle.
  while (!agent.queue.startsAtOnce) await new Promise((resolve) => setTimeout(resolve, 5));
  const shape = agent.inputShape;
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.3);
  const model = (agent as unknown as { model: Parameters<typeof runInference>[0] }).model;
  const bare: number[] = [];
  const inProcess: number[] = [];
  const loadBefore = loadavg()[0] ?? Number.NaN;
  const warm = Math.ceil(rounds / 10);
  for (let i = 0; i < warm + rounds; i++) {
    // Which goes first is drawn (seeded) each round, so that neither always follows the other.
    for (const bareCall of nextRandom() < 0.5 ? [true, false] : [false, true]) {
      await loopTurn();
      const t = performance.now();
      if (bareCall) {
        const tensor = tf.tensor(values, [1, ...shape]);
        runInference(model, tensor);
        tensor.dispose();
        if (i >= warm) bare.push(performance.now() - t);
      } else {
        await agent.infer({ values, count: 1 });
        if (i >= warm) inProcess.push(performance.now() - t);
        // Its record and tallies (deferred after the answer) are done here, outside both timings.
        agent.queue.settle();
      }
    }
  }
  const loadAfter = loadavg()[0] ?? Number.NaN;
  const at = (q: number) => {
    const b = quantile(bare, q);
    const overUs = (quantile(inProcess, q) - b) * 1000;
    return `${b.toFixed(3)} ms, +${overUs.toFixed(1)} µs (${((overUs / 1000 / b) * 100).toFixed(1)} %)`;
  };
  console.log(
    `${name.padEnd(30)} ${at(0.5).padEnd(34)} ${at(0.25).padEnd(34)} ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)}`,
  );
  await agent.stop(0);
}
rmSync(dir, { recursive: true, force: true });
