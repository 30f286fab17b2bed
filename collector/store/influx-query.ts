// InfluxQL over HTTP for the InfluxDB store's reads: GET /query with chunked=true, so the server
// streams a large result as newline-separated JSON chunks and this side parses one chunk at a time
// (a fleet database can hold millions of points). Times come as µs (epoch=u): a point's ns time
// would not fit a JSON number exactly, and its µs are the record's start (influx-lines.ts).

import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { StoreUnreachableError } from '../../common/errors.js';
import type { InfluxTarget } from '../sink/influxdb.js';
import { StoreConfigError } from './store.js';

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

interface Chunk {
  error?: string;
  results?: { error?: string; series?: InfluxSeries[] }[];
}

/** A query InfluxDB refused or could not answer (the store is down, the database missing...). */
export class InfluxQueryError extends StoreConfigError {
  override readonly name = 'InfluxQueryError';
}

/** `'it''s'` is not InfluxQL: quotes and backslashes are escaped with a backslash. */
export const quoteString = (value: string): string => `'${value.replace(/[\\']/g, '\\$&')}'`;
export const quoteIdent = (name: string): string => `"${name.replace(/[\\"]/g, '\\$&')}"`;
/** A regex literal matching `prefix` at the start. */
export const prefixRegex = (prefix: string): string => `/^${prefix.replace(/[\\/^$.*+?()[\]{}|]/g, '\\$&')}/`;

export class InfluxQuery {
  private readonly tls: RequestOptions = {};

  constructor(
    private readonly target: InfluxTarget,
    /** Points per streamed chunk. */
    private readonly chunkSize = 10_000,
  ) {
    if (target.ca !== undefined) this.tls.ca = readFileSync(target.ca);
    if (target.cert !== undefined) this.tls.cert = readFileSync(target.cert);
    if (target.key !== undefined) this.tls.key = readFileSync(target.key);
  }

  get where(): string {
    const { https, host, port, database } = this.target;
    return `influxdb://${host}:${port}/${database}${https ? ' (https)' : ''}`;
  }

  private open(q: string, chunked: boolean): Promise<IncomingMessage> {
    const params = new URLSearchParams({ db: this.target.database, q, epoch: 'u' });
    if (chunked) {
      params.set('chunked', 'true');
      params.set('chunk_size', String(this.chunkSize));
    }
    const { username, password } = this.target;
    const options: RequestOptions = {
      ...this.tls,
      host: this.target.host,
      port: this.target.port,
      method: 'GET',
      path: `/query?${params}`,
      ...(username === undefined ? {} : { auth: `${username}:${password ?? ''}` }),
    };
    const request = this.target.https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(options, resolve);
      req.on('error', (error) =>
        reject(
          new StoreUnreachableError(`cannot reach the store at ${this.where}: ${error.message}`, {
            cause: error,
            hint: 'is InfluxDB running and listening there? check the host and port of --store',
          }),
        ),
      );
      req.end();
    });
  }

  private check(chunk: Chunk, q: string, status: number): InfluxSeries[] {
    const error = chunk.error ?? chunk.results?.find((r) => r.error !== undefined)?.error;
    if (error !== undefined || status >= 300) {
      const hint =
        status === 401 || status === 403
          ? '; check --influx-username/--influx-password'
          : /database not found/.test(error ?? '')
            ? '; check the database name in the store URL'
            : '';
      throw new InfluxQueryError(`${this.where}: ${q} failed: ${error ?? `HTTP ${status}`}${hint}`);
    }
    return chunk.results?.flatMap((r) => r.series ?? []) ?? [];
  }

  /** A chunk; a body that is not InfluxDB's JSON (a proxy's error page) is an error with its status. */
  private parse(text: string, q: string, status: number): Chunk {
    try {
      return JSON.parse(text) as Chunk;
    } catch {
      throw new InfluxQueryError(
        `${this.where}: ${q} failed: HTTP ${status}, not an InfluxDB answer (${JSON.stringify(text.slice(0, 80))})`,
      );
    }
  }

  /** Streams the series chunks of one statement (a series may continue over several chunks). */
  async *stream(q: string): AsyncIterable<InfluxSeries> {
    const res = await this.open(q, true);
    const status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    let pending = '';
    try {
      for await (const text of res as AsyncIterable<string>) {
        pending += text;
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (line.trim() !== '') yield* this.check(this.parse(line, q, status), q, status);
          newline = pending.indexOf('\n');
        }
      }
      if (pending.trim() !== '') yield* this.check(this.parse(pending, q, status), q, status);
    } finally {
      // Stopped early (export | head): end the response instead of reading it to the end.
      res.destroy();
    }
  }

  /** A small result in full (aggregates, one row per device). */
  async all(q: string): Promise<InfluxSeries[]> {
    const series: InfluxSeries[] = [];
    for await (const s of this.stream(q)) series.push(s);
    return series;
  }

  /** Throws an InfluxQueryError unless the database exists and answers. */
  async checkDatabase(): Promise<void> {
    const series = await this.all('SHOW DATABASES');
    const names = series.flatMap((s) => s.values.map((v) => v[0]));
    if (!names.includes(this.target.database)) {
      throw new InfluxQueryError(
        `${this.where}: no database ${JSON.stringify(this.target.database)} there (it has ${names.map((n) => JSON.stringify(n)).join(', ') || 'none'}); check the store URL`,
      );
    }
  }
}

/** Rows of a series as objects keyed by column, its tags included. */
export function rowsOf(series: InfluxSeries): Record<string, unknown>[] {
  return series.values.map((values) => {
    const row: Record<string, unknown> = { ...series.tags };
    series.columns.forEach((column, i) => {
      row[column] = values[i];
    });
    return row;
  });
}
