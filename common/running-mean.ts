// Mean ± standard error of a stream of values in one pass (Welford's running mean and variance):
// the collector's store-read device figures (collector/lifecycle/measured.ts, measured-offload.ts)
// and the agent's energy so far (agent/serve/summary.ts).

export interface MeanEstimate {
  mean: number;
  standardError: number;
}

export class RunningMean {
  n = 0;
  mean = 0;
  m2 = 0;
  add(x: number): void {
    this.n++;
    const delta = x - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (x - this.mean);
  }
  /** Standard error 0 with fewer than two values (and for none: callers refuse an empty read first). */
  estimate(): MeanEstimate {
    const variance = this.n > 1 ? this.m2 / (this.n - 1) : 0;
    return { mean: this.mean, standardError: this.n > 0 ? Math.sqrt(variance / this.n) : 0 };
  }
}
