// One pass over an experiment's records: each record is put in its board's scheduled period (by its
// start time) and counted as warm-up, washout, wrong arm, or analysed. Memory is bounded by boards ×
// periods, never by records: energies are summed, latencies go into a log-binned histogram (p95 and
// the latency plot come from it), the time series into fixed buckets. The pre-experiment records of
// each board (no experiment tag) give CUPED's covariate.

import type { OffloadRecord } from '../../protocol/offload-fields.js';
import type { StoredRecord } from '../store/index.js';
import type { Period } from './schedule.js';

/**
 * One inference as the analysis sees it: an edge inference record as stored, or an offloaded one
 * made into the same shape by offloadObservation().
 */
export type Observation = Pick<
  StoredRecord,
  'device' | 'startUs' | 'experiment' | 'arm' | 'energyJ' | 'baselineW' | 'durationUs' | 'correct'
> & {
  /**
   * Where the answer came from, for an auto arm's shares: `offload` (an answered request), `none`
   * (a request that got no answer and did not fall back); absent: the edge (an inference record,
   * or a failed request whose fallback ran on the edge).
   */
  ranOn?: 'offload' | 'none';
};

/**
 * An offload record as a store reads it back (the device and fleet are the topic's), with
 * `correct` when feedback for its seq was joined (store/labels.ts readLabelledOffload).
 */
export type StoredOffload = OffloadRecord & { fleet: string; device: string; correct?: boolean | null };

/**
 * An offloaded inference as an observation of its arm: energy = the device's energy over the request
 * window (radio + waiting, measured by its sensor) + the server's energy for the request (its
 * batch's share, idle not included: `serverEnergyJ`); above idle takes off the device's baseline
 * over the round trip; latency is the round trip. A failed request (no answer: timeout, refused,
 * connection errors) costs the device its window and the server nothing it reports: it counts with
 * its device energy alone, so an arm's failures raise its energy per inference as they do in use.
 * Its correctness is the feedback's verdict on the server's answer, when feedback was joined.
 */
export function offloadObservation(record: StoredOffload): Observation {
  return {
    device: record.device,
    startUs: record.startUs,
    experiment: record.experiment,
    arm: record.arm,
    energyJ: record.deviceEnergyJ + (record.outcome === 'ok' ? (record.serverEnergyJ ?? 0) : 0),
    baselineW: record.deviceBaselineW ?? 0,
    durationUs: Math.round(record.roundTripS * 1e6),
    ranOn: record.outcome === 'ok' ? 'offload' : 'none',
    // The server's answer judged against the label for this seq: feedback joined (correct), else
    // the record's own label (the agent knew it); none: not judged.
    correct:
      record.correct ??
      (record.label === undefined || record.prediction === undefined
        ? null
        : record.prediction === record.label),
  };
}

/** Latency bins: 50 per decade from 0.01 ms to 100 s (upper edges), so p95 is within 4.7 %. */
const BINS_PER_DECADE = 50;
const MIN_DECADE = -2;
const DECADES = 7;
const BIN_COUNT = BINS_PER_DECADE * DECADES;
export const binUpperMs = (i: number): number => 10 ** (MIN_DECADE + (i + 1) / BINS_PER_DECADE);

function binOf(ms: number): number {
  const i = Math.floor((Math.log10(Math.max(ms, 1e-9)) - MIN_DECADE) * BINS_PER_DECADE);
  return Math.min(BIN_COUNT - 1, Math.max(0, i));
}

