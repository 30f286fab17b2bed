// Profiles one model on this machine without a broker or a collector: loads and verifies it, opens
// the sensor (or the board estimate), warms up unmeasured, then runs measured windows (single or
// batched, as the agent does: agent/measure/windows.ts) for a count or a duration on seeded
// random inputs (a TensorFlow.js or an ONNX model: agent/profile/target.ts), and summarises them (agent/profile/summary.ts).

import { boardById } from '../../protocol/boards/index.js';
import { type ModelTrust, TRUST_ANY, trustFromKeyFiles } from '../../protocol/manifest/index.js';
import type { BackendName } from '../../runtime/backend.js';
import { describeSpeedFactor } from '../../runtime/estimate.js';
import { median } from '../measure/integrate.js';
import { latencySettled, WARMUP_CAP, type WarmupResult } from '../measure/warmup.js';
import { type AttributedInference, WindowPlanner } from '../measure/windows.js';
import { createSensor, parseSensorSpec } from '../sensors/index.js';
import {
  energyIntervals,
  type PerDayOptions,
  type ProfiledWindow,
  type ProfileSummary,
  percentile,
  perDay,
} from './summary.js';
import { openTarget, type ProfileTarget } from './target.js';

/** Fewer windows than this and the summary says that its interval rests on few windows. */
export const MIN_WINDOWS_FOR_INTERVAL = 10;

export interface ProfileOptions extends PerDayOptions {
  /** Path to model.json or its folder. */
  model: string;
  /** `kind[:board]`; undefined estimates for `board` (the simulated sensor). */
  sensor?: string | undefined;
  board: string;
  /** Measured inferences; ignored when durationS is given. */
  count: number;
  durationS?: number | undefined;
  /** Warm-up inferences; undefined runs them until latency settles. */
  warmup?: number | undefined;
  batchSize: number;
  backend?: BackendName | undefined;
  trustedKeys?: string[];
}

export interface ProfileProgress {
  /** Done so far and the total, in inferences or (with a duration) in whole seconds. */
  done: number;
  total: number;
  unit: 'inferences' | 'seconds';
}

