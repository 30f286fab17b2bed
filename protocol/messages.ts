// The messages of the wire contract, as the rest of the code sees them (SI units, named in the
// field). How they look on the wire (columns, integer units) is protocol/codec/wire.ts's business.

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
