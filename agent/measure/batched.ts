// The batched method (as MLPerf Tiny measures): when one inference is shorter than a few sensor
// periods, no single window can be trusted, so N inferences run back to back inside one window,
// the window's energy is divided by N, and the median over windows is reported. The method and
// N go with every figure, so that a reader knows which was used.

import type { InferenceWindow, PowerSensor, WindowEnergy } from '../sensors/sensor.js';
import { median } from './integrate.js';

export type AttributionMethod = 'single' | 'batched';

/** Fewest sensor samples a single-inference window must hold to be trusted (0.5 % in our tests). */
export const MIN_SAMPLES_PER_WINDOW = 20;
/**
 * Sample periods a batched window spans. Each edge of a window can be off by up to a quarter
 * period of the power step there (the sensor cannot see where in a period the step fell), so both
 * edges together by (ΔP / P) / (2 × periods): 0.5 % of the step's relative size at 100 periods.
 */
export const BATCHED_WINDOW_PERIODS = 100;

/**
 * Inferences per window: 1 when one inference spans MIN_SAMPLES_PER_WINDOW sample periods (or the
 * sensor does not sample: an estimate), else enough back-to-back inferences to span
 * BATCHED_WINDOW_PERIODS periods.
 */
export function inferencesPerWindow(inferenceS: number, samplePeriodS: number | undefined): number {
  if (samplePeriodS === undefined || samplePeriodS <= 0) return 1;
  if (inferenceS >= MIN_SAMPLES_PER_WINDOW * samplePeriodS) return 1;
  if (!(inferenceS > 0)) return BATCHED_WINDOW_PERIODS;
  return Math.ceil((BATCHED_WINDOW_PERIODS * samplePeriodS) / inferenceS);
}

export interface AttributedWindow {
  inferences: number;
  window: InferenceWindow;
  energy: WindowEnergy;
  perInferenceJ: number;
  perInferenceUncertaintyJ: number;
}

export interface Attribution {
  method: AttributionMethod;
  inferencesPerWindow: number;
  windows: AttributedWindow[];
  /** Median over windows of energy per inference, joules. */
  medianPerInferenceJ: number;
}

export function attributeWindow(
  window: InferenceWindow,
  energy: WindowEnergy,
  inferences: number,
): AttributedWindow {
  return {
    inferences,
    window,
    energy,
    perInferenceJ: energy.energyJ / inferences,
    // The N inferences share one measurement: its uncertainty divides by N, it does not shrink by √N.
    perInferenceUncertaintyJ: energy.uncertaintyJ / inferences,
  };
}

export function summarise(windows: readonly AttributedWindow[]): Attribution {
  const n = windows[0]?.inferences ?? 1;
  return {
    method: n > 1 ? 'batched' : 'single',
    inferencesPerWindow: n,
    windows: [...windows],
    medianPerInferenceJ: median(windows.map((w) => w.perInferenceJ)),
  };
}

/**
 * Runs `windows` windows of `n` back-to-back calls of `runOnce` and attributes each window's
 * energy to its inferences. `runOnce` must be synchronous (predict + dataSync) so that the window
 * holds the work and nothing else.
 */
export async function measureWindows(
  sensor: PowerSensor,
  runOnce: () => void,
  n: number,
  windows: number,
): Promise<Attribution> {
  const attributed: AttributedWindow[] = [];
  for (let w = 0; w < windows; w++) {
    const cpuBefore = process.cpuUsage();
    const startNs = process.hrtime.bigint();
    for (let i = 0; i < n; i++) runOnce();
    const endNs = process.hrtime.bigint();
    const cpu = process.cpuUsage(cpuBefore);
    const window = { startNs, endNs, cpuUs: cpu.user + cpu.system };
    attributed.push(attributeWindow(window, await sensor.energyOf(window), n));
  }
  return summarise(attributed);
}
