// The figures of `edgewatt profile`: latency percentiles and energy per inference (gross and above
// idle) over measured windows, with a 95 % interval that joins the window-to-window spread (a
// Student t interval of the mean) with the instrument's own uncertainty, which does not average
// out over windows (a gain error or a board figure is the same in every window).

import type { Provenance } from '../../protocol/index.js';

/** One measured window, per inference (a batched window's energy divided by its inferences). */
export interface ProfiledWindow {
  inferences: number;
  /** Gross energy per inference and its standard uncertainty (k = 1), joules. */
  perInferenceJ: number;
  perInferenceUncertaintyJ: number;
  /** Per inference, above the idle baseline: gross − baselineW × time. */
  aboveIdlePerInferenceJ: number;
  baselineW: number;
  sampleCount: number;
  /** Wall time of the window per inference (latency plus the gaps between batched calls), seconds. */
  timePerInferenceS: number;
}

export interface EnergyInterval {
  /** Mean over windows, joules per inference. */
  meanJ: number;
  /** 95 % interval of the mean. */
  lowJ: number;
  highJ: number;
}

export interface ProfileSummary {
  model: { id: string; variant: string; format: string; inputShape: number[] };
  backend: string;
  sensor: string;
  provenance: Provenance;
  /** True when the energy is an estimate (no power sensor measured this run). */
  estimated: boolean;
  estimateNote?: string;
  warmupInferences: number;
  /** Set when too few windows ran for a trustworthy interval, saying how many to ask for. */
  fewWindows?: string;
  inferences: number;
  windows: number;
  method: 'single' | 'batched';
  /** Inferences per window (the last window's N), and the sensor samples per window. */
  inferencesPerWindow: number;
  samplesPerWindow: { median: number; min: number };
  latencyMs: { p50: number; p95: number; mean: number };
  energyPerInference: { gross: EnergyInterval; aboveIdle: EnergyInterval };
  baselineW: number;
  /** Window wall time per inference, ms, averaged over windows: what the gross energy per inference is spent over. */
  timePerInferenceMs: number;
  /** What --rate-per-day inferences would use per day (absent without a rate). */
  perDay?: {
    inferences: number;
    grossJ: number;
    grossWh: number;
    aboveIdleJ: number;
    aboveIdleWh: number;
    /** Grams CO2e per day of the gross energy, only with a grid factor. */
    gridGPerKWh?: number;
    grossGCo2e?: number;
    aboveIdleGCo2e?: number;
  };
  durationS: number;
}

/** The p-th percentile (0–100) with linear interpolation between order statistics. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const fraction = rank - lower;
  const a = sorted[lower] ?? Number.NaN;
  const b = sorted[Math.min(sorted.length - 1, lower + 1)] ?? a;
  return a + (b - a) * fraction;
}

const Z975 = 1.959963984540054;

/** Tabulated 0.975 quantiles of Student's t for ν = 1 … 10, where the expansion below is poor. */
const T975_SMALL = [12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281];

/**
 * The 0.975 quantile of Student's t with ν degrees of freedom: tabulated up to ν = 10, above it
 * the Cornish–Fisher expansion around the normal quantile (within 0.1 % there).
 */
export function t975(nu: number): number {
  if (nu <= 0) return Number.POSITIVE_INFINITY;
  const tabulated = T975_SMALL[Math.floor(nu) - 1];
  if (tabulated !== undefined) return tabulated;
  const z = Z975;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  return z + g1 / nu + g2 / nu ** 2 + g3 / nu ** 3;
}

/**
 * 95 % interval of the mean of `values` (one per window), widened by `instrumentSdJ`, the mean
 * standard uncertainty of one window's figure, taken as fully correlated between windows.
 */
export function meanInterval(values: readonly number[], instrumentSdJ = 0): EnergyInterval {
  const n = values.length;
  if (n === 0) return { meanJ: Number.NaN, lowJ: Number.NaN, highJ: Number.NaN };
  const meanJ = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((sum, v) => sum + (v - meanJ) ** 2, 0) / (n - 1) : 0;
  const statisticalJ = n > 1 ? t975(n - 1) * Math.sqrt(variance / n) : Number.POSITIVE_INFINITY;
  const halfJ = Math.hypot(n > 1 ? statisticalJ : 0, Z975 * instrumentSdJ);
  // One window says nothing of the spread: without an instrument figure the interval is unknown.
  if (n === 1 && instrumentSdJ === 0) return { meanJ, lowJ: Number.NaN, highJ: Number.NaN };
  return { meanJ, lowJ: meanJ - halfJ, highJ: meanJ + halfJ };
}

export interface PerDayOptions {
  ratePerDay?: number | undefined;
  gridGPerKWh?: number | undefined;
}

/** Energy (and carbon, with a grid factor) of `ratePerDay` inferences at the measured means. */
export function perDay(
  gross: EnergyInterval,
  aboveIdle: EnergyInterval,
  options: PerDayOptions,
): ProfileSummary['perDay'] {
  const rate = options.ratePerDay;
  if (rate === undefined) return undefined;
  const grossJ = gross.meanJ * rate;
  const aboveIdleJ = aboveIdle.meanJ * rate;
  const day = {
    inferences: rate,
    grossJ,
    grossWh: grossJ / 3600,
    aboveIdleJ,
    aboveIdleWh: aboveIdleJ / 3600,
  };
  const grid = options.gridGPerKWh;
  if (grid === undefined) return day;
  return {
    ...day,
    gridGPerKWh: grid,
    grossGCo2e: (grossJ / 3.6e6) * grid,
    aboveIdleGCo2e: (aboveIdleJ / 3.6e6) * grid,
  };
}

/** Energy per inference over the windows: gross and above idle, each with its 95 % interval. */
export function energyIntervals(windows: readonly ProfiledWindow[]): {
  gross: EnergyInterval;
  aboveIdle: EnergyInterval;
} {
  const meanOf = (f: (w: ProfiledWindow) => number) =>
    windows.length === 0 ? 0 : windows.reduce((sum, w) => sum + f(w), 0) / windows.length;
  const instrumentJ = meanOf((w) => w.perInferenceUncertaintyJ);
  return {
    gross: meanInterval(
      windows.map((w) => w.perInferenceJ),
      instrumentJ,
    ),
    aboveIdle: meanInterval(
      windows.map((w) => w.aboveIdlePerInferenceJ),
      instrumentJ,
    ),
  };
}
