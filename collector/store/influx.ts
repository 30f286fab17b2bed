// InfluxDB 1.x store (`influxdb://host:port/db`): accepted messages go into the sink runtime's
// write-ahead spool as the bytes they arrived in (durable before the MQTT message is
// acknowledged; influx-entries.ts), become line-protocol points (influx-lines.ts) when they are
// written, and reach InfluxDB in batches. Redelivered records overwrite the same point, so each
// (device, seq) is stored once. Reads stream InfluxQL results back into records (influx-read.ts);
// opened read-only, it starts no spool and writes nothing.

import { join } from 'node:path';
import { logger } from '../../common/logger.js';
import {
  type FeedbackMessage,
  type InferenceRecord,
  type OffloadRecord,
  PROTOCOL_VERSION,
  type StatusMessage,
} from '../../protocol/index.js';
import type { ComparisonResult } from '../lifecycle/comparison-result.js';
import { InfluxSink, type InfluxTarget } from '../sink/influxdb.js';
import { DEFAULT_RUNTIME, SinkRuntime, type SinkStats } from '../sink/runtime.js';
import { hasV1Spool, readV1Spool, removeV1Spool } from '../sink/spool-v1.js';
import type { RecordFilter } from './filter.js';
import { deploymentLine } from './influx-deploy-lines.js';
import { legacyLinesEntry, linesEntry, messageEntry, renderEntries } from './influx-entries.js';
import { comparisonLine, inferenceLines } from './influx-lines.js';
import { offloadLines } from './influx-offload-lines.js';
import { InfluxOffloadReader } from './influx-offload-read.js';
import { InfluxQuery } from './influx-query.js';
import { InfluxReader, newestSeq } from './influx-read.js';
import { TagGuard } from './influx-tags.js';
import {
  type ComparisonWriter,
  type DeploymentPoint,
  type DeploymentWriter,
  type DeviceStatus,
  type DeviceSummary,
  type Drainable,
  type OffloadReader,
  type ReceivedPayload,
  type RecordReader,
  type RecordWriter,
  type RefusedData,
  type Store,
  StoreConfigError,
  type StoredFeedback,
  type StoredOffloadRecord,
  type StoredRecord,
  type WriteResult,
} from './store.js';

export type { ComparisonResult, FootprintInterval } from '../lifecycle/comparison-result.js';

const log = logger('collector.store.influx');

/** Settings besides the URL; every one is a collector flag (see cli/commands/collector.ts). */
export interface InfluxStoreSettings {
  /** Read only: no spool, no writes; connect() checks that the database exists. */
  readOnly?: boolean;
  username?: string;
  password?: string;
  /** Use https (implied by a CA or client certificate). */
  tls?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  /** Directory of the write-ahead spool; one per collector instance. */
  spoolDir?: string;
  spoolMaxBytes?: number;
  /** fdatasync the spool before acknowledging (default true). */
  fsync?: boolean;
  batchLines?: number;
  flushIntervalMs?: number;
  retryMaxMs?: number;
}

const URL_SHAPE = /^(?<host>[^:/]+):(?<port>\d{1,5})\/(?<db>[A-Za-z0-9_.-]+)\/?$/;

/** Why `rest` (after `influxdb://`) is not an InfluxDB location, or null. */
export function influxUrlProblem(rest: string): string | null {
  const match = URL_SHAPE.exec(rest);
  const port = Number(match?.groups?.port);
  return match?.groups === undefined || port < 1 || port > 65535
    ? 'is not an InfluxDB URL; use influxdb://<host>:<port>/<database>, e.g. influxdb://127.0.0.1:8086/edgewatt'
    : null;
}

export function parseInfluxUrl(rest: string): { host: string; port: number; database: string } {
  const problem = influxUrlProblem(rest);
  const groups = URL_SHAPE.exec(rest)?.groups;
  if (problem !== null || groups === undefined)
    throw new StoreConfigError(`--store influxdb://${rest} ${problem}`);
  return { host: groups.host as string, port: Number(groups.port), database: groups.db as string };
}

