// InfluxDB measurement names and the keys of their tags and fields: what the collector writes,
// what dashboards and read-back query. The inference keys come from the record's field table;
// the line builder is collector/store/influx-lines.ts, the schema is in docs/deployment.md#schema.

import { OFFLOAD_FIELD_LIST, type OffloadFieldName } from './offload-fields.js';
import { RECORD_FIELD_LIST, type RecordFieldName, snakeCase, type TableField } from './record-fields.js';

export const MEASUREMENTS = {
  /** A point per inference record: tags and per-inference fields of the field table. */
  inference: 'inference',
  /** A point per run of records with equal io fields (batch size, tensor bytes). */
  inferenceIo: 'inference_io',
  status: 'device_status',
  comparison: 'comparison',
  /** A point per offload record: an input sent to an inference server, both sides measured. */
  offload: 'offload',
  /** A point per feedback message: the label of one record, given after its answer. */
  feedback: 'feedback',
  /** A point per `deployment` message: a device's step in a model deployment. */
  deployment: 'deployment',
  /** A point per change of a device's phase in a rollout (collector/deploy). */
  rolloutDevice: 'rollout_device',
  /** A point per health-gate metric of a canary board (pre-rollout vs probation). */
  rolloutGate: 'rollout_gate',
} as const;

/** Tags and fields of `deployment`; the point's time is the device's atUs. */
export const DEPLOYMENT_KEYS = {
  fleet: 'fleet',
  device: 'device',
  deploymentId: 'deployment_id',
  state: 'state',
  seq: 'seq',
  modelId: 'model_id',
  release: 'release',
  reason: 'reason',
  bytes: 'bytes',
  attempt: 'attempt',
} as const;

/** Tags and fields of `rollout_device`; `phase_code` orders the phases (ROLLOUT_PHASE_CODES). */
export const ROLLOUT_DEVICE_KEYS = {
  rollout: 'rollout',
  fleet: 'fleet',
  device: 'device',
  group: 'group',
  phase: 'phase',
  phaseCode: 'phase_code',
  /** 1 when the device committed after probation (and passed the gate): sum() per group = progress. */
  succeeded: 'succeeded',
  /** 1 when it failed, timed out or regressed. */
  failed: 'failed',
} as const;

/** Tags and fields of `rollout_gate`: relative change (energy, latency) or points (accuracy). */
export const ROLLOUT_GATE_KEYS = {
  rollout: 'rollout',
  fleet: 'fleet',
  device: 'device',
  metric: 'metric',
  pre: 'pre',
  post: 'post',
  change: 'change',
  low: 'low',
  high: 'high',
  margin: 'margin',
  regressed: 'regressed',
} as const;

/** The InfluxDB key of each field of a record table: its tag key, snake_case, or `time`. */
export function influxKeysOf<Name extends string>(
  fields: readonly TableField<Name>[],
): Readonly<Record<Name, string>> {
  return Object.fromEntries(
    fields.map((f) => [
      f.name,
      f.influx.as === 'timestamp'
        ? 'time'
        : f.influx.as === 'tag' && f.influx.key !== undefined
          ? f.influx.key
          : snakeCase(f.name),
    ]),
  ) as Readonly<Record<Name, string>>;
}

/**
 * The key of each record field in InfluxDB: a tag or field of `inference`, a field of
 * `inference_io`, or `time` for the one that is the point's timestamp.
 */
export const INFERENCE_KEYS = influxKeysOf<RecordFieldName>(RECORD_FIELD_LIST);

/**
 * The key of each offload record field in measurement `offload` (tags: fleet, device, model,
 * variant, experiment, arm, server, outcome; the rest are fields; `time` is the request's start).
 */
export const OFFLOAD_KEYS = influxKeysOf<OffloadFieldName>(OFFLOAD_FIELD_LIST);

/** Tags of `inference` and `inference_io` that are not record fields: where the batch came from. */
export const SOURCE_TAGS = { fleet: 'fleet', device: 'device' } as const;

/** Fields of `inference_io` besides the io record fields: the run they describe. */
export const INFERENCE_IO_KEYS = { firstSeq: 'first_seq', records: 'records' } as const;

/** Tags and fields of `device_status` (from the status message). */
export const STATUS_KEYS = {
  fleet: 'fleet',
  device: 'device',
  board: 'board',
  state: 'state',
  /** 1 online, 0 offline: sum() counts devices online. */
  online: 'online',
  seq: 'seq',
  atUs: 'at_us',
  sensor: 'sensor',
  backend: 'backend',
  modelId: 'model_id',
  variant: 'variant',
  agentVersion: 'agent_version',
} as const;

/** Tags and fields of `feedback`; the point's time is atUs × 1000 + seq mod 1000 (one point per feedback). */
export const FEEDBACK_KEYS = {
  fleet: 'fleet',
  device: 'device',
  seq: 'seq',
  label: 'label',
  /** 1 when the record's answer matched the label, else 0: mean() gives field accuracy. */
  correct: 'correct',
  atUs: 'at_us',
} as const;

/** Tags and fields of `comparison` (life-cycle results, per functional unit). */
export const COMPARISON_KEYS = {
  fleet: 'fleet',
  device: 'device',
  board: 'board',
  model: 'model',
  variant: 'variant',
  scenario: 'scenario',
  unit: 'unit',
  edgeG: 'edge_g_co2e',
  edgeLowG: 'edge_g_co2e_low',
  edgeHighG: 'edge_g_co2e_high',
  offloadG: 'offload_g_co2e',
  offloadLowG: 'offload_g_co2e_low',
  offloadHighG: 'offload_g_co2e_high',
  probabilityEdgeWins: 'p_edge_wins',
  intervalLevel: 'interval_level',
  samples: 'samples',
  breakEvenPerS: 'break_even_per_s',
} as const;
