// Writes life-cycle comparison results to a store that can hold them (InfluxDB measurement or
// SQLite table `comparison`), for `edgewatt compare --record <url>` and the HTTP API's `?record=true`. Stores
// that cannot hold them are refused up front, before any Monte Carlo run.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EdgewattError } from '../../common/errors.js';
import {
  capability,
  checkStoreUrlCan,
  createStore,
  optionalCapability,
  parseStoreUrl,
} from '../store/index.js';
import type { ComparisonResult } from './comparison-result.js';

export class RecordError extends EdgewattError {
  override readonly name = 'RecordError';
}

/** Refuses a URL whose store cannot hold comparisons; `flag` names the option in the message. */
export function checkRecordUrl(url: string, flag: string): void {
  checkStoreUrlCan(url, 'writeComparisons', flag);
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
  // A store that buffers (InfluxDB's write-ahead spool) gets a fresh spool per run, never a collector's.
  const buffers = parseStoreUrl(url).driver.capabilities.includes('drain');
  const spoolDir = buffers ? mkdtempSync(join(tmpdir(), 'edgewatt-record-')) : undefined;
  const opened = createStore(url, { influxdb: { spoolDir, flushIntervalMs: 50, retryMaxMs: 1000 } });
  const store = capability(opened, 'writeComparisons', flag);
  const buffer = optionalCapability(opened, 'drain');
  const timeoutMs = options.timeoutMs ?? 10_000;
  let written = false;
  await store.connect();
  try {
    await store.writeComparison(results);
    const drained = buffer?.drained() ?? Promise.resolve();
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
