// Builds the offload record of one offloaded input (the `offload` kind, /work/notes/offload-contract.md
// §2) from the exchange with the server, the device's energy over the request window and the
// agent's context: the one place that maps them to the record's fields. Server fields only when
// the server answered; the seq is given when the batch is sealed, from the device's one counter.

import {
  encodeMessage,
  type InferenceRecord,
  type OffloadRecord,
  PROTOCOL_VERSION,
  quantizeOffloadRecord,
} from '../../protocol/index.js';
import type { OffloadExchange } from './client.js';
import type { OffloadPolicy } from './policy.js';

/** The offload record without its seq (numbered when sealed, like inference records). */
export type OffloadRecordDraft = Omit<OffloadRecord, 'seq'>;

/** The device's energy over the request window, as its sensor gave it. */
export interface DeviceEnergy {
  energyJ: number;
  uncertaintyJ: number;
  baselineW: number;
  provenance: 'measured' | 'estimated';
}

export interface OffloadContext {
  startUs: number;
  modelId: string;
  variant: string;
  sensor: string;
  inputSource: NonNullable<InferenceRecord['inputSource']>;
  tags: { experiment?: string; arm?: string };
  policy: OffloadPolicy;
  fallback: 'none' | 'edge';
  /** The input's true class when the agent knows it as it sends the input (a labelled dataset, an API label). */
  label?: number | null | undefined;
}

export function offloadRecordOf(
  exchange: OffloadExchange,
  energy: DeviceEnergy,
  context: OffloadContext,
): OffloadRecordDraft {
  const answer = exchange.outcome === 'ok' ? exchange.answer : undefined;
  // Quantized as the wire carries it (1 nJ, 1 µs...), so the answer and the stored record agree.
  const { seq: _seq, ...record } = quantizeOffloadRecord({
    seq: 0,
    startUs: context.startUs,
    modelId: context.modelId,
    variant: context.variant,
    ...context.tags,
    inputSource: context.inputSource,
    ...(context.label === undefined || context.label === null ? {} : { label: context.label }),
    roundTripS: Number(exchange.endNs - exchange.startNs) / 1e9,
    deviceEnergyJ: energy.energyJ,
    deviceEnergyUncertaintyJ: energy.uncertaintyJ,
    deviceBaselineW: energy.baselineW,
    energyProvenance: energy.provenance,
    sensor: context.sensor,
    requestBytes: exchange.requestBytes,
    responseBytes: exchange.responseBytes,
    socketBytesSent: exchange.socketBytesSent,
    socketBytesReceived: exchange.socketBytesReceived,
    ...(answer === undefined
      ? {}
      : {
          serverId: answer.server.id,
          serverRegion: answer.server.region,
          serverPueClass: answer.server.pueClass,
          serverEnergyJ: answer.energy.requestJ,
          serverEnergyUncertaintyJ: answer.energy.uncertaintyJ,
          serverIdleShareJ: answer.energy.idleShareJ,
          serverEnergyProvenance: answer.energy.provenance,
          serverBatchSize: answer.batch.size,
          serverLatencyS: answer.latencyS,
          prediction: answer.classIndex,
        }),
    outcome: exchange.outcome,
    ...(exchange.httpStatus === undefined ? {} : { httpStatus: exchange.httpStatus }),
    fallback: context.fallback,
    policy: context.policy,
  });
  return record;
}

/**
 * Why the server's answer cannot go into an offload record (a figure past the wire's bounds, a
 * text too long), or null: checked by encoding it as the spool will, so a bad answer is caught in
 * its own turn and not when its batch is sealed.
 */
export function answerProblem(
  exchange: OffloadExchange,
  energy: DeviceEnergy,
  context: OffloadContext,
): string | null {
  try {
    const record = offloadRecordOf(exchange, energy, context);
    encodeMessage({
      v: PROTOCOL_VERSION,
      type: 'offload',
      device: 'check',
      records: [{ ...record, seq: 0 }],
    });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
