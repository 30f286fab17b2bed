// Records for the spool tests: realistic, deterministic, already at wire resolution.

import type { Unsequenced, UnsequencedRecord } from '../../agent/publish/spool.js';

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

/** An answered offload request for the spool tests (server fields set), already at wire resolution. */
export function spoolOffloadRecord(index: number): Unsequenced<'offload'> {
  return {
    startUs: 1_763_700_000_000_000 + index * 100_000,
    modelId: 'c'.repeat(64),
    variant: 'dense',
    roundTripS: (21_000 + (index % 5) * 1_000) / 1e6,
    deviceEnergyJ: 0.052,
    deviceEnergyUncertaintyJ: 0.0005,
    energyProvenance: 'estimated',
    sensor: 'simulated:rpi4',
    requestBytes: 3136,
    responseBytes: 410,
    socketBytesSent: 3390,
    socketBytesReceived: 600,
    outcome: 'ok',
    fallback: 'none',
    policy: 'fixed',
    prediction: 3,
    serverId: 'dc-1',
    serverRegion: 'DE',
    serverPueClass: 'hyperscale',
    serverEnergyJ: 0.004,
    serverEnergyUncertaintyJ: 0.001,
    serverIdleShareJ: 0.01,
    serverEnergyProvenance: 'estimated',
    serverBatchSize: 1,
    serverLatencyS: 0.01,
  };
}
