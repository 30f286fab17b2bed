// The messages of the wire contract, as the rest of the code sees them (SI units, named in the
// field). How they look on the wire (columns, integer units) is protocol/codec/wire.ts's business.

import type { DeploymentReason, DeploymentState } from './deploy/states.js';
import type { OffloadRecord } from './offload-fields.js';
import type { InferenceRecord } from './record-fields.js';
import type { MessageKind } from './topics.js';

export const PROTOCOL_VERSION = 1;

/** One inference as the agent saw it; its fields are the rows of record-fields.ts. */
export type { InferenceRecord } from './record-fields.js';

/** Whether an energy figure was read from a sensor or computed from a model of the board. */
export type Provenance = InferenceRecord['provenance'];

/** How a record's energy was attributed (absent means `single`). */
export type AttributionMethod = NonNullable<InferenceRecord['method']>;

/** A batch of consecutive records from one device (`inference` topic). */
export interface InferenceBatch {
  v: typeof PROTOCOL_VERSION;
  type: 'inference';
  device: string;
  /** Records with consecutive seq numbers, oldest first. */
  records: InferenceRecord[];
}

/**
 * A batch of offload records from one device (`offload` topic): inputs sent to an inference
 * server, with the device's and the server's measurements (offload-fields.ts).
 */
export interface OffloadBatch {
  v: typeof PROTOCOL_VERSION;
  type: 'offload';
  device: string;
  /** Records with consecutive seq numbers (the device's one seq space), oldest first. */
  records: OffloadRecord[];
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

/**
 * One transition of a model deployment on a device (`deployment` topic, QoS 1, not retained): the
 * collector keeps every one, so a rollout sees each device walk its states (docs/deployment.md).
 */
export interface DeploymentMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'deployment';
  device: string;
  /** The device's counter of deployment messages, increasing across restarts: (device, seq) is unique. */
  seq: number;
  /** When the transition happened, microseconds since the Unix epoch. */
  atUs: number;
  /** The assignment's deploymentId (rollout, or experiment period). */
  deploymentId: string;
  /** The model being deployed (SHA-256 hex of the artifact). */
  modelId: string;
  /** Its release (0: the manifest has none). */
  release: number;
  state: DeploymentState;
  /** Why, for `refused`, `failed`, `rolling-back` and `rolled-back`. */
  reason?: DeploymentReason;
  /** One line for people, at most 512 characters. */
  detail?: string;
  /** Bytes downloaded so far (downloading) or in all (later states). */
  bytes?: number;
  /** The model the device ran before, and runs again after a rollback. */
  previousModelId?: string;
  /** Loop guard: how many times this deployment was started on the device (1 the first time). */
  attempt: number;
}

/**
 * Ground truth that arrived after the answer (`feedback` topic): the label of the record `seq`,
 * and whether the device's answer matched it. The collector joins it to the record by (device, seq).
 */
export interface FeedbackMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'feedback';
  device: string;
  /** Sequence number of the inference record the label is for. */
  seq: number;
  /** The true class index. */
  label: number;
  /** Whether the record's prediction (its arg max) equals `label`; the device knows its answer, the collector does not. */
  correct: boolean;
  /** When the feedback was given, microseconds since the Unix epoch. */
  atUs: number;
}

export type Message = InferenceBatch | OffloadBatch | StatusMessage | DeploymentMessage | FeedbackMessage;

/** Typed map from topic kind to its payload: the public MQTT API. */
export interface TopicPayloads {
  inference: InferenceBatch;
  offload: OffloadBatch;
  status: StatusMessage;
  deployment: DeploymentMessage;
  feedback: FeedbackMessage;
}
export type PayloadKind = keyof TopicPayloads & MessageKind;