export class LatencyHistogram {
  readonly counts = new Uint32Array(BIN_COUNT);
  total = 0;
  add(ms: number): void {
    this.counts[binOf(ms)] = (this.counts[binOf(ms)] ?? 0) + 1;
    this.total++;
  }
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BIN_COUNT; i++) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.total += other.total;
  }
  /** Quantile, interpolated geometrically inside its bin; null when empty. */
  quantile(p: number): number | null {
    if (this.total === 0) return null;
    const target = p * this.total;
    let seen = 0;
    for (let i = 0; i < BIN_COUNT; i++) {
      const c = this.counts[i] ?? 0;
      if (seen + c >= target && c > 0) {
        const lower = 10 ** (MIN_DECADE + i / BINS_PER_DECADE);
        const share = (target - seen) / c;
        return lower * (binUpperMs(i) / lower) ** share;
      }
      seen += c;
    }
    return binUpperMs(BIN_COUNT - 1);
  }
  /** Non-empty bins as [upper edge ms, count]. */
  bins(): [number, number][] {
    const out: [number, number][] = [];
    this.counts.forEach((c, i) => {
      if (c > 0) out.push([binUpperMs(i), c]);
    });
    return out;
  }
}

export class Accumulator {
  n = 0;
  energySumJ = 0;
  aboveIdleSumJ = 0;
  labelled = 0;
  correct = 0;
  readonly latency = new LatencyHistogram();
  add(record: Observation): void {
    this.n++;
    this.energySumJ += record.energyJ;
    this.aboveIdleSumJ += record.energyJ - record.baselineW * (record.durationUs / 1e6);
    this.latency.add(record.durationUs / 1000);
    if (record.correct !== null) {
      this.labelled++;
      if (record.correct) this.correct++;
    }
  }
  get meanEnergyJ(): number | null {
    return this.n === 0 ? null : this.energySumJ / this.n;
  }
}

/** The analysed records of a period by where each answer came from (an auto arm's two shares). */
export interface PlacementShares {
  edge: Accumulator;
  offload: Accumulator;
}

export interface PeriodAggregate {
  period: Period;
  analysed: Accumulator;
  /** `analysed` split by where each answer came from; requests without an answer are in neither. */
  shares: PlacementShares;
  /** The analysed span split at its middle: for the carry-over check. */
  firstHalf: Accumulator;
  secondHalf: Accumulator;
  warmup: number;
  washout: number;
  wrongArm: number;
  /** Every record in the period, warm-up and washout included: what a naive analysis would average. */
  all: Accumulator;
}

export interface Aggregates {
  periods: PeriodAggregate[];
  /** Pre-experiment mean energy per inference per device (CUPED covariate). */
  preMeanJ: Map<string, number>;
  /** Records of the experiment outside every scheduled period, and on devices not in the schedule. */
  unscheduled: number;
  timeSeries: Map<string, { sumJ: number; n: number; arm: string | null; washout: boolean }[]>;
  bucketMs: number;
  seriesStartMs: number;
}

export const SERIES_POINTS = 400;

export class ExperimentAggregator {
  private readonly byKey = new Map<string, PeriodAggregate>();
  private readonly byDevice = new Map<string, PeriodAggregate[]>();
  private readonly pre = new Map<string, Accumulator>();
  private readonly series = new Map<
    string,
    Aggregates['timeSeries'] extends Map<string, infer V> ? V : never
  >();
  private unscheduled = 0;
  readonly seriesStartMs: number;
  readonly bucketMs: number;

  constructor(
    schedule: readonly Period[],
    readonly experimentId: string,
    private readonly preStartMs: number,
    seriesEndMs: number,
    private readonly periodMs: number,
  ) {
    for (const period of schedule) {
      const aggregate: PeriodAggregate = {
        period,
        analysed: new Accumulator(),
        shares: { edge: new Accumulator(), offload: new Accumulator() },
        firstHalf: new Accumulator(),
        secondHalf: new Accumulator(),
        all: new Accumulator(),
        warmup: 0,
        washout: 0,
        wrongArm: 0,
      };
      this.byKey.set(`${period.device}\u0000${period.period}`, aggregate);
      const list = this.byDevice.get(period.device) ?? [];
      list.push(aggregate);
      this.byDevice.set(period.device, list);
    }
    for (const list of this.byDevice.values()) list.sort((a, b) => a.period.period - b.period.period);
    const first = Math.min(...schedule.map((p) => p.startMs));
    this.seriesStartMs = Math.min(first, preStartMs);
    this.bucketMs = Math.max(1000, Math.ceil((seriesEndMs - this.seriesStartMs) / SERIES_POINTS));
  }

