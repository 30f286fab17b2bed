// InfluxDB 1.x sink: writes line-protocol entries with the `influx` client's HTTP pool (POST
// /write, nanosecond precision) and says what is retryable: 5xx, network errors and timeouts,
// a missing database (created, then retried) and auth failures (a typo must not throw data
// away); 400/422 (bad points) are dropped and counted by the runtime.

import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { InfluxDB } from 'influx';
import { Pool, RequestError } from 'influx/lib/src/pool.js';
import { logger } from '../../common/logger.js';
import type { FailureAction, Sink, SinkBatch } from './sink.js';

const log = logger('collector.sink.influxdb');

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

  constructor(private readonly target: InfluxTarget) {
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

  async write(batch: SinkBatch): Promise<void> {
    if (!this.databaseReady) await this.ensureDatabase();
    try {
      await this.pool.discard({
        method: 'POST',
        path: '/write',
        query: { db: this.target.database, precision: 'n' },
        // The spool's bytes as they are. pool.d.ts types the body as a string, but pool.js only
        // passes it to Buffer.from() (for content-length: a copy, no encoding) and req.write(),
        // which both take a Buffer.
        body: batch.body as unknown as string,
        auth: this.auth,
      });
    } catch (error) {
      if (error instanceof RequestError && error.res.statusCode === 404) this.databaseReady = false;
      throw error;
    }
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
