// `model eval` for any model on any labelled set (models/data/labelled.ts): TF.js or ONNX models,
// loaded and verified as the agent loads them (runtime/served.ts), one input per call. Accuracy
// on the set, latency here over seeded random inputs (interleaved rounds, as for the zoo table),
// and the board energy estimates from that latency; FLOPs and parameters come from the manifest.

import type { ModelTrust } from '../../protocol/manifest/index.js';
import type { Tf } from '../../runtime/backend.js';
import { loadServedModel, type ServedModel } from '../../runtime/served.js';
import { estimateEnergy } from '../analysis/energy.js';
import type { LatencyResult } from '../analysis/evaluate.js';
import { DatasetLayoutError, type LabelledSet } from '../data/labelled.js';
import type { VariantResult } from './results.js';

type Window = LatencyResult['windows'][number];

/** One call of `values` (count inputs) and its window; synchronous where the runtime allows. */
async function call(
  tf: Tf,
  model: ServedModel,
  values: Float32Array,
  count: number,
): Promise<{ output: ArrayLike<number>; window: Window }> {
  const shape = [count, ...model.inputShape];
  if (model.format === 'onnx') {
    const cpuBefore = process.cpuUsage();
    const startNs = process.hrtime.bigint();
    const output = model.onnx.runSync?.(values, shape) ?? (await model.onnx.run(values, shape));
    const endNs = process.hrtime.bigint();
    const cpu = process.cpuUsage(cpuBefore);
    return { output, window: { startNs, endNs, cpuUs: cpu.user + cpu.system } };
  }
  const input = tf.tensor(values, shape);
  const cpuBefore = process.cpuUsage();
  const startNs = process.hrtime.bigint();
  const result = model.predict(input);
  const output = result.dataSync();
  const endNs = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpuBefore);
  result.dispose();
  input.dispose();
  return { output, window: { startNs, endNs, cpuUs: cpu.user + cpu.system } };
}

const argmax = (values: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0) > (values[best] ?? 0)) best = i;
  return best;
};

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? 0;

function summarise(windows: Window[]): LatencyResult {
  const durations = windows.map((w) => Number(w.endNs - w.startNs) / 1000).sort((a, b) => a - b);
  const cpu = windows.map((w) => w.cpuUs).sort((a, b) => a - b);
  return {
    runs: windows.length,
    medianUs: quantile(durations, 0.5),
    p10Us: quantile(durations, 0.1),
    p90Us: quantile(durations, 0.9),
    medianCpuUs: quantile(cpu, 0.5),
    windows,
  };
}

export async function evaluateServed(
  tf: Tf,
  paths: readonly string[],
  loadSet: (model: ServedModel) => Promise<LabelledSet>,
  latency: { rounds: number; runsPerRound: number },
  trust?: ModelTrust,
): Promise<{ results: VariantResult[]; sources: string[] }> {
  const models: ServedModel[] = [];
  try {
    for (const path of paths) models.push(await loadServedModel(path, trust));
    const accuracies: { accuracy: number; examples: number }[] = [];
    const sources: string[] = [];
    for (const [m, model] of models.entries()) {
      const set = await loadSet(model);
      sources.push(set.source);
      const per = set.inputs.length / Math.max(1, set.count);
      let correct = 0;
      for (let i = 0; i < set.count; i++) {
        const { output } = await call(tf, model, set.inputs.subarray(i * per, (i + 1) * per), 1);
        if (argmax(output) === set.labels[i]) correct++;
      }
      if (set.count === 0) throw new DatasetLayoutError(`${paths[m]}: the dataset holds no examples`);
      accuracies.push({ accuracy: correct / set.count, examples: set.count });
    }
    // Latency in interleaved rounds, so that load from other processes falls on every model alike.
    const windows: Window[][] = models.map(() => []);
    let seed = 42;
    for (let round = 0; round < latency.rounds; round++) {
      for (const [m, model] of models.entries()) {
        const values = Float32Array.from({ length: model.inputShape.reduce((a, b) => a * b, 1) }, () => {
          seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
          return seed / 2 ** 32;
        });
        const warmup = round === 0 ? 20 : 5;
        for (let i = 0; i < warmup + latency.runsPerRound; i++) {
          const { window } = await call(tf, model, values, 1);
          if (i >= warmup) windows[m]?.push(window);
        }
      }
    }
    const results = models.map((model, m): VariantResult => {
      const lat = summarise(windows[m] ?? []);
      const { windows: _windows, ...latencySummary } = lat;
      const accuracy = accuracies[m] ?? { accuracy: 0, examples: 0 };
      return {
        variant: model.variant,
        id: model.id,
        parent: model.manifest?.parent ?? null,
        architecture: model.manifest?.architecture ?? model.format,
        path: paths[m] ?? '',
        flops: model.manifest?.flops ?? 0,
        params: model.manifest?.params ?? 0,
        artifactBytes: model.manifest?.artifactBytes ?? 0,
        accuracy: accuracy.accuracy,
        testExamples: accuracy.examples,
        flopsReductionVsParent: null,
        accuracyChangePointsVsParent: null,
        accuracyChangePointsVsControl: null,
        pruning: model.manifest?.pruning ?? null,
        latency: latencySummary,
        energy: estimateEnergy(lat),
      };
    });
    return { results, sources };
  } finally {
    for (const model of models) model.dispose();
  }
}
