// The store interface: connect, write, close. Stores decide how to keep records; de-duplication of
// (fleet, device, seq) is their contract, because redelivery is normal under QoS 1.

import { EdgewattError } from '../../common/errors.js';
import type { InferenceRecord, StatusMessage } from '../../protocol/index.js';

export interface WriteResult {
  inserted: number;
  duplicates: number;
}

export interface StoredRecord extends InferenceRecord {
  fleet: string;
  device: string;
  /** When the collector stored it, microseconds since the Unix epoch. */
  receivedUs: number;
}

export interface DeviceSummary {
  fleet: string;
  device: string;
  board: string | null;
  state: string | null;
  modelId: string;
  variant: string;
  backend: string;
  sensor: string;
  provenance: string;
  inferences: number;
  meanDurationUs: number;
  meanEnergyJ: number;
  /**
   * Mean energy above idle: energy − baseline × duration, where a batched window's baseline is
   * taken over the window's span ÷ N (gaps between its inferences included).
   */
  meanMarginalEnergyJ: number;
  /** Measured windows (fewer than inferences when windows were batched). */
  windows: number;
  /** Standard error of meanEnergyJ with windows, not records, as the independent measurements. */
  energyStandardErrorJ: number;
  /** Mean of the per-record standard uncertainties (they are correlated, so they do not average down). */
  meanUncertaintyJ: number;
}

/** A message as the collector received it: its payload's bytes and when they arrived. */
export interface ReceivedPayload {
  payload: Uint8Array;
  /** When the collector received it, µs since the Unix epoch. */
  receivedUs: number;
}

export interface RecordStore {
  connect(): Promise<void>;
  /** `received`: the message the records were decoded from, for a store that keeps the bytes (InfluxDB's spool). */
  writeBatch(
    fleet: string,
    device: string,
    records: readonly InferenceRecord[],
    received?: ReceivedPayload,
  ): Promise<WriteResult>;
  writeStatus(fleet: string, status: StatusMessage, received?: ReceivedPayload): Promise<void>;
  close(): Promise<void>;
}

export interface DeviceStatus {
  fleet: string;
  device: string;
  state: string;
  statusSeq: number;
  statusAtUs: number;
  board: string | null;
  sensor: string | null;
  backend: string | null;
  modelId: string | null;
  variant: string | null;
  agentVersion: string | null;
}

/** A store that can also be read back (export, the demo table). */
export interface QueryableStore extends RecordStore {
  summary(): DeviceSummary[];
  devices(): DeviceStatus[];
  records(): Iterable<StoredRecord>;
  count(): number;
}

export class StoreConfigError extends EdgewattError {
  override readonly name = 'StoreConfigError';
}
