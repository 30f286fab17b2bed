// InfluxDB 1.x sink: turns a batch of spooled entries into line protocol (with the store's
// renderer: the store decides what its entries hold), writes it over HTTP
// keep-alive connections (POST /write, nanosecond precision; influx-write.ts) and says what is retryable: 5xx, network errors and timeouts,
// a missing database (created, then retried) and auth failures (a typo must not throw data
// away). A 400 (a partial write: a field type conflict, a tag over InfluxDB's value limit, a
// point it cannot parse) is split in halves until only the refused points are left: the rest is
// written (writes are idempotent), the refused points are counted and handed on whole (onRefused).

import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { InfluxDB } from 'influx';
import { RequestError } from 'influx/lib/src/pool.js';
import { logger } from '../../common/logger.js';
import { InfluxWriteRequests } from './influx-write.js';
import type { FailureAction, RefusedLines, Sink, SinkBatch, SinkWriteResult } from './sink.js';
import type { SpoolEntry } from './spool-frames.js';

const log = logger('collector.sink.influxdb');

/** Line protocol of a batch of entries, and the entries that could not become lines (bad data). */
export interface RenderedLines {
  body: Buffer;
  lines: number;
  refused: readonly { lines: number; reason: string; bytes: Uint8Array }[];
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
  private readonly writes: InfluxWriteRequests;
  private readonly admin: InfluxDB;
  private readonly auth: string | undefined;
  private databaseReady = false;
  private refusedEntries = 0;
  private refusedPoints = 0;
  private readonly refusedListeners: ((refused: RefusedLines) => void)[] = [];

  constructor(
    private readonly target: InfluxTarget,
    private readonly render: LineRenderer,
  ) {
    const tls: RequestOptions = {};
    if (target.ca !== undefined) tls.ca = readFileSync(target.ca);
    if (target.cert !== undefined) tls.cert = readFileSync(target.cert);
    if (target.key !== undefined) tls.key = readFileSync(target.key);
    const protocol = target.https ? 'https' : 'http';
    this.auth = target.username !== undefined ? `${target.username}:${target.password ?? ''}` : undefined;
    // No retry there: the runtime owns retry and back-off, with the data safe in its spool.
    this.writes = new InfluxWriteRequests({
      host: target.host,
      port: target.port,
      database: target.database,
      https: target.https,
      tls,
      ...(this.auth === undefined ? {} : { auth: this.auth }),
      timeoutMs: target.requestTimeoutMs ?? 30_000,
    });
    this.admin = new InfluxDB({
      host: target.host,
      port: target.port,
      protocol,
      database: target.database,
      username: target.username,
      password: target.password,
      options: tls,
    });
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

  /** Each piece of refused data, once its batch is settled (written except for it). */
  onRefused(listener: (refused: RefusedLines) => void): void {
    this.refusedListeners.push(listener);
  }

  private report(refused: RefusedLines): void {
    for (const listener of this.refusedListeners) listener(refused);
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
          'spooled entry could not be turned into line protocol; dropped, counted and dead-lettered',
        );
    }
    if (rendered.lines === 0) {
      for (const refused of rendered.refused) this.report(refused);
      return { written: 0, dropped };
    }
    try {
      await this.post(rendered.body);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      // Split until only the refused points are left; a retryable failure on the way throws, and
      // the runtime writes the whole batch again later (nothing was reported yet).
      const refused: { line: Buffer; reason: string }[] = [];
      const written = await this.bisect(splitLines(rendered.body), refusalReason(error), refused);
      for (const r of rendered.refused) this.report(r);
      this.reportPoints(refused);
      return { written, dropped: dropped + refused.length };
    }
    for (const r of rendered.refused) this.report(r);
    return { written: rendered.lines, dropped };
  }

  /** Writes `lines` (known to hold a refused point) in halves; returns the points written. */
  private async bisect(
    lines: readonly Buffer[],
    reason: string,
    refused: { line: Buffer; reason: string }[],
  ): Promise<number> {
    if (lines.length === 1) {
      refused.push({ line: lines[0] as Buffer, reason });
      return 0;
    }
    const middle = lines.length >> 1;
    let written = 0;
    for (const half of [lines.slice(0, middle), lines.slice(middle)]) {
      try {
        await this.post(Buffer.concat(half));
        written += half.length;
      } catch (error) {
        if (!isRefusal(error)) throw error;
        written += await this.bisect(half, refusalReason(error), refused);
      }
    }
    return written;
  }

  /** Refused points, grouped by InfluxDB's reason, each group one piece of refused data. */
  private reportPoints(refused: readonly { line: Buffer; reason: string }[]): void {
    const byReason = new Map<string, Buffer[]>();
    for (const { line, reason } of refused) byReason.set(reason, [...(byReason.get(reason) ?? []), line]);
    for (const [reason, lines] of byReason) {
      this.refusedPoints += lines.length;
      log.error(
        { lines: lines.length, reason, first: lines[0]?.toString('utf8', 0, 200), count: this.refusedPoints },
        'InfluxDB refused points (HTTP 400); the rest of the batch is written, these are dead-lettered',
      );
      this.report({ reason, bytes: Buffer.concat(lines), lines: lines.length });
    }
  }

  private async post(body: Buffer): Promise<void> {
    try {
      await this.writes.write(body);
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

  async close(): Promise<void> {
    this.writes.close();
  }
}

/** A 400/422: InfluxDB refused some points of the body (it wrote the others: a partial write). */
function isRefusal(error: unknown): error is RequestError {
  const status = error instanceof RequestError ? error.res.statusCode : undefined;
  return status === 400 || status === 422;
}

/** InfluxDB's words from a refusal: `{"error":"partial write: field type conflict: ..."}`. */
function refusalReason(error: RequestError): string {
  const body = error.message.replace(/^A \d+ [^:]*error occurred: /, '');
  try {
    return String((JSON.parse(body) as { error?: unknown }).error ?? body).trim();
  } catch {
    return body.trim();
  }
}

/** The points of a line-protocol body, each with its newline. */
function splitLines(body: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let at = body.indexOf(10); at >= 0; at = body.indexOf(10, start)) {
    lines.push(body.subarray(start, at + 1));
    start = at + 1;
  }
  if (start < body.length) lines.push(Buffer.concat([body.subarray(start), Buffer.from('\n')]));
  return lines;
}
