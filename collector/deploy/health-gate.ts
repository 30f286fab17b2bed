// The rollout's health gate: does a canary board, running the new model, spend more energy per
// inference, answer slower (p95) or less accurately than the same board did before the rollout?
// Test: each period's records (time order) are cut into contiguous batches; the batch statistic
// (mean energy, p95 latency, share correct) is averaged per period, and Welch's t interval (95 %,
// two-sided) is put on the difference. Batches, not records, are the independent units: records of
// one board are correlated (shared measurement windows, thermal state). The gate fails a metric only
// when the whole interval lies beyond the margin (relative for energy and latency, in points for
// accuracy), so a model that is no worse fails it in at most 2.5 % of runs per metric.

export interface GateRecord {
  startUs: number;
  durationUs: number;
  energyJ: number;
  /** Whether the answer was right, where feedback exists. */
  correct?: boolean | null | undefined;
}

export interface GateConfig {
  /** Relative worsening tolerated for energy per inference and p95 latency (0.05 = +5 %). */
  margin: number;
  /** Accuracy drop tolerated, in points of the share correct (0.02 = 2 points). */
  accuracyMargin: number;
  /** Fewest records in each period for a verdict; with fewer the metric is `insufficient`. */
  minRecords: number;
  /** Batches per period (fewer when the records are few: at least 5 records per batch). */
  batches: number;
}

export const DEFAULT_GATE: GateConfig = { margin: 0.05, accuracyMargin: 0.02, minRecords: 40, batches: 16 };

export type GateMetric = 'energyPerInferenceJ' | 'p95LatencyUs' | 'accuracy';

export interface MetricVerdict {
  metric: GateMetric;
  verdict: 'regressed' | 'ok' | 'insufficient';
  pre: number;
  post: number;
  nPre: number;
  nPost: number;
  /** post/pre − 1 (energy, latency) or post − pre (accuracy). */
  change: number;
  /** 95 % interval of `change`. */
  low: number;
  high: number;
  margin: number;
}

export interface GateVerdict {
  regressed: boolean;
  metrics: MetricVerdict[];
}

/** Student t quantile by the Cornish–Fisher expansion in 1/df (error < 0.003 for df ≥ 3 at 0.975). */
export function tQuantile(p: number, df: number): number {
  const z = normalQuantile(p);
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3)
  );
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628274631,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0] = a;
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0] = b;
  const [c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0] = c;
  const [d0 = 0, d1 = 0, d2 = 0, d3 = 0] = d;
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const lower = sorted[below] ?? 0;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] ?? lower;
  return lower + (upper - lower) * (position - below);
}

/** Contiguous batches of `values` (already in time order): at most `batches`, at least 5 values each. */
function batchesOf(values: readonly number[], batches: number): number[][] {
  const count = Math.max(2, Math.min(batches, Math.floor(values.length / 5)));
  const out: number[][] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      values.slice(Math.floor((i * values.length) / count), Math.floor(((i + 1) * values.length) / count)),
    );
  }
  return out;
}

function meanVar(values: readonly number[]): { mean: number; variance: number; n: number } {
  const n = values.length;
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  const variance = n > 1 ? values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, variance, n };
}

const STATISTICS: Record<GateMetric, (batch: readonly number[]) => number> = {
  energyPerInferenceJ: (batch) => batch.reduce((sum, v) => sum + v, 0) / batch.length,
  p95LatencyUs: (batch) =>
    quantile(
      [...batch].sort((x, y) => x - y),
      0.95,
    ),
  accuracy: (batch) => batch.reduce((sum, v) => sum + v, 0) / batch.length,
};

/**
 * Welch interval of the change in one metric between two periods. For energy and latency the
 * change is relative (ratio of means − 1, its standard error by the delta method), for accuracy
 * absolute; `regressed` when the interval's better end is still worse than the margin.
 */
