// Writes life-cycle comparison results to a store that can hold them (InfluxDB measurement or
// SQLite table `comparison`), for `edgewatt compare --record <url>` and the HTTP API's `?record=true`. Stores
// that cannot hold them are refused up front, before any Monte Carlo run.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EdgewattError } from '../../common/errors.js';
import { createStore, type QueryableStore, StoreConfigError } from '../store/index.js';
import type { ComparisonResult } from './comparison-result.js';

export interface ComparisonWriter {
  writeComparison(results: readonly ComparisonResult[]): Promise<void>;
}

export const canWriteComparisons = <T extends object>(store: T): store is T & ComparisonWriter =>
  typeof (store as Partial<ComparisonWriter>).writeComparison === 'function';

/** Schemes whose stores implement writeComparison (checked without opening the store). */
export const COMPARISON_SCHEMES = ['influxdb', 'sqlite'] as const;

export class RecordError extends EdgewattError {
  override readonly name = 'RecordError';
}

/** Refuses a URL whose store cannot hold comparisons; `flag` names the option in the message. */
export function checkRecordUrl(url: string, flag: string): void {
  const scheme = url.slice(0, Math.max(0, url.indexOf(':')));
  if (!(COMPARISON_SCHEMES as readonly string[]).includes(scheme)) {
    throw new StoreConfigError(
      `${flag} ${JSON.stringify(url)}: this store cannot hold comparison results; give one of ${COMPARISON_SCHEMES.map((s) => `${s}:`).join(', ')}, e.g. ${flag} influxdb://127.0.0.1:8086/edgewatt`,
    );
  }
}

export interface RecordOptions {
  /** How long to wait for the results to reach the store before failing. */
  timeoutMs?: number;
  flag?: string;
}

/**
 * Opens the store, writes, waits until the results are in the store itself (for InfluxDB: not just
 * in the local spool) and closes it. The InfluxDB spool is a fresh temp folder, so two runs never
 * share one; when InfluxDB does not take the results within the timeout, the error names that folder.
 */
export async function recordComparisons(
  url: string,
  results: readonly ComparisonResult[],
  options: RecordOptions = {},
): Promise<void> {
  const flag = options.flag ?? '--record';
  checkRecordUrl(url, flag);
  // InfluxDB writes go through a write-ahead spool: a fresh one per run, never a collector's.
  const spoolDir = url.startsWith('influxdb:') ? mkdtempSync(join(tmpdir(), 'edgewatt-record-')) : undefined;
  const store: QueryableStore = createStore(url, {
    influx: { spoolDir, flushIntervalMs: 50, retryMaxMs: 1000 },
  });
  if (!canWriteComparisons(store)) {
    throw new StoreConfigError(`${flag} ${JSON.stringify(url)}: this store cannot hold comparison results`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  let written = false;
  await store.connect();
  try {
    await store.writeComparison(results);
    const drained = (store as Partial<{ drained(): Promise<void> }>).drained?.() ?? Promise.resolve();
    const outcome = await Promise.race([
      drained.then(() => 'written' as const),
      sleep(timeoutMs, 'timeout' as const, { ref: false }),
    ]);
    if (outcome === 'timeout') {
      throw new RecordError(
        `${flag} ${url}: the comparison did not reach the store within ${timeoutMs / 1000} s (is it running and reachable?); it is kept in ${spoolDir}`,
      );
    }
    written = true;
  } finally {
    await store.close();
    if (written && spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true });
  }
}
