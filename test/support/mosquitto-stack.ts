// A real Mosquitto with collectors that store what it delivers: a SQLite file always, and with
// `influx: true` also a real influxd (database `edgewatt`, local spool in the test's dir) behind a
// second collector. The set-up that integration tests of whole pipelines share (bridge, experiments).
// The embedded-broker equivalent is startStack() in stack.ts.

import { join } from 'node:path';
import { Collector } from '../../collector/collector.js';
import { InfluxStore } from '../../collector/store/influx.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { type Influxd, startInfluxd } from './influxd.js';
import { type Mosquitto, startMosquitto } from './mosquitto.js';

export interface MosquittoStackOptions {
  /** File name of the SQLite store inside `dir` (default records.sqlite). */
  sqliteFile?: string;
  /** Start influxd and a second collector writing to it. */
  influx?: boolean;
}

export interface MosquittoStack {
  mosquitto: Mosquitto;
  sqlite: SqliteStore;
  /** The SQLite store's collector first, then InfluxDB's (client ids collector-sqlite, collector-influx). */
  collectors: Collector[];
  /** Stops the collectors, then the servers (their temp dirs removed); `dir` is the caller's. */
  stop(): Promise<void>;
}

export interface MosquittoInfluxStack extends MosquittoStack {
  influxd: Influxd;
  influx: InfluxStore;
}

export function startMosquittoStack(
  dir: string,
  options: MosquittoStackOptions & { influx: true },
): Promise<MosquittoInfluxStack>;
export function startMosquittoStack(dir: string, options?: MosquittoStackOptions): Promise<MosquittoStack>;
export async function startMosquittoStack(
  dir: string,
  options: MosquittoStackOptions = {},
): Promise<MosquittoStack | MosquittoInfluxStack> {
  const [mosquitto, influxd] = await Promise.all([
    startMosquitto(),
    options.influx === true ? startInfluxd() : undefined,
  ]);
  const sqlite = new SqliteStore(join(dir, options.sqliteFile ?? 'records.sqlite'));
  const influx =
    influxd === undefined
      ? undefined
      : new InfluxStore(`127.0.0.1:${influxd.port}/edgewatt`, {
          spoolDir: join(dir, 'influx-spool'),
          flushIntervalMs: 50,
        });
  const collectors: Collector[] = [];
  const stop = async () => {
    for (const collector of collectors) await collector.stop();
    await Promise.all([mosquitto.remove(), influxd?.remove()]);
  };
  try {
    for (const [store, clientId] of [
      [sqlite, 'collector-sqlite'],
      ...(influx === undefined ? [] : [[influx, 'collector-influx'] as const]),
    ] as const) {
      const collector = new Collector(store, { broker: mosquitto.url, clientId });
      await collector.start();
      collectors.push(collector);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const stack = { mosquitto, sqlite, collectors, stop };
  return influxd === undefined || influx === undefined ? stack : { ...stack, influxd, influx };
}
