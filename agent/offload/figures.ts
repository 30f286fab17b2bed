// What an answer (local API, library, MQTT inputs) says about an offloaded input: the figures of
// its offload record — outcome, round trip, bytes, the device's energy over the request window,
// and the server's identity and energy when it answered.

import { EdgewattError } from '../../common/errors.js';
import type { ServerAnswer } from './answer.js';
import type { OffloadOutcome } from './outcome.js';
import type { OffloadRecordDraft } from './record.js';
import type { OffloadTurn } from './turn.js';

export interface OffloadFigures {
  /** Seq of the offload record (an edge fallback's inference record has its own seq). */
  seq: number;
  outcome: OffloadOutcome;
  httpStatus?: number;
  policy: OffloadRecordDraft['policy'];
  fallback: OffloadRecordDraft['fallback'];
  roundTripMs: number;
  requestBytes: number;
  responseBytes: number;
  socketBytesSent: number;
  socketBytesReceived: number;
  deviceEnergyJ: number;
  deviceEnergyUncertaintyJ: number;
  energyProvenance: OffloadRecordDraft['energyProvenance'];
  server?: ServerAnswer['server'];
  serverEnergy?: ServerAnswer['energy'];
  serverBatchSize?: number;
  serverLatencyMs?: number;
}

export function offloadFigures(turn: OffloadTurn<unknown>): OffloadFigures {
  const { record, exchange, seq } = turn;
  const answer = exchange.outcome === 'ok' ? exchange.answer : undefined;
  return {
    seq,
    outcome: record.outcome,
    ...(record.httpStatus === undefined ? {} : { httpStatus: record.httpStatus }),
    policy: record.policy,
    fallback: record.fallback,
    roundTripMs: record.roundTripS * 1000,
    requestBytes: record.requestBytes,
    responseBytes: record.responseBytes,
    socketBytesSent: record.socketBytesSent,
    socketBytesReceived: record.socketBytesReceived,
    deviceEnergyJ: record.deviceEnergyJ,
    deviceEnergyUncertaintyJ: record.deviceEnergyUncertaintyJ,
    energyProvenance: record.energyProvenance,
    ...(answer === undefined
      ? {}
      : {
          server: answer.server,
          serverEnergy: answer.energy,
          serverBatchSize: answer.batch.size,
          serverLatencyMs: answer.latencyS * 1000,
        }),
  };
}

/** An offloaded input failed and did not fall back to the edge: its record says what happened. */
export class OffloadFailedError extends EdgewattError {
  override readonly name = 'OffloadFailedError';
  constructor(readonly figures: OffloadFigures) {
    super(
      `offloading the input failed (${figures.outcome}${figures.httpStatus === undefined ? '' : `, HTTP ${figures.httpStatus}`}); its offload record has seq ${figures.seq}`,
      { hint: 'check the inference server, or run the agent with --offload-fallback edge' },
    );
  }
}
