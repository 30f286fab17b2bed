// `edgewatt model eval` and `edgewatt model results`: measures artifacts — accuracy on the test
// set, FLOPs, parameters, artifact size, latency here and the estimated energy per inference on
// each board profile — and writes the results table as JSON. Latency of several models is
// measured in interleaved rounds, so that load from other processes falls on all of them alike.

import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { EDGEWATT_VERSION } from '../../common/version.js';
import type { ModelManifest } from '../../protocol/manifest/index.js';
import type { Tf } from '../../runtime/backend.js';
import { type Baseline, zalandoBaselines } from '../analysis/baselines.js';
import { type EnergyEstimate, estimateEnergy } from '../analysis/energy.js';
import { accuracyOn, type LatencyResult, latencyOf } from '../analysis/evaluate.js';
import { countCost } from '../analysis/flops.js';
import { type LoadedLayers, loadLayers } from '../artifact/save.js';
import type { ImageSet } from '../data/fashion-mnist.js';

export interface VariantResult {
  variant: string;
  id: string;
  parent: string | null;
  architecture: string;
  path: string;
  flops: number;
  params: number;
  artifactBytes: number;
  accuracy: number;
  testExamples: number;
  /** Relative to the parent when the parent is among the measured models. */
  flopsReductionVsParent: number | null;
  accuracyChangePointsVsParent: number | null;
  /**
   * Against the control: the parent fine-tuned the same way without pruning (a measured sibling
   * with the same parent and no pruning), so that extra training is not counted as pruning's gain.
   */
  accuracyChangePointsVsControl: number | null;
  pruning: ModelManifest['pruning'];
  latency: Omit<LatencyResult, 'windows'>;
  energy: EnergyEstimate[];
}

export interface ResultsFile {
  title: string;
  generatedBy: string;
  command: string;
  machine: string;
  backend: string;
  dataset: string;
  notes: string[];
  variants: VariantResult[];
  zalandoBaselines: { source: string; baselines: Baseline[] };
}

export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** Latency of each model, measured in `rounds` interleaved rounds of `runsPerRound`. */
export function interleavedLatency(
  tf: Tf,
  models: readonly LoadedLayers[],
  rounds: number,
  runsPerRound: number,
): LatencyResult[] {
  const parts: LatencyResult[][] = models.map(() => []);
  for (let round = 0; round < rounds; round++) {
    models.forEach((loaded, i) => {
      parts[i]?.push(latencyOf(tf, loaded.model, runsPerRound, round === 0 ? 20 : 5));
    });
  }
  return parts.map((list) => {
    const windows = list.flatMap((part) => part.windows);
    const durations = windows.map((w) => Number(w.endNs - w.startNs) / 1000).sort((a, b) => a - b);
    const cpu = windows.map((w) => w.cpuUs).sort((a, b) => a - b);
    const q = (sorted: number[], p: number) => sorted[Math.round(p * (sorted.length - 1))] ?? 0;
    return {
      runs: windows.length,
      medianUs: q(durations, 0.5),
      p10Us: q(durations, 0.1),
      p90Us: q(durations, 0.9),
      medianCpuUs: q(cpu, 0.5),
      windows,
    };
  });
}

export async function measureArtifacts(
  tf: Tf,
  paths: readonly string[],
  testSet: ImageSet,
  latency: { rounds: number; runsPerRound: number },
  onModel?: (path: string, index: number) => void,
): Promise<VariantResult[]> {
  const loaded: LoadedLayers[] = [];
  for (const path of paths) loaded.push(await loadLayers(tf, path));
  const accuracies = loaded.map((item, i) => {
    onModel?.(paths[i] ?? '', i);
    return accuracyOn(tf, item.model, testSet);
  });
  const latencies = interleavedLatency(tf, loaded, latency.rounds, latency.runsPerRound);
  const results = loaded.map((item, i): VariantResult => {
    const cost = countCost(item.model);
    const { windows: _windows, ...latencySummary } = latencies[i] as LatencyResult;
    const accuracy = accuracies[i] ?? { accuracy: 0, examples: 0 };
    return {
      variant: item.variant,
      id: item.artifact.id,
      parent: item.manifest?.parent ?? null,
      architecture: item.architecture,
      path: paths[i] ?? '',
      flops: cost.macs,
      params: cost.params,
      artifactBytes: item.artifact.bytes,
      accuracy: accuracy.accuracy,
      testExamples: accuracy.examples,
      flopsReductionVsParent: null,
      accuracyChangePointsVsParent: null,
      accuracyChangePointsVsControl: null,
      pruning: item.manifest?.pruning ?? null,
      latency: latencySummary,
      energy: estimateEnergy(latencies[i] as LatencyResult),
    };
  });
  for (const result of results) {
    const parent = results.find((candidate) => candidate.id === result.parent);
    if (parent === undefined) continue;
    result.flopsReductionVsParent = 1 - result.flops / parent.flops;
    result.accuracyChangePointsVsParent = (result.accuracy - parent.accuracy) * 100;
    const control = results.find((c) => c !== result && c.parent === result.parent && c.pruning === null);
    if (control !== undefined && result.pruning !== null)
      result.accuracyChangePointsVsControl = (result.accuracy - control.accuracy) * 100;
  }
  for (const item of loaded) item.model.dispose();
  return results;
}

export async function writeResults(
  path: string,
  variants: VariantResult[],
  context: { command: string; backend: string; dataset: string; title?: string },
): Promise<ResultsFile> {
  const file = resultsFile(variants, context);
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`);
  return file;
}

/** The results file (what --out writes and --json prints). */
export function resultsFile(
  variants: VariantResult[],
  context: { command: string; backend: string; dataset: string; title?: string },
): ResultsFile {
  return {
    title: context.title ?? 'edgewatt model variants on Fashion-MNIST',
    generatedBy: `edgewatt ${EDGEWATT_VERSION}`,
    command: context.command,
    machine: machineLine(),
    backend: context.backend,
    dataset: context.dataset,
    notes: [
      'flops = multiply-adds of one inference (convolution and dense layers), as in the MobileNet paper.',
      'accuracy = top-1 on the test set named in dataset (the full 10,000 images unless stated).',
      'latency = one image at batch size 1 on this machine and backend, predict + read-back; median, p10, p90.',
      "energy = ESTIMATED per inference for each board profile from this host's latency and CPU time " +
        '(simulated sensor: idle + (load − idle) × utilisation), median over the measured inferences; ' +
        'no power sensor was read. marginalJ is the part above idle.',
    ],
    variants,
    zalandoBaselines: zalandoBaselines(),
  };
}
