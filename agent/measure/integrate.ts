// Energy of a time window from sensor samples. Power samples are integrated with the trapezoid
// rule, interpolating the power at the window edges; energy counters are unwrapped (differenced
// with wrap-around) and interpolated at the edges. Times are monotonic nanoseconds (numbers).

import { EdgewattError } from '../../common/errors.js';

/** Samples in time order: `tNs[i]` is when `value[i]` was valid. */
export interface SampleSeries {
  tNs: ArrayLike<number>;
  value: ArrayLike<number>;
  length: number;
}

export interface IntegratedWindow {
  energyJ: number;
  /** Samples with start ≤ t ≤ end. */
  sampleCount: number;
  /** False when the window reaches outside the samples (the edge value was held, not interpolated). */
  covered: boolean;
}

export class SampleOrderError extends EdgewattError {
  override readonly name = 'SampleOrderError';
}

/** Index of the last sample with t ≤ timeNs (t < timeNs when strict), or -1. Binary search. */
export function lastAtOrBefore(series: SampleSeries, timeNs: number, strict = false): number {
  let lo = 0;
  let hi = series.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = series.tNs[mid] ?? 0;
    if (strict ? t < timeNs : t <= timeNs) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Linear interpolation of the series at timeNs, holding the first/last value outside it. */
export function valueAt(series: SampleSeries, timeNs: number): number {
  const i = lastAtOrBefore(series, timeNs);
  if (i < 0) return series.value[0] ?? 0;
  if (i >= series.length - 1) return series.value[series.length - 1] ?? 0;
  const t0 = series.tNs[i] ?? 0;
  const t1 = series.tNs[i + 1] ?? 0;
  const v0 = series.value[i] ?? 0;
  const v1 = series.value[i + 1] ?? 0;
  return t1 === t0 ? v1 : v0 + ((v1 - v0) * (timeNs - t0)) / (t1 - t0);
}

function countInside(series: SampleSeries, startNs: number, endNs: number): number {
  const last = lastAtOrBefore(series, endNs);
  const beforeStart = lastAtOrBefore(series, startNs, true);
  return Math.max(0, last - beforeStart);
}

function isCovered(series: SampleSeries, startNs: number, endNs: number): boolean {
  return (
    series.length > 0 && (series.tNs[0] ?? 0) <= startNs && (series.tNs[series.length - 1] ?? 0) >= endNs
  );
}

/** ∫ power dt over [startNs, endNs] by the trapezoid rule with interpolated edges, joules. */
export function integratePower(series: SampleSeries, startNs: number, endNs: number): IntegratedWindow {
  if (endNs < startNs) throw new SampleOrderError(`window end ${endNs} ns is before its start ${startNs} ns`);
  const sampleCount = countInside(series, startNs, endNs);
  const covered = isCovered(series, startNs, endNs);
  if (series.length === 0) return { energyJ: 0, sampleCount, covered };
  let energyNsW = 0;
  let prevT = startNs;
  let prevP = valueAt(series, startNs);
  const first = lastAtOrBefore(series, startNs) + 1;
  for (let i = first; i < series.length; i++) {
    const t = series.tNs[i] ?? 0;
    if (t >= endNs) break;
    const p = series.value[i] ?? 0;
    energyNsW += ((prevP + p) / 2) * (t - prevT);
    prevT = t;
    prevP = p;
  }
  const endP = valueAt(series, endNs);
  energyNsW += ((prevP + endP) / 2) * (endNs - prevT);
  return { energyJ: energyNsW / 1e9, sampleCount, covered };
}

/**
 * Turns raw counter readings into a cumulative series that never decreases: each step back is a
 * wrap-around, so rangeJ (the counter's range, e.g. max_energy_range_uj) is added from there on.
 */
export function unwrapCounter(raw: ArrayLike<number>, length: number, rangeJ: number): Float64Array {
  const out = new Float64Array(length);
  let offset = 0;
  for (let i = 0; i < length; i++) {
    const value = raw[i] ?? 0;
    if (i > 0 && value < (raw[i - 1] ?? 0) && Number.isFinite(rangeJ)) offset += rangeJ;
    out[i] = value + offset;
  }
  return out;
}

/** Energy from a cumulative counter over [startNs, endNs]: difference of the interpolated counter. */
export function differenceCounter(
  series: SampleSeries,
  startNs: number,
  endNs: number,
  rangeJ: number,
): IntegratedWindow {
  if (endNs < startNs) throw new SampleOrderError(`window end ${endNs} ns is before its start ${startNs} ns`);
  const unwrapped: SampleSeries = {
    tNs: series.tNs,
    value: unwrapCounter(series.value, series.length, rangeJ),
    length: series.length,
  };
  const energyJ = valueAt(unwrapped, endNs) - valueAt(unwrapped, startNs);
  return {
    energyJ,
    sampleCount: countInside(series, startNs, endNs),
    covered: isCovered(series, startNs, endNs),
  };
}

/**
 * Averaging sources: value k is the mean power over (t[k−1], t[k]] when samples are one period
 * apart (gaps longer than 1.5 periods are interpolated). Returns the running energy at
 * each sample time (joules), starting one period before the first sample, so that differencing it
 * with interpolation at the edges integrates exactly those means (the MLPerf Tiny method).
 */
export function averagesToCounter(series: SampleSeries, periodNs: number): SampleSeries {
  const n = series.length;
  const tNs = new Float64Array(n + 1);
  const value = new Float64Array(n + 1);
  tNs[0] = (series.tNs[0] ?? 0) - periodNs;
  for (let k = 0; k < n; k++) {
    const t = series.tNs[k] ?? 0;
    const gapNs = t - (tNs[k] ?? 0);
    const v = series.value[k] ?? 0;
    // A value averages one conversion period only: across a longer gap (the sampler was held
    // up), interpolate between the neighbours instead of stretching that one average.
    const meanW = k > 0 && gapNs > 1.5 * periodNs ? ((series.value[k - 1] ?? 0) + v) / 2 : v;
    tNs[k + 1] = t;
    value[k + 1] = (value[k] ?? 0) + (meanW * gapNs) / 1e9;
  }
  return { tNs, value, length: n + 1 };
}

/** Mean power over [startNs, endNs], watts (the idle baseline when nothing runs there). */
export function meanPower(series: SampleSeries, startNs: number, endNs: number): number {
  if (endNs <= startNs) return valueAt(series, startNs);
  return integratePower(series, startNs, endNs).energyJ / ((endNs - startNs) / 1e9);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}
