// Records for the spool tests: realistic, deterministic, already at wire resolution.

import type { UnsequencedRecord } from '../../agent/publish/spool.js';

export function spoolRecord(index: number): UnsequencedRecord {
  return {
    startUs: 1_763_700_000_000_000 + index * 100_000,
    durationUs: 1_400 + (index % 50),
    energyJ: 0.003_9 + (index % 7) * 0.000_001,
    energyUncertaintyJ: 0.000_42,
    baselineW: 2.7,
    sampleCount: 0,
    provenance: 'estimated',
    sensor: 'simulated:rpi4',
    modelId: 'c'.repeat(64),
    variant: 'dense',
    backend: 'wasm',
    batchSize: 1,
    inputBytes: 3136,
    outputBytes: 40,
    correct: null,
  };
}

export const spoolRecords = (count: number, from = 0): UnsequencedRecord[] =>
  Array.from({ length: count }, (_, i) => spoolRecord(from + i));