export class InfluxStore
  implements Store, RecordWriter, RecordReader, OffloadReader, ComparisonWriter, Drainable, DeploymentWriter
{
  readonly runtime: SinkRuntime;
  readonly url: string;
  private readonly spoolDir: string;
  private readonly readOnly: boolean;
  private readonly reader: InfluxReader;
  private readonly offloadReader: InfluxOffloadReader;
  private readonly query: InfluxQuery;
  private readonly sink: InfluxSink;
  /** Bounds tag values from device text before a message is spooled (influx-tags.ts). */
  readonly tags = new TagGuard();

  constructor(rest: string, settings: InfluxStoreSettings = {}) {
    const { host, port, database } = parseInfluxUrl(rest);
    this.url = `influxdb://${host}:${port}/${database}`;
    this.readOnly = settings.readOnly === true;
    const https = settings.tls === true || settings.ca !== undefined || settings.cert !== undefined;
    this.spoolDir = settings.spoolDir ?? join('.edgewatt', 'spool', `influxdb-${host}-${port}-${database}`);
    const target: InfluxTarget = {
      host,
      port,
      database,
      https,
      username: settings.username,
      password: settings.password,
      ca: settings.ca,
      cert: settings.cert,
      key: settings.key,
    };
    this.query = new InfluxQuery(target);
    this.reader = new InfluxReader(this.query);
    this.offloadReader = new InfluxOffloadReader(this.query);
    const sink = new InfluxSink(target, renderEntries);
    this.sink = sink;
    this.runtime = new SinkRuntime(sink, {
      spool: {
        dir: this.spoolDir,
        maxBytes: settings.spoolMaxBytes ?? DEFAULT_RUNTIME.spoolMaxBytes,
        segmentBytes: DEFAULT_RUNTIME.segmentBytes,
        fsync: settings.fsync ?? true,
      },
      batchLines: settings.batchLines ?? DEFAULT_RUNTIME.batchLines,
      flushIntervalMs: settings.flushIntervalMs ?? DEFAULT_RUNTIME.flushIntervalMs,
      retryInitialMs: DEFAULT_RUNTIME.retryInitialMs,
      retryMaxMs: settings.retryMaxMs ?? DEFAULT_RUNTIME.retryMaxMs,
      writeConcurrency: DEFAULT_RUNTIME.writeConcurrency,
    });
  }

  async connect(): Promise<void> {
    if (this.readOnly) return this.query.checkDatabase();
    await this.runtime.start();
    await this.importV1Spool();
  }

  /**
   * A spool left by a version that spooled line protocol: its pending lines are appended to the
   * new spool (durable), then its files are deleted. Like any append this waits while the spool
   * is full, so a large old spool with InfluxDB down holds the start until room is made.
   */
  private async importV1Spool(): Promise<void> {
    if (!hasV1Spool(this.spoolDir)) return;
    let lines = 0;
    for (const stretch of readV1Spool(this.spoolDir)) {
      await this.runtime.append([legacyLinesEntry(stretch.text, stretch.lines)]);
      lines += stretch.lines;
    }
    removeV1Spool(this.spoolDir);
    log.info(
      { dir: this.spoolDir, lines },
      'spool of the previous format (line protocol) taken over; its points are written first',
    );
  }

  /**
   * Resolves once the records are in the local spool: the message's payload as received when
   * `received` is given (ingest), else a compact CBOR encoding of the records. InfluxDB cannot
   * tell a new point from an overwritten one, so `duplicates` is always 0 here: a redelivery
   * overwrites its own point.
   */
  async writeBatch(
    fleet: string,
    device: string,
    records: readonly InferenceRecord[],
    received?: ReceivedPayload,
  ): Promise<WriteResult> {
    if (records.length === 0) return { inserted: 0, duplicates: 0 };
    // Throws (not retried: ingest dead-letters the message whole) for a tag value it cannot hold.
    this.tags.checkRecords(fleet, device, records);
    // A batch message holds consecutive seqs; other record sets handed over directly keep their lines.
    const entry =
      received !== undefined || consecutive(records)
        ? messageEntry(
            fleet,
            device,
            // Read only (counted, or encoded when there is no payload): no copy on the ingest path.
            { v: PROTOCOL_VERSION, type: 'inference', device, records: records as InferenceRecord[] },
            received,
          )
        : linesEntry(inferenceLines(fleet, device, records));
    // Counted before the wait, so that the records are not kept alive through the spool's fsync.
    const inserted = records.length;
    await this.runtime.append([entry]);
    return { inserted, duplicates: 0 };
  }

  /** Offload records (measurement `offload`), spooled like records: the payload as received. */
  async writeOffload(
    fleet: string,
    device: string,
    records: readonly OffloadRecord[],
    received?: ReceivedPayload,
  ): Promise<WriteResult> {
    if (records.length === 0) return { inserted: 0, duplicates: 0 };
    this.tags.checkOffload(fleet, device, records);
    const entry =
      received !== undefined || consecutive(records)
        ? messageEntry(
            fleet,
            device,
            { v: PROTOCOL_VERSION, type: 'offload', device, records: records as OffloadRecord[] },
            received,
          )
        : linesEntry(offloadLines(fleet, device, records));
    const inserted = records.length;
    await this.runtime.append([entry]);
    return { inserted, duplicates: 0 };
  }

  async writeStatus(fleet: string, status: StatusMessage, received?: ReceivedPayload): Promise<void> {
    this.tags.checkStatus(fleet, status);
    await this.runtime.append([messageEntry(fleet, status.device, status, received)]);
  }

  async writeFeedback(fleet: string, feedback: FeedbackMessage, received?: ReceivedPayload): Promise<void> {
    await this.runtime.append([messageEntry(fleet, feedback.device, feedback, received)]);
  }

  /**
   * From InfluxDB (a bounded query, influx-read.ts): records still in the local spool are not
   * counted, so the collector takes the higher of this and what its ingest stored since it started.
   */
  highestSeq(fleet: string, device: string): Promise<number | null> {
    return newestSeq(this.query, fleet, device);
  }

  /** Writes life-cycle comparison results (measurement `comparison`, see influx-lines.ts). */
  async writeComparison(results: readonly ComparisonResult[]): Promise<void> {
    if (results.length === 0) return;
    await this.runtime.append([linesEntry(results.map(comparisonLine))]);
  }

  async writeDeployments(points: readonly DeploymentPoint[]): Promise<void> {
    if (points.length === 0) return;
    await this.runtime.append([linesEntry(points.map(deploymentLine))]);
  }

  get sinkStats(): SinkStats {
    return this.runtime.stats;
  }

  get bufferStats(): SinkStats {
    return this.runtime.stats;
  }

  /** Points InfluxDB refused (400) and entries that could not become points, with the data itself. */
  onRefused(listener: (refused: RefusedData) => void): void {
    this.sink.onRefused((refused) => listener({ where: this.url, ...refused }));
  }

  /** Resolves once everything accepted so far is in InfluxDB. */
  drained(): Promise<void> {
    return this.runtime.drained();
  }

  close(): Promise<void> {
    return this.readOnly ? Promise.resolve() : this.runtime.close();
  }

  readRecords(filter: RecordFilter = {}): AsyncIterable<StoredRecord> {
    return this.reader.readRecords(filter);
  }

  countRecords(filter: RecordFilter = {}): Promise<number> {
    return this.reader.countRecords(filter);
  }

  readSummary(filter: RecordFilter = {}): Promise<DeviceSummary[]> {
    return this.reader.readSummary(filter);
  }

  readDevices(filter: RecordFilter = {}): Promise<DeviceStatus[]> {
    return this.reader.readDevices(filter);
  }

  readFeedback(filter: RecordFilter = {}): AsyncIterable<StoredFeedback> {
    return this.reader.readFeedback(filter);
  }

  readOffload(filter: RecordFilter = {}): AsyncIterable<StoredOffloadRecord> {
    return this.offloadReader.readOffload(filter);
  }

  countOffload(filter: RecordFilter = {}): Promise<number> {
    return this.offloadReader.countOffload(filter);
  }
}

function consecutive(records: readonly { seq: number }[]): boolean {
  const first = records[0]?.seq ?? 0;
  return records.every((r, i) => r.seq === first + i);
}
