// Splits a batch's measured energy to its requests (issue 16): over the batch's compute window,
// idle power × the window is the idle share, the rest is the batch's work; both are split by the
// inputs each request brought (equal shares for equal inputs). The shares sum exactly to what was
// measured; the idle share is reported apart and not included in a request's energy.

import type { WindowEnergy } from './energy/meter.js';

export interface RequestEnergy {
  /** This request's share of the energy above idle, J. */
  requestJ: number;
  /** Its share of the window's uncertainty, J (the shares are fully correlated, so they add). */
  uncertaintyJ: number;
  /** Its share of idle power × the compute window, J (not in requestJ). */
  idleShareJ: number;
}

/**
 * The energy of each request of a batch whose requests carried `counts` inputs. A meter that read
 * less than its idle power over the window (noise, a counter's step) gives all of it to the idle
 * share: a request's energy is never negative, and the sum stays the measured energy.
 */
export function attributeBatch(window: WindowEnergy, counts: readonly number[]): RequestEnergy[] {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total <= 0 || counts.some((count) => !(count > 0)))
    throw new RangeError(`every request of a batch carries at least one input, got ${counts.join(', ')}`);
  const grossJ = Math.max(0, window.grossJ);
  const idleJ = Math.min(grossJ, Math.max(0, window.idleW * window.durationS));
  const workJ = grossJ - idleJ;
  return counts.map((count) => {
    const share = count / total;
    return {
      requestJ: workJ * share,
      uncertaintyJ: Math.max(0, window.uncertaintyJ) * share,
      idleShareJ: idleJ * share,
    };
  });
}