  /** Pre-experiment records: untagged, on a scheduled device, before the first period. */
  addPre(record: Observation): void {
    const periods = this.byDevice.get(record.device);
    const atMs = record.startUs / 1000;
    if (periods === undefined || record.experiment !== undefined || atMs < this.preStartMs) return;
    if (atMs >= (periods[0] as PeriodAggregate).period.startMs) return;
    const acc = this.pre.get(record.device) ?? new Accumulator();
    acc.add(record);
    this.pre.set(record.device, acc);
    this.addPoint(record, null, false);
  }

  /** The scheduled period the record falls in, or undefined (another experiment, or unscheduled). */
  private periodOf(record: Observation): PeriodAggregate | undefined {
    const periods = this.byDevice.get(record.device);
    const atMs = record.startUs / 1000;
    const first = periods?.[0]?.period;
    // Periods are planned back to back, periodMs each; the last may be cut short by a stop.
    const index = first === undefined ? -1 : Math.floor((atMs - first.startMs) / this.periodMs);
    const aggregate = periods?.[index];
    return aggregate === undefined || atMs >= aggregate.period.endMs ? undefined : aggregate;
  }

  /** Whether add() counts the record as analysed (its arm's period, past warm-up and washout). */
  analyses(record: Observation): boolean {
    if (record.experiment !== this.experimentId) return false;
    const aggregate = this.periodOf(record);
    if (aggregate === undefined) return false;
    const { period } = aggregate;
    const atMs = record.startUs / 1000;
    return record.arm === period.arm && atMs >= period.warmupEndMs && atMs >= period.washoutEndMs;
  }

  add(record: Observation): void {
    if (record.experiment !== this.experimentId) return;
    const aggregate = this.periodOf(record);
    if (aggregate === undefined) {
      this.unscheduled++;
      return;
    }
    const atMs = record.startUs / 1000;
    const { period } = aggregate;
    aggregate.all.add(record);
    const inWashout = atMs < period.washoutEndMs;
    this.addPoint(record, period.arm, inWashout);
    if (record.arm !== period.arm) aggregate.wrongArm++;
    else if (atMs < period.warmupEndMs) aggregate.warmup++;
    else if (inWashout) aggregate.washout++;
    else {
      aggregate.analysed.add(record);
      if (record.ranOn === undefined) aggregate.shares.edge.add(record);
      else if (record.ranOn === 'offload') aggregate.shares.offload.add(record);
      const middle = (period.washoutEndMs + period.endMs) / 2;
      (atMs < middle ? aggregate.firstHalf : aggregate.secondHalf).add(record);
    }
  }

  private addPoint(record: Observation, arm: string | null, washout: boolean): void {
    const points = this.series.get(record.device) ?? [];
    this.series.set(record.device, points);
    const i = Math.floor((record.startUs / 1000 - this.seriesStartMs) / this.bucketMs);
    if (i < 0 || i > SERIES_POINTS * 2) return;
    while (points.length <= i) points.push({ sumJ: 0, n: 0, arm: null, washout: false });
    const point = points[i] as (typeof points)[number];
    point.sumJ += record.energyJ;
    point.n++;
    point.arm = arm;
    point.washout ||= washout;
  }

  result(): Aggregates {
    const preMeanJ = new Map<string, number>();
    for (const [device, acc] of this.pre) if (acc.n > 0) preMeanJ.set(device, acc.energySumJ / acc.n);
    return {
      periods: [...this.byKey.values()],
      preMeanJ,
      unscheduled: this.unscheduled,
      timeSeries: this.series,
      bucketMs: this.bucketMs,
      seriesStartMs: this.seriesStartMs,
    };
  }
}