export async function profileModel(
  options: ProfileOptions,
  onProgress: (progress: ProfileProgress) => void = () => undefined,
  signal?: AbortSignal,
): Promise<ProfileSummary> {
  const trust: ModelTrust =
    options.trustedKeys === undefined || options.trustedKeys.length === 0
      ? TRUST_ANY
      : trustFromKeyFiles(options.trustedKeys, false);
  const sensorSpec = options.sensor ?? `simulated:${options.board}`;
  const sensor = createSensor(sensorSpec);
  const model = await openTarget(options.model, trust, options.backend, options.batchSize);
  const startedMs = performance.now();
  try {
    const warm = await warmUpAsync(model, options.warmup, signal);
    // The sensor opens after the warm-up: a sampled sensor measures its idle baseline at open(),
    // which must not overlap the warm-up's work.
    await sensor.open();
    const planner = new WindowPlanner(sensor);
    // A sampling sensor: one unrecorded window first, so that the planner picks single or batched
    // windows from a warm inference's time and every recorded window uses the same method.
    if (sensor.samplePeriodS !== undefined) await measureWindow(planner, model, 1);
    const latenciesMs: number[] = [];
    const windows: ProfiledWindow[] = [];
    const measuredStartMs = performance.now();
    const byDuration = options.durationS !== undefined;
    const total = byDuration ? Math.ceil(options.durationS ?? 0) : options.count;
    const finished = () =>
      signal?.aborted === true ||
      (byDuration
        ? performance.now() - measuredStartMs >= (options.durationS ?? 0) * 1000
        : latenciesMs.length >= options.count);
    try {
      while (!finished()) {
        const budget = byDuration ? Number.POSITIVE_INFINITY : options.count - latenciesMs.length;
        const window = await measureWindow(planner, model, budget);
        const first = window[0];
        const last = window[window.length - 1];
        if (first === undefined || last === undefined) break;
        const n = window.length;
        const perInferenceS = Number(last.run.window.endNs - first.run.window.startNs) / 1e9 / n;
        windows.push({
          inferences: n,
          perInferenceJ: first.energy.energyJ,
          perInferenceUncertaintyJ: first.energy.uncertaintyJ,
          aboveIdlePerInferenceJ: first.energy.energyJ - first.energy.baselineW * perInferenceS,
          baselineW: first.energy.baselineW,
          sampleCount: first.energy.sampleCount,
          timePerInferenceS: perInferenceS,
        });
        for (const inference of window)
          latenciesMs.push(Number(inference.run.window.endNs - inference.run.window.startNs) / 1e6);
        onProgress({
          done: byDuration
            ? Math.min(total, Math.floor((performance.now() - measuredStartMs) / 1000))
            : latenciesMs.length,
          total,
          unit: byDuration ? 'seconds' : 'inferences',
        });
        // Let timers and the sampling thread's messages run between windows.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      await sensor.close();
    }
    const energy = energyIntervals(windows);
    const samples = windows.map((w) => w.sampleCount);
    const estimated = sensor.provenance !== 'measured';
    const board = parseSensorSpec(sensorSpec)?.boardId;
    const day = perDay(energy.gross, energy.aboveIdle, options);
    return {
      model: {
        id: model.id,
        variant: model.variant,
        format: model.format,
        inputShape: model.inputShape,
      },
      backend: model.backend,
      sensor: sensor.label,
      provenance: sensor.provenance,
      estimated,
      ...(estimated ? { estimateNote: estimateNote(sensorSpec, board) } : {}),
      warmupInferences: warm.count,
      ...(windows.length < MIN_WINDOWS_FOR_INTERVAL
        ? {
            fewWindows: `only ${windows.length} window(s) of ${planner.inferencesPerWindow} inferences: the interval rests on few windows; give --count ≥ ${MIN_WINDOWS_FOR_INTERVAL * planner.inferencesPerWindow} or a --duration`,
          }
        : {}),
      inferences: latenciesMs.length,
      windows: windows.length,
      method: planner.method,
      inferencesPerWindow: planner.inferencesPerWindow,
      samplesPerWindow: {
        median: median(samples),
        min: samples.length === 0 ? 0 : Math.min(...samples),
      },
      latencyMs: {
        p50: percentile(latenciesMs, 50),
        p95: percentile(latenciesMs, 95),
        mean: latenciesMs.reduce((a, b) => a + b, 0) / Math.max(1, latenciesMs.length),
      },
      energyPerInference: energy,
      baselineW: median(windows.map((w) => w.baselineW)),
      // Averaged over windows as the energy is, so that energy / time is the window's mean power.
      timePerInferenceMs:
        (1000 * windows.reduce((sum, w) => sum + w.timePerInferenceS, 0)) / Math.max(1, windows.length),
      ...(day === undefined ? {} : { perDay: day }),
      durationS: (performance.now() - startedMs) / 1000,
    };
  } finally {
    await model.dispose();
  }
}

function estimateNote(sensorSpec: string, boardId: string | undefined): string {
  if (sensorSpec.startsWith('simulated') && boardId !== undefined)
    return `no power sensor: ESTIMATED from the ${boardId} board profile and this process's CPU time; ${describeSpeedFactor(boardById(boardId))}`;
  return `sensor ${sensorSpec} does not measure this run (a replayed trace or an estimate): figures are ESTIMATES`;
}

/**
 * One window of the planner's size (at most `budget`): the inferences run first (an ONNX call is
 * asynchronous), then the planner attributes the window they span, from their recorded times.
 */
async function measureWindow(
  planner: WindowPlanner,
  model: ProfileTarget,
  budget: number,
): Promise<AttributedInference<null>[]> {
  const n = Math.max(1, Math.min(planner.inferencesPerWindow, budget));
  const runs = await model.runs(n);
  let next = 0;
  return planner.measure(() => {
    const run = runs[next++];
    if (run === undefined) throw new Error('the window asked for more inferences than ran');
    return { run, label: null };
  }, n);
}

/** The agent's warm-up rule (agent/measure/warmup.ts) over a model whose calls may be asynchronous. */
async function warmUpAsync(
  model: ProfileTarget,
  requested: number | undefined,
  signal?: AbortSignal,
): Promise<WarmupResult> {
  const latenciesUs: number[] = [];
  const settled = () =>
    requested === undefined ? latencySettled(latenciesUs) : latenciesUs.length >= requested;
  while (!settled() && (requested !== undefined || latenciesUs.length < WARMUP_CAP)) {
    if (signal?.aborted === true) break;
    const [run] = await model.runs(1);
    if (run !== undefined) latenciesUs.push(Number(run.window.endNs - run.window.startNs) / 1000);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { count: latenciesUs.length, latenciesUs, settled: settled() };
}
