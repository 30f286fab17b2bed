// The parts of an experiment analysis (the AnalysisResult of `edgewatt experiment analyse --json`,
// /work/notes/experiment-contract.md) that the report reads. The report depends on this shape, not
// on how the analysis is computed: the analysis may add fields, never remove these.

export interface Bounds {
  mean: number;
  lo: number;
  hi: number;
}
export interface CentralBounds {
  central: number;
  lo: number;
  hi: number;
}

export interface ReportArm {
  id: string;
  model: string;
  variant: string;
  placement: string;
}

export interface ReportAnalysis {
  schema: string;
  experiment: {
    id: string;
    design: 'crossover' | 'parallel';
    arms: ReportArm[];
    seed: number;
    periods: number;
    periodS: number;
    washoutS: number;
    devices: string[];
    startedAt: string;
    endedAt: string | null;
  };
  schedule: { device: string; period: number; arm: string; start: string; end: string; washoutEnd: string }[];
  perBoardPeriod: {
    device: string;
    period: number;
    arm: string;
    n: number;
    meanEnergyJ: number;
    meanAboveIdleJ: number;
    p95LatencyMs: number;
    accuracy: number | null;
    excluded: { warmup: number; washout: number };
  }[];
  arms: {
    arm: string;
    n: number;
    boards: number;
    energyJ: Bounds;
    latencyP95Ms: number;
    accuracy: number | null;
    carbonPerInferenceG: CentralBounds;
    carbonPerCorrectG: CentralBounds | null;
    provenance: string;
  }[];
  contrasts: {
    a: string;
    b: string;
    metric: string;
    diff: number;
    relDiff: number;
    lo: number;
    hi: number;
    relLo: number;
    relHi: number;
    pValue: number;
    method: string;
    bootstrapN: number;
    seed: number;
    cuped: { applied: boolean; theta?: number; varianceReduction?: number };
  }[];
  perBoardDifferences: { device: string; a: string; b: string; diff: number; relDiff: number }[];
  checks: {
    sampleRatio: { expected: number[] | number; observed: number[] | number; pValue: number; ok: boolean };
    carryOver: { estimate: number; pValue: number; ok: boolean };
    warmupExcluded: number;
    washoutExcluded: number;
    warnings: string[];
  };
  timeSeries: { device: string; points: [number, number, string | null, boolean][] }[];
  latency: { arm: string; histogram: [number, number][] }[];
  breakeven?: ReportBreakeven | undefined;
  conclusion: string;
}

/** Break-even of edge against offload per arm, as the life-cycle engine gives it. */
export interface ReportBreakeven {
  arms: {
    arm: string;
    /** The smallest rate where edge − offload changes sign, per day; null when none. */
    inferencesPerDay: number | null;
    reason: string;
    /** [inferences per day, edge g per inference, offload g per inference], ascending in rate. */
    curve: [number, number, number][];
  }[];
}
