// InfluxDB 1.x store (`influxdb://host:port/db`): records, device status and life-cycle
// comparisons become line-protocol points (influx-lines.ts), go through the sink runtime's
// write-ahead spool (durable before the MQTT message is acknowledged) and reach InfluxDB in
// batches. Redelivered records overwrite the same point, so each (device, seq) is stored once.

import { join } from 'node:path';
import type { InferenceRecord, StatusMessage } from '../../protocol/index.js';
import type { ComparisonResult } from '../lifecycle/comparison-result.js';
import { InfluxSink } from '../sink/influxdb.js';
import { DEFAULT_RUNTIME, SinkRuntime, type SinkStats } from '../sink/runtime.js';
import { comparisonLine, inferenceLines, statusLine } from './influx-lines.js';
import {
  type DeviceStatus,
  type DeviceSummary,
  type QueryableStore,
  StoreConfigError,
  type StoredRecord,
  type WriteResult,
} from './store.js';

export type { ComparisonResult, FootprintInterval } from '../lifecycle/comparison-result.js';

/** Settings besides the URL; every one is a collector flag (see cli/commands/collector.ts). */
export interface InfluxStoreSettings {
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

export function parseInfluxUrl(rest: string): { host: string; port: number; database: string } {
  const match = URL_SHAPE.exec(rest);
  const port = Number(match?.groups?.port);
  if (match?.groups === undefined || port < 1 || port > 65535) {
    throw new StoreConfigError(
      `--store influxdb://${rest} is not an InfluxDB URL; use influxdb://<host>:<port>/<database>, e.g. influxdb://127.0.0.1:8086/edgewatt`,
    );
  }
  return { host: match.groups.host as string, port, database: match.groups.db as string };
}

export class InfluxStore implements QueryableStore {
  readonly runtime: SinkRuntime;
  readonly url: string;

  constructor(rest: string, settings: InfluxStoreSettings = {}) {
    const { host, port, database } = parseInfluxUrl(rest);
    this.url = `influxdb://${host}:${port}/${database}`;
    const https = settings.tls === true || settings.ca !== undefined || settings.cert !== undefined;
    const sink = new InfluxSink({
      host,
      port,
      database,
      https,
      username: settings.username,
      password: settings.password,
      ca: settings.ca,
      cert: settings.cert,
      key: settings.key,
    });
    this.runtime = new SinkRuntime(sink, {
      spool: {
        dir: settings.spoolDir ?? join('.edgewatt', 'spool', `influxdb-${host}-${port}-${database}`),
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

  connect(): Promise<void> {
    return this.runtime.start();
  }

  /**
   * Resolves once the records are in the local spool. InfluxDB cannot tell a new point from an
   * overwritten one, so `duplicates` is always 0 here: a redelivery overwrites its own point.
   */
  async writeBatch(fleet: string, device: string, records: readonly InferenceRecord[]): Promise<WriteResult> {
    await this.runtime.append(inferenceLines(fleet, device, records));
    return { inserted: records.length, duplicates: 0 };
  }

  async writeStatus(fleet: string, status: StatusMessage): Promise<void> {
    await this.runtime.append([statusLine(fleet, status)]);
  }

  /** Writes life-cycle comparison results (measurement `comparison`, see influx-lines.ts). */
  async writeComparison(results: readonly ComparisonResult[]): Promise<void> {
    await this.runtime.append(results.map(comparisonLine));
  }

  get sinkStats(): SinkStats {
    return this.runtime.stats;
  }

  /** Resolves once everything accepted so far is in InfluxDB. */
  drained(): Promise<void> {
    return this.runtime.drained();
  }

  close(): Promise<void> {
    return this.runtime.close();
  }

  private notReadable(): never {
    throw new StoreConfigError(
      `${this.url} cannot be read back by edgewatt; query it with InfluxQL (influx -database ...) or Grafana, see docs/deployment.md`,
    );
  }

  summary(): DeviceSummary[] {
    return this.notReadable();
  }

  devices(): DeviceStatus[] {
    return this.notReadable();
  }

  records(): Iterable<StoredRecord> {
    return this.notReadable();
  }

  count(): number {
    return this.notReadable();
  }
}
