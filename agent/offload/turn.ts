// One offloaded input inside the agent's queue turn: send it, measure it, tell the policy what
// the server did, queue its offload record, and — when the request failed and fallback is on —
// run it on the edge too (its own inference record, with its own seq). Every input yields a
// record whatever the server does, and nothing waits past the client's deadline.

import { wallClockUs } from '../measure/runner.js';
import type { OffloadExchange } from './client.js';
import type { Offloader } from './offloader.js';
import type { OffloadPolicy } from './policy.js';
import { answerProblem, type OffloadContext, type OffloadRecordDraft, offloadRecordOf } from './record.js';

export interface OffloadTurnInput<E> {
  offloader: Offloader;
  server: string;
  policy: OffloadPolicy;
  values: Float32Array;
  /** `[count, ...inputShape]`. */
  shape: readonly number[];
  context: Omit<OffloadContext, 'policy' | 'fallback' | 'startUs'>;
  /** The seq the next queued record will get (the request id the server echoes). */
  nextSeq: () => number;
  /** Queues the offload record; returns its seq. */
  push: (record: OffloadRecordDraft) => number;
  /** Runs the input on the edge (fallback); its record is queued by it. */
  runEdge: () => Promise<E>;
}

export interface OffloadTurn<E> {
  seq: number;
  record: OffloadRecordDraft;
  exchange: OffloadExchange;
  /** The fallback's result when the input also ran on the edge. */
  edge: E | undefined;
}

export async function offloadTurn<E>(turn: OffloadTurnInput<E>): Promise<OffloadTurn<E>> {
  const { offloader } = turn;
  const startUs = wallClockUs();
  const sent = await offloader.send(turn.server, turn.values, turn.shape, String(turn.nextSeq()));
  const { energy } = sent;
  let { exchange } = sent;
  const trial = { ...turn.context, startUs, policy: turn.policy, fallback: 'none' as const };
  const problem = exchange.outcome === 'ok' ? answerProblem(exchange, energy, trial) : null;
  if (problem !== null) {
    // A 200 whose figures the wire cannot carry is a bad answer, not a crash at sealing time.
    const { answer: _answer, ...rest } = exchange;
    exchange = {
      ...rest,
      outcome: 'http-error',
      error: `the answer does not fit an offload record: ${problem}`,
    };
  }
  const roundTripS = Number(exchange.endNs - exchange.startNs) / 1e9;
  offloader.policy.observe(exchange.outcome, roundTripS, exchange.retryAfterS);
  const fallback = exchange.outcome !== 'ok' && offloader.policy.fallbackToEdge ? 'edge' : 'none';
  const record = offloadRecordOf(exchange, energy, {
    ...turn.context,
    startUs,
    policy: turn.policy,
    fallback,
  });
  const seq = turn.push(record);
  const edge = fallback === 'edge' ? await turn.runEdge() : undefined;
  return { seq, record, exchange, edge };
}
