// Measures a model: accuracy on a labelled set (the full 10,000-image test set for the results
// table), and single-input latency on this machine (median and spread over many runs, after a
// warm-up), with the CPU time each inference used so that a board's energy can be estimated.

import type { Tf } from '../../runtime/backend.js';
import type { ImageSet } from '../data/fashion-mnist.js';
import { batchTensors } from '../train/trainer.js';

type LayersModel = ReturnType<Tf['sequential']>;
type Tensor = ReturnType<Tf['tensor']>;

export interface AccuracyResult {
  correct: number;
  examples: number;
  accuracy: number;
}

export function accuracyOn(tf: Tf, model: LayersModel, set: ImageSet, batchSize = 500): AccuracyResult {
  let correct = 0;
  for (let start = 0; start < set.count; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, set.count - start) }, (_, i) => start + i);
    const { xs, ys, labels } = batchTensors(tf, set, indices);
    const predicted = tf.tidy(() => (model.predict(xs) as Tensor).argMax(-1));
    const values = predicted.dataSync();
    for (let i = 0; i < labels.length; i++) if (values[i] === labels[i]) correct++;
    xs.dispose();
    ys.dispose();
    predicted.dispose();
  }
  return { correct, examples: set.count, accuracy: set.count > 0 ? correct / set.count : 0 };
}

export interface LatencyResult {
  runs: number;
  medianUs: number;
  p10Us: number;
  p90Us: number;
  /** Median CPU time (user + system) this process spent per inference, µs. */
  medianCpuUs: number;
  /** The windows measured, for energy estimates. */
  windows: { startNs: bigint; endNs: bigint; cpuUs: number }[];
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? 0;

/** Latency of one input at batch size 1, as the agent runs it (predict + dataSync). */
export function latencyOf(tf: Tf, model: LayersModel, runs = 200, warmup = 20): LatencyResult {
  const input = tf.randomUniform([1, 28, 28, 1], 0, 1, 'float32', 42);
  const windows: LatencyResult['windows'] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const cpuBefore = process.cpuUsage();
    const startNs = process.hrtime.bigint();
    const output = model.predict(input) as Tensor;
    output.dataSync();
    const endNs = process.hrtime.bigint();
    const cpu = process.cpuUsage(cpuBefore);
    output.dispose();
    if (i >= warmup) windows.push({ startNs, endNs, cpuUs: cpu.user + cpu.system });
  }
  input.dispose();
  const durations = windows.map((w) => Number(w.endNs - w.startNs) / 1000).sort((a, b) => a - b);
  const cpus = windows.map((w) => w.cpuUs).sort((a, b) => a - b);
  return {
    runs,
    medianUs: quantile(durations, 0.5),
    p10Us: quantile(durations, 0.1),
    p90Us: quantile(durations, 0.9),
    medianCpuUs: quantile(cpus, 0.5),
    windows,
  };
}
