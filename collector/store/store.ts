// What a store is and what it can do. Every store is a `Store` (open, close) and implements the
// parts (capabilities) its driver declares: write records, read records, write comparisons,
// drain. Callers ask the registry (index.ts) for a capability; nobody probes a store's methods.
// De-duplication of (fleet, device, seq) is the record writer's contract: redelivery is normal.

import { EdgewattError } from '../../common/errors.js';
import type {
  FeedbackMessage,
  InferenceColumns,
  InferenceRecord,
  OffloadRecord,
  StatusMessage,
} from '../../protocol/index.js';
import type { ComparisonResult } from '../lifecycle/comparison-result.js';
import type { RecordFilter } from './filter.js';

export type { RecordFilter } from './filter.js';

export interface WriteResult {
  inserted: number;
  duplicates: number;
  /**
   * Seqs of records refused because their (fleet, device, seq) already names a record of the
   * OTHER kind (inference vs offload share one seq space): a store that can check it (SQLite)
   * reports them here; absent when there are none.
   */
  seqConflicts?: number[];
}

export interface StoredRecord extends InferenceRecord {
  fleet: string;
  device: string;
  /**
   * When the collector stored it, microseconds since the Unix epoch; absent when the store does
   * not keep it (InfluxDB: a point's time is the record's own start).
   */
  receivedUs?: number;
}

