// Offloaded inferences in an analysis: where they are read from, the tally per arm of those that
// failed or fell back to the edge, and the pairing of a fallback with its edge record.

import type { RecordFilter, StoredRecord } from '../store/index.js';
import {
  type ExperimentAggregator,
  type Observation,
  offloadObservation,
  type StoredOffload,
} from './aggregate.js';
import type { FallbackPairs } from './fallback-pairs.js';

/**
 * Where offloaded inferences are read from: a store's `readOffload` (the offload record kind, issue
 * 16), with the same filter as records.
 */
export interface OffloadSource {
  readOffload(filter: RecordFilter): AsyncIterable<StoredOffload>;
}

/**
 * Offloaded inferences per arm, how many failed (no answer from the server) without and with a
 * fallback to the edge, and how many fallbacks had no edge record to pair with (lost).
 */
export interface OffloadTally {
  arms: Map<string, { n: number; failed: number; fellBack: number }>;
  lostFallbacks: number;
}

export const newTally = (): OffloadTally => ({ arms: new Map(), lostFallbacks: 0 });

export function tallyOffload(tally: OffloadTally, record: StoredOffload): void {
  const arm = record.arm ?? '(no arm)';
  const t = tally.arms.get(arm) ?? { n: 0, failed: 0, fellBack: 0 };
  t.n++;
  if (record.outcome !== 'ok') {
    if (record.fallback === 'edge') t.fellBack++;
    else t.failed++;
  }
  tally.arms.set(arm, t);
}

/** A fallback's edge record merged with its offload record, else the record as it is. */
export function withPair(pairs: FallbackPairs, record: StoredRecord): Observation | StoredRecord {
  return pairs.pair(record) ?? record;
}

/** Fallbacks left without their edge record count with the request alone. */
export function addUnpaired(
  aggregator: ExperimentAggregator,
  pairs: FallbackPairs,
  tally: OffloadTally,
): void {
  for (const record of pairs.unpaired()) {
    tally.lostFallbacks++;
    aggregator.add(offloadObservation(record));
  }
}
