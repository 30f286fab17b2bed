// InfluxDB 1.x line protocol for edgewatt: the schema (measurements, tags, typed fields) and the
// point identity that makes redelivery idempotent. Documented in docs/deployment.md#schema.
//
// Tags are low-cardinality identity only, and a pure function of the message, so a batch
// redelivered to another collector lands in the same series. Every field has one fixed type:
// integers always carry the `i` suffix, floats never do, so a field-type conflict cannot happen.

import type { InferenceRecord, StatusMessage } from '../../protocol/index.js';

export const MEASUREMENTS = {
  inference: 'inference',
  inferenceIo: 'inference_io',
  status: 'device_status',
  comparison: 'comparison',
} as const;

/** Per-unit interval of a placement's footprint, gCO2e per functional unit. */
export interface FootprintInterval {
  meanG: number;
  /** Lower and upper bounds of the interval (e.g. 5th and 95th percentile of the Monte Carlo samples). */
  lowG: number;
  highG: number;
}

/**
 * A life-cycle comparison result as written to InfluxDB (measurement `comparison`), one point per
 * (fleet, board, model, variant, scenario, unit) and computation time.
 */
export interface ComparisonResult {
  /** When the comparison was computed, µs since the Unix epoch: the point's timestamp. */
  atUs: number;
  fleet: string;
  /** Device the measurements came from, when the comparison is per device. */
  device?: string;
  /** Board profile id, e.g. `rpi4`. */
  board: string;
  modelId: string;
  variant: string;
  /** Scenario name (grid regions, network model, datacenter...). */
  scenario: string;
  /** Functional unit, e.g. `inference`, `correct-inference`, `1000-inferences`, `device-day`. */
  unit: string;
  edge: FootprintInterval;
  offload: FootprintInterval;
  /** Share of Monte Carlo samples where edge emits less than offload, 0..1. */
  probabilityEdgeWins: number;
  /** Inference rate (per second) above which edge wins, when there is one. */
  breakEvenPerS: number | null;
  /** Interval level of low/high, e.g. 0.9. */
  intervalLevel: number;
  samples: number;
}

const TAG_SPECIAL = /[,= \\\n]/;
const tag = (value: string): string =>
  value.length === 0
    ? 'none'
    : TAG_SPECIAL.test(value)
      ? value.replace(/[,= \\]/g, '\\$&').replace(/\n/g, ' ')
      : value;
const str = (value: string): string => `"${value.replace(/[\\"]/g, '\\$&').replace(/\n/g, ' ')}"`;
const int = (value: number): string => `${Math.trunc(value)}i`;
const float = (value: number): string => {
  if (!Number.isFinite(value)) throw new RangeError(`line protocol float must be finite, got ${value}`);
  return String(value);
};

/** The `model` tag: the first 16 hex digits of the artifact hash (enough to tell a fleet's models apart). */
export const modelTag = (modelId: string): string => tag(modelId.slice(0, 16));

/**
 * Point timestamp of a record, nanoseconds as text: its start (µs) × 1000 + seq mod 1000. Two
 * records of one device that start in the same microsecond still get different timestamps
 * (unless their seqs are 1000 apart), and a redelivered record gets the same one: it overwrites.
 */
export function recordTimestampNs(record: Pick<InferenceRecord, 'startUs' | 'seq'>): string {
  return `${record.startUs}${String(record.seq % 1000).padStart(3, '0')}`;
}

/**
 * The tag set of a record's point, tags in key order (InfluxDB sorts them otherwise, per point).
 * A batch's records nearly always share it, so inferenceLines() builds it once per change.
 */
function inferenceTags(fleet: string, device: string, r: InferenceRecord): string {
  return (
    `${MEASUREMENTS.inference},backend=${tag(r.backend)},device=${tag(device)},fleet=${tag(fleet)}` +
    `,method=${r.method ?? 'single'},model=${modelTag(r.modelId)},provenance=${tag(r.provenance)}` +
    `,sensor=${tag(r.sensor)},variant=${tag(r.variant)}`
  );
}

/**
 * The fields that change from one inference to the next. InfluxDB's write cost grows with the
 * fields of a point (bench:ingest), so derivable and per-call values are not repeated here:
 * energy above idle is energy_j − baseline_w × duration_us / 1e6 (dashboards compute it), and
 * batch size and tensor bytes go to `inference_io`, one point per run of equal values.
 */
function inferenceFields(r: InferenceRecord): string {
  let fields =
    `seq=${int(r.seq)},duration_us=${int(r.durationUs)},energy_j=${float(r.energyJ)}` +
    `,energy_uncertainty_j=${float(r.energyUncertaintyJ)},baseline_w=${float(r.baselineW)}` +
    `,sample_count=${int(r.sampleCount)}`;
  // Only batched windows hold more than one inference; absent means 1.
  if (r.method === 'batched') fields += `,window_inferences=${int(r.windowInferences ?? 1)}`;
  // Accuracy as 0/1 integers so mean() gives it; absent (not false) when ground truth is unknown.
  if (r.correct !== null) fields += `,correct=${r.correct ? '1i' : '0i'}`;
  return fields;
}