export function judgeMetric(
  metric: GateMetric,
  preValues: readonly number[],
  postValues: readonly number[],
  config: GateConfig,
): MetricVerdict {
  const relative = metric !== 'accuracy';
  const margin = relative ? config.margin : config.accuracyMargin;
  const base = { metric, nPre: preValues.length, nPost: postValues.length, margin };
  if (preValues.length < config.minRecords || postValues.length < config.minRecords) {
    return {
      ...base,
      verdict: 'insufficient',
      pre: Number.NaN,
      post: Number.NaN,
      change: Number.NaN,
      low: Number.NaN,
      high: Number.NaN,
    };
  }
  const statistic = STATISTICS[metric];
  const pre = meanVar(batchesOf(preValues, config.batches).map(statistic));
  const post = meanVar(batchesOf(postValues, config.batches).map(statistic));
  const sePre2 = pre.variance / pre.n;
  const sePost2 = post.variance / post.n;
  const df =
    sePre2 + sePost2 === 0
      ? pre.n + post.n - 2
      : (sePre2 + sePost2) ** 2 / (sePre2 ** 2 / (pre.n - 1) + sePost2 ** 2 / (post.n - 1));
  const t = tQuantile(0.975, Math.max(1, df));
  let change: number;
  let se: number;
  if (relative) {
    const ratio = post.mean / pre.mean;
    change = ratio - 1;
    se = Math.abs(ratio) * Math.sqrt(sePost2 / post.mean ** 2 + sePre2 / pre.mean ** 2);
  } else {
    change = post.mean - pre.mean;
    se = Math.sqrt(sePre2 + sePost2);
  }
  const low = change - t * se;
  const high = change + t * se;
  const regressed = relative ? low > margin : high < -margin;
  return {
    ...base,
    verdict: regressed ? 'regressed' : 'ok',
    pre: pre.mean,
    post: post.mean,
    change,
    low,
    high,
  };
}

/** Judges a board's probation records against its pre-rollout records on every metric it has. */
export function judgeCanary(
  pre: readonly GateRecord[],
  post: readonly GateRecord[],
  config: GateConfig = DEFAULT_GATE,
): GateVerdict {
  const ordered = (records: readonly GateRecord[]) => [...records].sort((a, b) => a.startUs - b.startUs);
  const before = ordered(pre);
  const after = ordered(post);
  const metrics = [
    judgeMetric(
      'energyPerInferenceJ',
      before.map((r) => r.energyJ),
      after.map((r) => r.energyJ),
      config,
    ),
    judgeMetric(
      'p95LatencyUs',
      before.map((r) => r.durationUs),
      after.map((r) => r.durationUs),
      config,
    ),
  ];
  const labelled = (records: readonly GateRecord[]) =>
    records.filter((r) => typeof r.correct === 'boolean').map((r) => (r.correct ? 1 : 0));
  const accPre = labelled(before);
  const accPost = labelled(after);
  // Accuracy only where feedback exists in both periods.
  if (accPre.length > 0 && accPost.length > 0) metrics.push(judgeMetric('accuracy', accPre, accPost, config));
  return { regressed: metrics.some((m) => m.verdict === 'regressed'), metrics };
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`;

/** One line per metric, for the rollout log: what was compared, the numbers, the verdict. */
export function describeVerdict(
  device: string,
  verdict: GateVerdict,
  config: GateConfig = DEFAULT_GATE,
): string {
  const parts = verdict.metrics.map((m) => {
    if (m.verdict === 'insufficient')
      return `${m.metric}: insufficient data (pre ${m.nPre}, probation ${m.nPost} records; need ${config.minRecords} each)`;
    const fmt = m.metric === 'accuracy' ? pts : pct;
    const value = (x: number) =>
      m.metric === 'energyPerInferenceJ'
        ? `${(x * 1000).toPrecision(4)} mJ`
        : m.metric === 'p95LatencyUs'
          ? `${(x / 1000).toPrecision(4)} ms`
          : `${(x * 100).toFixed(1)} %`;
    return `${m.metric}: ${value(m.pre)} → ${value(m.post)} (${fmt(m.change)}, 95 % CI ${fmt(m.low)} … ${fmt(m.high)}, margin ${m.metric === 'accuracy' ? `−${(m.margin * 100).toFixed(1)} pts` : `+${(m.margin * 100).toFixed(1)} %`}; n ${m.nPre}/${m.nPost}) ${m.verdict}`;
  });
  const outcome = verdict.regressed
    ? 'REGRESSION'
    : verdict.metrics.every((m) => m.verdict === 'insufficient')
      ? 'no verdict (too few records; not blocking)'
      : 'pass';
  return `health gate ${device}: ${outcome} — Welch t on batch statistics, pre-rollout vs probation; ${parts.join('; ')}`;
}
