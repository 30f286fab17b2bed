// Builders of offload records for tests: an answered request (outcome ok, server fields set), a
// failed one (no server fields) and a failed one that fell back to the edge. Not a test file.

import type { OffloadBatch, OffloadRecord } from '../../protocol/index.js';
import { DEVICE, MODEL_ID, T0_US } from './fixtures.js';

/** An answered request: the server's answer fills the server fields. */
export function makeOffloadRecord(seq: number, overrides: Partial<OffloadRecord> = {}): OffloadRecord {
  return {
    seq,
    startUs: T0_US + seq * 10_000,
    modelId: MODEL_ID,
    variant: 'dense',
    roundTripS: 0.023456,
    deviceEnergyJ: 0.061234567,
    deviceEnergyUncertaintyJ: 0.000812,
    deviceBaselineW: 2.7125,
    energyProvenance: 'measured',
    sensor: 'ina219',
    requestBytes: 3136,
    responseBytes: 412,
    socketBytesSent: 3391,
    socketBytesReceived: 598,
    outcome: 'ok',
    httpStatus: 200,
    fallback: 'none',
    policy: 'fixed',
    prediction: 7,
    serverId: 'dc-fra-1',
    serverRegion: 'DE',
    serverPueClass: 'hyperscale',
    serverEnergyJ: 0.004321,
    serverEnergyUncertaintyJ: 0.0009,
    serverIdleShareJ: 0.0123,
    serverEnergyProvenance: 'rapl',
    serverBatchSize: 4,
    serverLatencyS: 0.011,
    ...overrides,
  };
}

const SERVER_NONE = {
  serverId: undefined,
  serverRegion: undefined,
  serverPueClass: undefined,
  serverEnergyJ: undefined,
  serverEnergyUncertaintyJ: undefined,
  serverIdleShareJ: undefined,
  serverEnergyProvenance: undefined,
  serverBatchSize: undefined,
  serverLatencyS: undefined,
  prediction: undefined,
} as const;

/** A failed request (no server fields, no prediction); `undefined` keys are removed. */
export function makeFailedOffloadRecord(seq: number, overrides: Partial<OffloadRecord> = {}): OffloadRecord {
  const record: Record<string, unknown> = {
    ...makeOffloadRecord(seq),
    ...SERVER_NONE,
    outcome: 'timeout',
    httpStatus: undefined,
    responseBytes: 0,
    socketBytesReceived: 0,
    roundTripS: 2,
    ...overrides,
  };
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
  return record as OffloadRecord;
}

export function makeOffloadBatch(records: OffloadRecord[], device = DEVICE): OffloadBatch {
  return { v: 1, type: 'offload', device, records };
}
