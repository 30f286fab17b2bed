// The idle baseline, re-measured in the idle gaps between inferences. A board's idle power drifts
// (temperature, governors, background jobs), so one reading at start-up goes stale over a long
// run. Each gap long enough to trust gives a mean power; the baseline is the median of the recent
// gaps (a gap that caught a background job does not move it) and its uncertainty their spread.

import { median } from './integrate.js';

/** Gaps kept for the baseline (bounded): about a minute at the default 10 inferences/s with gaps. */
export const BASELINE_GAPS = 50;
/** Drift from the last logged baseline that is logged again (relative). */
export const BASELINE_DRIFT_LOG_REL = 0.05;

export interface BaselineEstimate {
  baselineW: number;
  /** Standard uncertainty (k = 1) of baselineW, watts: spread of the recent gaps, or the start-up reading's. */
  uncertaintyW: number;
  /** Idle gaps measured so far. */
  gaps: number;
  /** Baseline now minus the start-up baseline, watts. */
  driftW: number;
}

/** 1.4826 × MAD: the standard deviation of a normal sample, robust to a few outliers. */
function robustSd(values: readonly number[]): number {
  const m = median(values);
  return 1.4826 * median(values.map((v) => Math.abs(v - m)));
}

export class BaselineTracker {
  private readonly gapsW: number[] = [];
  private gapCount = 0;
  private loggedW: number;

  constructor(
    private readonly startW: number,
    private readonly startUncertaintyW: number,
    private readonly onDrift: (estimate: BaselineEstimate, fromW: number) => void = () => undefined,
  ) {
    this.loggedW = startW;
  }

  /** Adds the mean power of one idle gap, watts. */
  addGap(meanW: number): void {
    if (!Number.isFinite(meanW)) return;
    this.gapsW.push(meanW);
    this.gapCount++;
    if (this.gapsW.length > BASELINE_GAPS) this.gapsW.shift();
    const now = this.estimate();
    if (Math.abs(now.baselineW - this.loggedW) > BASELINE_DRIFT_LOG_REL * Math.abs(this.loggedW)) {
      this.onDrift(now, this.loggedW);
      this.loggedW = now.baselineW;
    }
  }

  estimate(): BaselineEstimate {
    const n = this.gapsW.length;
    if (n === 0) return { baselineW: this.startW, uncertaintyW: this.startUncertaintyW, gaps: 0, driftW: 0 };
    const baselineW = median(this.gapsW);
    // The median of n gaps: about 1.25 σ/√n; with fewer than 3 gaps the spread is not yet known,
    // so the start-up reading's uncertainty stands in.
    const spreadW = n >= 3 ? (1.2533 * robustSd(this.gapsW)) / Math.sqrt(n) : 0;
    return {
      baselineW,
      uncertaintyW: Math.max(spreadW, n >= 3 ? 0 : this.startUncertaintyW),
      gaps: this.gapCount,
      driftW: baselineW - this.startW,
    };
  }
}
