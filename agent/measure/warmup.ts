// Warm-up before the first measured inference. The first inferences of a run compile the graph
// and fill caches and take 50–100× the median (issue 13): stored, one in 300 of them moved a
// device's mean by 16–26 %. The agent runs them first, unpublished, and logs what they took.

import { median } from './integrate.js';

/** Fewest warm-up inferences when none are asked for: the first few are never representative. */
export const WARMUP_MIN = 10;
/**
 * Inferences compared at a time. Medians of k = 5 ignore up to two outliers (a GC pause, a
 * scheduler hiccup) in each group, which a mean or a single latency would not.
 */
export const WARMUP_GROUP = 5;
/**
 * Latency has settled when the median of the last k is within this share of the previous k's.
 * 10 %: the compile step is 50–100× and the cache-filling steps after it several times the
 * median, while steady-state medians of 5 on a busy board move by a few percent.
 */
export const WARMUP_TOLERANCE = 0.1;
/**
 * Most warm-up inferences when none are asked for. A board whose latency drifts for good
 * (thermal throttling, a noisy neighbour) would never settle; 200 bounds the start-up, and the
 * log says that latency did not settle.
 */
export const WARMUP_CAP = 200;

/** Whether the median of the last WARMUP_GROUP latencies is within the tolerance of the previous group's. */
export function latencySettled(latenciesUs: readonly number[]): boolean {
  const n = latenciesUs.length;
  if (n < Math.max(WARMUP_MIN, 2 * WARMUP_GROUP)) return false;
  const last = median(latenciesUs.slice(n - WARMUP_GROUP));
  const previous = median(latenciesUs.slice(n - 2 * WARMUP_GROUP, n - WARMUP_GROUP));
  return previous > 0 && Math.abs(last - previous) <= WARMUP_TOLERANCE * previous;
}

export interface WarmupResult {
  /** Warm-up inferences run. */
  count: number;
  latenciesUs: number[];
  /** False when `until settled` hit WARMUP_CAP first; true for a fixed count. */
  settled: boolean;
}

/**
 * Runs `runOne` (returning its latency in µs, or a promise of it for a runtime without synchronous
 * calls) `requested` times, or, when `requested` is
 * undefined, until latency settles (at least WARMUP_MIN, at most WARMUP_CAP times).
 */
export async function warmUp(
  runOne: () => number | Promise<number>,
  requested: number | undefined,
  signal?: AbortSignal,
  yieldToLoop: () => Promise<void> = () => new Promise((resolve) => setImmediate(resolve)),
): Promise<WarmupResult> {
  const latenciesUs: number[] = [];
  const settledNow = () =>
    requested === undefined ? latencySettled(latenciesUs) : latenciesUs.length >= requested;
  while (!settledNow() && (requested !== undefined || latenciesUs.length < WARMUP_CAP)) {
    if (signal?.aborted === true) break;
    const latencyUs = runOne();
    latenciesUs.push(latencyUs instanceof Promise ? await latencyUs : latencyUs);
    // Let MQTT and timers run between warm-up inferences, as between measured ones.
    await yieldToLoop();
  }
  return { count: latenciesUs.length, latenciesUs, settled: settledNow() };
}