/** An offload record as stored: where it came from, and (SQLite) when it arrived. */
export interface StoredOffloadRecord extends OffloadRecord {
  fleet: string;
  device: string;
  /** When the collector stored it, µs since the Unix epoch; absent in InfluxDB (as for records). */
  receivedUs?: number;
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

/** Ground truth given for one record after its answer (a `feedback` message as stored). */
export interface StoredFeedback {
  fleet: string;
  device: string;
  /** Sequence number of the record the label is for. */
  seq: number;
  label: number;
  /** Whether the record's answer matched the label. */
  correct: boolean;
  /** When the feedback was given, µs since the Unix epoch. */
  atUs: number;
}

/**
 * A message as the collector received it: its payload's bytes and when they arrived. Handed to a
 * store with the message (or records) decoded from exactly this payload: a store may keep the
 * decoded form instead of decoding the bytes again (influx-entries.ts).
 */
export interface ReceivedPayload {
  payload: Uint8Array;
  /** When the collector received it, µs since the Unix epoch. */
  receivedUs: number;
  /** For an inference batch: the checked wire object its records were decoded from (what a buffering store keeps). */
  columns?: InferenceColumns;
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

/** Buffer figures of a store that buffers (the InfluxDB sink runtime), for GET /metrics. */
export interface StoreBufferStats {
  pendingLines: number;
  pendingBytes: number;
  written: number;
  dropped: number;
  retries: number;
}

/** Every store: opened once, closed once. */
export interface Store {
  /** The URL it was opened with, normalised (used in messages). */
  readonly url: string;
  connect(): Promise<void>;
  close(): Promise<void>;
}

/** Capability `writeRecords`: what the collector's ingest needs. */
export interface RecordWriter {
  /** `received`: the message the records were decoded from, for a store that keeps the bytes (InfluxDB's spool). */
  writeBatch(
    fleet: string,
    device: string,
    records: readonly InferenceRecord[],
    received?: ReceivedPayload,
  ): Promise<WriteResult>;
  writeStatus(fleet: string, status: StatusMessage, received?: ReceivedPayload): Promise<void>;
  /** Keeps the label of (fleet, device, seq); a later feedback for the same record replaces it. */
  writeFeedback(fleet: string, feedback: FeedbackMessage, received?: ReceivedPayload): Promise<void>;
  /**
   * The highest seq stored for the device, or null when it has none: the collector's answer to a
   * birth (cmd/seq) must survive a collector restart, so it comes from the store. Asked once per
   * device connection, so it must stay cheap however many records the device has (an index lookup
   * or a bounded query, never a scan).
   */
  highestSeq(fleet: string, device: string): Promise<number | null>;
  /** Offload records (an `offload` batch), de-duplicated on (fleet, device, seq) like records. */
  writeOffload(
    fleet: string,
    device: string,
    records: readonly OffloadRecord[],
    received?: ReceivedPayload,
  ): Promise<WriteResult>;
}

/**
 * Capability `readRecords`: records and device figures back out, filtered (filter.ts). Records
 * come as a stream: a fleet store can hold millions of them, so no read holds them all.
 */
export interface RecordReader {
  /**
   * Ordered by fleet and device, then by seq (SQLite) or start time (InfluxDB: a point's time); the
   * two orders agree unless a device's clock went back.
   */
  readRecords(filter?: RecordFilter): AsyncIterable<StoredRecord>;
  countRecords(filter?: RecordFilter): Promise<number>;
  /** Per fleet, device, model, variant, backend, sensor and provenance. */
  readSummary(filter?: RecordFilter): Promise<DeviceSummary[]>;
  /** The last status of each device (only fleet and device of the filter apply). */
  readDevices(filter?: RecordFilter): Promise<DeviceStatus[]>;
  /**
   * Feedback (labels given after the answer), the last one per record; of the filter only fleet
   * and device apply. labels.ts joins it to the records.
   */
  readFeedback(filter?: RecordFilter): AsyncIterable<StoredFeedback>;
}

/**
 * Capability `readOffload`: offload records back out, with the same RecordFilter as records
 * (fleet, device, model — id, prefix or variant —, time range, experiment, arm). Streamed.
 */
export interface OffloadReader {
  /** Ordered by fleet and device, then by seq (SQLite) or start time (InfluxDB), as readRecords. */
  readOffload(filter?: RecordFilter): AsyncIterable<StoredOffloadRecord>;
  countOffload(filter?: RecordFilter): Promise<number>;
}

/** Capability `writeComparisons`: life-cycle comparison results (compare --record, API record=true). */
export interface ComparisonWriter {
  writeComparison(results: readonly ComparisonResult[]): Promise<void>;
}

/**
 * Data a buffering store accepted (so its message was acknowledged) and its server then refused
 * (InfluxDB: a 400 for these points): handed on whole, to be dead-lettered, never dropped silently.
 */
export interface RefusedData {
  /** Where it was refused, e.g. `influxdb://127.0.0.1:8086/edgewatt`. */
  where: string;
  /** The server's words. */
  reason: string;
  /** The refused data itself (InfluxDB: its line-protocol points, one per line). */
  bytes: Uint8Array;
  lines: number;
}

/** One point of a model deployment, for a store that keeps them for dashboards (InfluxDB). */
export type DeploymentPoint =
  | {
      kind: 'report';
      fleet: string;
      device: string;
      atUs: number;
      seq: number;
      deploymentId: string;
      modelId: string;
      release: number;
      state: string;
      reason?: string | undefined;
      bytes?: number | undefined;
      attempt: number;
    }
  | {
      kind: 'phase';
      atMs: number;
      rolloutId: string;
      fleet: string;
      device: string;
      group: number;
      phase: string;
      phaseCode: number;
      succeeded: boolean;
      failed: boolean;
    }
  | {
      kind: 'gate';
      atMs: number;
      rolloutId: string;
      fleet: string;
      device: string;
      metric: string;
      pre: number;
      post: number;
      change: number;
      low: number;
      high: number;
      margin: number;
      regressed: boolean;
    };

/** Capability `writeDeployments`: deployment reports, rollout phases and gate verdicts as points. */
export interface DeploymentWriter {
  writeDeployments(points: readonly DeploymentPoint[]): Promise<void>;
}

/** Capability `drain`: a store that buffers writes locally and can say when they reached the server. */
export interface Drainable {
  /** Resolves once everything accepted so far is in the server. */
  drained(): Promise<void>;
  readonly bufferStats: StoreBufferStats;
  /** Called with each piece of buffered data the server refused (the collector dead-letters it). */
  onRefused(listener: (refused: RefusedData) => void): void;
}

/** The capabilities a driver may declare, each with the interface that implements it. */
export interface CapabilityApis {
  writeRecords: RecordWriter;
  readRecords: RecordReader;
  readOffload: OffloadReader;
  writeComparisons: ComparisonWriter;
  drain: Drainable;
  writeDeployments: DeploymentWriter;
}
export type Capability = keyof CapabilityApis;

/** In words, for messages: "<url> cannot write comparisons". */
export const CAPABILITY_WORDS: Record<Capability, string> = {
  writeRecords: 'store records',
  readRecords: 'read records back',
  readOffload: 'read offload records back',
  writeComparisons: 'hold comparison results',
  drain: 'drain a local buffer',
  writeDeployments: 'hold deployment and rollout points',
};

/** A store the collector writes into (its URL is not needed there). */
export type RecordStore = Omit<Store, 'url'> & RecordWriter;

export class StoreConfigError extends EdgewattError {
  override readonly name: string = 'StoreConfigError';
}

/**
 * The store refuses this data for what it is (a tag value it cannot hold, say): not an outage,
 * so ingest does not retry it; the message is dead-lettered whole and acknowledged.
 */
export class StoreRefusedError extends EdgewattError {
  override readonly name: string = 'StoreRefusedError';
}

/** A store was asked for something its driver does not declare. */
export class StoreCapabilityError extends StoreConfigError {
  override readonly name = 'StoreCapabilityError';
  constructor(
    readonly url: string,
    readonly capability: Capability,
    message: string,
    hint?: string,
  ) {
    super(message, hint === undefined ? {} : { hint });
  }
}
