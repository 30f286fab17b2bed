// An MLPerf Tiny energy-mode run through the bridge, by the runner's rules (mlcommons/tiny
// benchmark/runner script.py / main.py; wave2_anchors §3.3): the LPM01A integrates energy at
// 1 kHz while the DUT runs `infer N W` in each of 5 windows of at least 10 s, its timestamp pin
// marking each window's start and end; energy per inference is each window's energy over N, and
// the run's figure is their median. N is calibrated first from one short measured window.

import type { Lpm01aDriver } from '../devices/lpm01a/driver.js';
import type { DutDriver } from '../devices/mlperf-dut/driver.js';

export const RUNNER_WINDOWS = 5;
export const RUNNER_MIN_WINDOW_S = 10;

export interface EnergyRunOptions {
  /** The input loaded before each window (the runner loads a dataset file). */
  input: Uint8Array;
  windows?: number;
  minWindowS?: number;
  /** Inferences per window; calibrated to reach minWindowS (+10 %) when absent. */
  inferencesPerWindow?: number;
  warmup?: number;
  /** Timeout of one `infer` command, ms (the runner's 30 s, plus the window). */
  inferTimeoutMs?: number;
}

export interface EnergyWindow {
  /** As results.txt numbers them: 2, 4, ... */
  window: number;
  startS: number;
  endS: number;
  energyJ: number;
  inferences: number;
  energyPerInferenceJ: number;
  /** Seconds of this window whose sample count was wrong (lost or extra samples). */
  secondsWithGaps: number;
}

export interface EnergyRun {
  dut: { name: string; profile: string; model: string };
  sampleRateHz: number;
  windows: EnergyWindow[];
  medianEnergyPerInferenceJ: number;
  calibration: { inferences: number; durationS: number };
  /** The runner's validity rules: exactly 5 windows, each ≥ 10 s; and no lost samples. */
  valid: boolean;
  problems: string[];
  /** Energy of every sample period (J) and the timestamp events (s), for the results folder. */
  samplesJ: readonly number[];
  timestampsS: number[];
}

/** The runner's median (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function sum(values: readonly number[], from: number, to: number): number {
  let total = 0;
  for (let i = from; i < to; i++) total += values[i] ?? 0;
  return total;
}

/** Runs one infer command and returns the window its two timestamp events bound, in samples. */
async function measuredInfer(
  lpm: Lpm01aDriver,
  dut: DutDriver,
  count: number,
  warmup: number,
  timeoutMs: number,
) {
  const before = lpm.eventSampleIndex.length;
  const gapsBefore = lpm.counters.secondsWithGaps;
  await dut.infer(count, warmup, timeoutMs);
  // The end edge reaches the host over the monitor's port, possibly just after m-ready on the DUT's.
  const deadline = Date.now() + 2_000;
  while (lpm.eventSampleIndex.length < before + 2 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  const start = lpm.eventSampleIndex[before];
  const end = lpm.eventSampleIndex[before + 1];
  if (start === undefined || end === undefined) {
    throw new Error(
      `the LPM01A saw ${lpm.eventSampleIndex.length - before} timestamp event(s) for "infer ${count} ${warmup}", expected 2; check the DUT's timestamp wire to D7`,
    );
  }
  return { start, end, secondsWithGaps: lpm.counters.secondsWithGaps - gapsBefore };
}

export async function runEnergyMode(
  lpm: Lpm01aDriver,
  dut: DutDriver,
  options: EnergyRunOptions,
): Promise<EnergyRun> {
  const windowsWanted = options.windows ?? RUNNER_WINDOWS;
  const minWindowS = options.minWindowS ?? RUNNER_MIN_WINDOW_S;
  const warmup = options.warmup ?? 10;
  const rateHz = lpm.sampleRateHz;
  const name = await dut.handshake();
  const { profile, model } = await dut.profile();

  await dut.loadInput(options.input);
  let inferences = options.inferencesPerWindow;
  const probe = await measuredInfer(lpm, dut, inferences ?? 10, warmup, options.inferTimeoutMs ?? 30_000);
  const probeS = (probe.end - probe.start) / rateHz;
  const calibration = { inferences: inferences ?? 10, durationS: probeS };
  if (inferences === undefined) {
    const perInferenceS = probeS / 10;
    inferences = Math.max(1, Math.ceil((minWindowS * 1.1) / Math.max(perInferenceS, 1e-6)));
  }
  const timeoutMs =
    (options.inferTimeoutMs ?? 30_000) + ((inferences * probeS) / calibration.inferences) * 1000 * 2;

  const windows: EnergyWindow[] = [];
  const timestampsS = [probe.end / rateHz];
  for (let k = 0; k < windowsWanted; k++) {
    await dut.loadInput(options.input);
    const { start, end, secondsWithGaps } = await measuredInfer(lpm, dut, inferences, warmup, timeoutMs);
    const energyJ = sum(lpm.samplesJ, start, end);
    timestampsS.push(start / rateHz, end / rateHz);
    windows.push({
      window: 2 * (k + 1),
      startS: start / rateHz,
      endS: end / rateHz,
      energyJ,
      inferences,
      energyPerInferenceJ: energyJ / inferences,
      secondsWithGaps,
    });
  }
  const problems: string[] = [];
  if (windows.length !== RUNNER_WINDOWS)
    problems.push(`${windows.length} windows, the runner requires exactly ${RUNNER_WINDOWS}`);
  for (const w of windows) {
    if (w.endS - w.startS < RUNNER_MIN_WINDOW_S)
      problems.push(
        `window ${w.window} lasted ${(w.endS - w.startS).toFixed(2)} s, under ${RUNNER_MIN_WINDOW_S} s`,
      );
    if (w.secondsWithGaps > 0)
      problems.push(
        `window ${w.window}: ${w.secondsWithGaps} second(s) without exactly ${rateHz} samples (samples lost); not valid for submission`,
      );
  }
  return {
    dut: { name, profile, model },
    sampleRateHz: rateHz,
    windows,
    medianEnergyPerInferenceJ: median(windows.map((w) => w.energyPerInferenceJ)),
    calibration,
    valid: problems.length === 0,
    problems,
    samplesJ: lpm.samplesJ,
    timestampsS,
  };
}
