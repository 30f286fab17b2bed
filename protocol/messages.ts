// The messages of the wire contract, as the rest of the code sees them (SI units, named in the
// field). How they look on the wire (columns, integer units) is protocol/codec/wire.ts's business.

import type { MessageKind } from './topics.js';

export const PROTOCOL_VERSION = 1;

/** Whether an energy figure was read from a sensor or computed from a model of the board. */
export type Provenance = 'measured' | 'estimated';

/** One inference as the agent saw it. */
export interface InferenceRecord {
  /** Per-device sequence number; increases across agent restarts, never reused. */
  seq: number;
  /** Wall-clock start of the inference, microseconds since the Unix epoch. */
  startUs: number;
  /** Wall-clock duration, microseconds, > 0. */
  durationUs: number;
  /** Gross energy of the device over [start, start + duration], joules (resolution 1 nJ). */
  energyJ: number;
  /** Standard uncertainty (k = 1) of energyJ, joules (resolution 1 nJ). */
  energyUncertaintyJ: number;
  /** Idle baseline power of the device, watts (resolution 1 µW); marginal = energyJ − baselineW × duration. */
  baselineW: number;
  /** Number of sensor samples inside the window; 0 for an estimate. */
  sampleCount: number;
  provenance: Provenance;
  /** What produced energyJ, `kind[:board]`, e.g. `ina219`, `simulated:rpi4`. */
  sensor: string;
  /** SHA-256 (hex) of the model artifact that ran. */
  modelId: string;
  /** Model variant name, e.g. `dense`, `pruned-50`. */
  variant: string;
  /** Runtime backend that ran the model, e.g. `wasm`, `tensorflow`, `cpu`. */
  backend: string;
  /** Inputs per inference call. */
  batchSize: number;
  /** Bytes of input tensor(s) and output tensor(s). */
  inputBytes: number;
  outputBytes: number;
  /** Whether the answer was right, when ground truth is known; otherwise null. */
  correct: boolean | null;
  /**
   * How energyJ was attributed: `single` (one inference in the sensor window) or `batched` (a window
   * of `windowInferences` back-to-back inferences, its energy divided by N, as MLPerf Tiny does).
   * Absent means single. Optional on the wire: publishers that do not batch leave it out.
   */
  method?: AttributionMethod;
  /** Inferences in the measured window (1 for single). Absent means 1. */
  windowInferences?: number;
}

export type AttributionMethod = 'single' | 'batched';

/** A batch of consecutive records from one device (`inference` topic). */
export interface InferenceBatch {
  v: typeof PROTOCOL_VERSION;
  type: 'inference';
  device: string;
  /** Records with consecutive seq numbers, oldest first. */
  records: InferenceRecord[];
}

export type DeviceState = 'online' | 'offline';

/** Birth (retained, `online`) and last will (`offline`) of a device (`status` topic). */
export interface StatusMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'status';
  device: string;
  state: DeviceState;
  /** Next sequence number the device will use at the time of the message. */
  seq: number;
  /** When the message was made, microseconds since the Unix epoch. */
  atUs: number;
  /** Board profile id, e.g. `rpi4`; absent when unknown. */
  board?: string;
  sensor?: string;
  backend?: string;
  modelId?: string;
  variant?: string;
  /** edgewatt version of the agent. */
  agentVersion?: string;
  /**
   * Connection counter of the device, larger for every new connection (persisted across restarts).
   * A status whose birth is lower than one already seen is stale: a late last will of an old
   * connection must not mark a reconnected device offline. Absent from older agents.
   */
  birth?: number;
}

export type Message = InferenceBatch | StatusMessage;

/** Typed map from topic kind to its payload: the public MQTT API. */
export interface TopicPayloads {
  inference: InferenceBatch;
  status: StatusMessage;
}
export type PayloadKind = keyof TopicPayloads & MessageKind;
