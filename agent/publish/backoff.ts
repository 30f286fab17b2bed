// Reconnect back-off: exponential, capped, with full jitter (a random delay between 0 and the
// exponential step), so a fleet that lost its broker at the same moment does not come back in
// lock step and knock it over again.

export interface Backoff {
  /** First step, milliseconds. */
  minMs: number;
  /** Cap of the step, milliseconds. */
  maxMs: number;
  /** Uniform random number in [0, 1); injectable for tests. */
  random: () => number;
}

export const DEFAULT_BACKOFF: Backoff = { minMs: 500, maxMs: 30_000, random: Math.random };

/** Delay before attempt `failures` (0 after a connection that worked): in [minMs/2, step]. */
export function backoffDelayMs(failures: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  const step = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.min(failures, 30));
  // Half of the first step is kept so a flapping link is not hammered at 0 ms.
  const floor = Math.min(step, backoff.minMs / 2);
  return floor + backoff.random() * (step - floor);
}
