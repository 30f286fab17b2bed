// InfluxDB 1.x sink: turns a batch of spooled entries into line protocol (with the store's
// renderer: the store decides what its entries hold), writes it with the `influx` client's HTTP
// pool (POST /write, nanosecond precision) and says what is retryable: 5xx, network errors and timeouts,
// a missing database (created, then retried) and auth failures (a typo must not throw data
// away); 400/422 (bad points) are dropped and counted by the runtime.

import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { InfluxDB } from 'influx';
import { Pool, RequestError } from 'influx/lib/src/pool.js';
import { logger } from '../../common/logger.js';
import type { FailureAction, Sink, SinkBatch, SinkWriteResult } from './sink.js';
import type { SpoolEntry } from './spool-frames.js';

const log = logger('collector.sink.influxdb');

/** Line protocol of a batch of entries, and the entries that could not become lines (bad data). */
export interface RenderedLines {
  body: Buffer;
  lines: number;
  refused: readonly { lines: number; reason: string }[];
}

export type LineRenderer = (entries: readonly SpoolEntry[]) => RenderedLines;

export interface InfluxTarget {
  host: string;
  port: number;
  database: string;
  https: boolean;
  username?: string;
  password?: string;
  /** Paths of PEM files: CA to trust, client certificate and key. */
  ca?: string;
  cert?: string;
  key?: string;
  requestTimeoutMs?: number;
}

export class InfluxSink implements Sink {
  readonly name = 'influxdb';
  private readonly pool: Pool;
  private readonly admin: InfluxDB;
  private readonly auth: string | undefined;
  private databaseReady = false;
  private refusedEntries = 0;

  constructor(
    private readonly target: InfluxTarget,
    private readonly render: LineRenderer,
  ) {
    const tls: RequestOptions = {};
    if (target.ca !== undefined) tls.ca = readFileSync(target.ca);
    if (target.cert !== undefined) tls.cert = readFileSync(target.cert);
    if (target.key !== undefined) tls.key = readFileSync(target.key);
    const protocol = target.https ? 'https' : 'http';
    // maxRetries 0: the runtime owns retry and back-off, with the data safe in its spool.
    this.pool = new Pool({ maxRetries: 0, requestTimeout: target.requestTimeoutMs ?? 30_000 });
    this.pool.addHost(`${protocol}://${target.host}:${target.port}`, tls);
    this.admin = new InfluxDB({
      host: target.host,
      port: target.port,
      protocol,
      database: target.database,
      username: target.username,
      password: target.password,
      options: tls,
    });
    this.auth = target.username !== undefined ? `${target.username}:${target.password ?? ''}` : undefined;
  }

  get url(): string {
    return `${this.target.https ? 'https' : 'http'}://${this.target.host}:${this.target.port}/${this.target.database}`;
  }

  async connect(): Promise<void> {
    try {
      await this.ensureDatabase();
    } catch (error) {
      log.warn(
        { url: this.url, err: (error as Error).message },
        'InfluxDB not reachable at start; records are spooled and written once it is',
      );
    }
  }

  private async ensureDatabase(): Promise<void> {
    // CREATE DATABASE is idempotent in InfluxDB 1.x.
    await this.admin.createDatabase(this.target.database);
    this.databaseReady = true;
  }

  async write(batch: SinkBatch): Promise<SinkWriteResult> {
    if (!this.databaseReady) await this.ensureDatabase();
    const rendered = this.render(batch.entries);
    let dropped = 0;
    for (const refused of rendered.refused) {
      dropped += refused.lines;
      this.refusedEntries++;
      // Loud for the first few, then sparse: one bad entry must not flood the log on every batch.
      if (this.refusedEntries <= 10 || this.refusedEntries % 1000 === 0)
        log.error(
          { lines: refused.lines, reason: refused.reason, count: this.refusedEntries },
          'spooled entry could not be turned into line protocol; dropped and counted',
        );
    }
    if (rendered.lines === 0) return { written: 0, dropped };
    try {
      await this.pool.discard({
        method: 'POST',
        path: '/write',
        query: { db: this.target.database, precision: 'n' },
        // pool.d.ts types the body as a string, but pool.js only passes it to Buffer.from() (for
        // content-length: a copy, no encoding) and req.write(), which both take a Buffer.
        body: rendered.body as unknown as string,
        auth: this.auth,
      });
    } catch (error) {
      if (error instanceof RequestError && error.res.statusCode === 404) this.databaseReady = false;
      throw error;
    }
    return { written: rendered.lines, dropped };
  }

  classify(error: unknown): FailureAction {
    if (error instanceof RequestError) {
      const status = error.res.statusCode ?? 0;
      if (status === 400 || status === 422) return 'drop';
      if (status === 401 || status === 403) {
        log.error(
          { url: this.url, status },
          'InfluxDB refused the credentials; fix --influx-username/--influx-password. Records stay in the spool',
        );
      }
    }
    return 'retry';
  }

  async close(): Promise<void> {}
}