export function inferenceLine(fleet: string, device: string, r: InferenceRecord): string {
  return `${inferenceTags(fleet, device, r)} ${inferenceFields(r)} ${recordTimestampNs(r)}`;
}

const sameTags = (a: InferenceRecord, b: InferenceRecord): boolean =>
  a.modelId === b.modelId &&
  a.variant === b.variant &&
  a.backend === b.backend &&
  a.sensor === b.sensor &&
  a.provenance === b.provenance &&
  a.method === b.method;

const sameIo = (a: InferenceRecord, b: InferenceRecord): boolean =>
  a.batchSize === b.batchSize && a.inputBytes === b.inputBytes && a.outputBytes === b.outputBytes;

/**
 * The points of one batch message: a point per record in `inference`, and in `inference_io` a
 * point per run of records with equal (batch size, input bytes, output bytes) — usually one per
 * message — at the run's first record's timestamp, with `first_seq` and `records`: the values of
 * any record are those of the run that holds its seq. Redelivered, a message gives the same points.
 */
export function inferenceLines(fleet: string, device: string, records: readonly InferenceRecord[]): string[] {
  const lines: string[] = [];
  let tagsOf: InferenceRecord | undefined;
  let tags = '';
  let runStart = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as InferenceRecord;
    if (tagsOf === undefined || !sameTags(tagsOf, r)) {
      tagsOf = r;
      tags = inferenceTags(fleet, device, r);
    }
    lines.push(`${tags} ${inferenceFields(r)} ${recordTimestampNs(r)}`);
    const next = records[i + 1];
    if (next === undefined || !sameIo(r, next)) {
      lines.push(ioLine(fleet, device, records[runStart] as InferenceRecord, i + 1 - runStart));
      runStart = i + 1;
    }
  }
  return lines;
}

function ioLine(fleet: string, device: string, first: InferenceRecord, records: number): string {
  return (
    `${MEASUREMENTS.inferenceIo},device=${tag(device)},fleet=${tag(fleet)},model=${modelTag(first.modelId)},variant=${tag(first.variant)}` +
    ` batch_size=${int(first.batchSize)},input_bytes=${int(first.inputBytes)},output_bytes=${int(first.outputBytes)}` +
    `,first_seq=${int(first.seq)},records=${int(records)} ${recordTimestampNs(first)}`
  );
}

/**
 * A status point. Timestamp: the message's atUs (µs → ns), + 1 ns for `offline`, because a last
 * will carries the time its connection began, the same as that connection's birth message.
 */
export function statusLine(fleet: string, s: StatusMessage): string {
  let tags = `${MEASUREMENTS.status},fleet=${tag(fleet)},device=${tag(s.device)}`;
  if (s.board !== undefined) tags += `,board=${tag(s.board)}`;
  let fields = `state=${str(s.state)},online=${s.state === 'online' ? '1i' : '0i'},seq=${int(s.seq)},at_us=${int(s.atUs)}`;
  if (s.sensor !== undefined) fields += `,sensor=${str(s.sensor)}`;
  if (s.backend !== undefined) fields += `,backend=${str(s.backend)}`;
  if (s.modelId !== undefined) fields += `,model_id=${str(s.modelId)}`;
  if (s.variant !== undefined) fields += `,variant=${str(s.variant)}`;
  if (s.agentVersion !== undefined) fields += `,agent_version=${str(s.agentVersion)}`;
  return `${tags} ${fields} ${s.atUs}${s.state === 'offline' ? '001' : '000'}`;
}

export function comparisonLine(c: ComparisonResult): string {
  let tags = `${MEASUREMENTS.comparison},fleet=${tag(c.fleet)}`;
  if (c.device !== undefined) tags += `,device=${tag(c.device)}`;
  tags += `,board=${tag(c.board)},model=${modelTag(c.modelId)},variant=${tag(c.variant)},scenario=${tag(c.scenario)},unit=${tag(c.unit)}`;
  let fields =
    `edge_g_co2e=${float(c.edge.meanG)},edge_g_co2e_low=${float(c.edge.lowG)},edge_g_co2e_high=${float(c.edge.highG)}` +
    `,offload_g_co2e=${float(c.offload.meanG)},offload_g_co2e_low=${float(c.offload.lowG)},offload_g_co2e_high=${float(c.offload.highG)}` +
    `,p_edge_wins=${float(c.probabilityEdgeWins)},interval_level=${float(c.intervalLevel)},samples=${int(c.samples)}`;
  if (c.breakEvenPerS !== null) fields += `,break_even_per_s=${float(c.breakEvenPerS)}`;
  return `${tags} ${fields} ${c.atUs}000`;
}
