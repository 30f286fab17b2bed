// One offloaded input's turn, with the exchange given (no network): the record it queues for each
// outcome, the edge fallback run after the offload record (so their seqs are in that order), the
// policy told what happened, and a 200 whose figures the wire cannot carry turned into an
// http-error record instead of a batch that would fail when sealed.

import { describe, expect, it } from 'vitest';
import type { OffloadExchange } from '../../agent/offload/client.js';
import type { Offloader } from '../../agent/offload/offloader.js';
import { PlacementPolicy } from '../../agent/offload/policy.js';
import type { OffloadRecordDraft } from '../../agent/offload/record.js';
import { offloadTurn } from '../../agent/offload/turn.js';

const ANSWER = {
  prediction: [0.1, 0.9],
  classIndex: 1,
  requestId: '7',
  server: { id: 'dc-1', region: 'FR', pueClass: 'hyperscale' },
  batch: { size: 4, queueS: 0.002, computeS: 0.004 },
  energy: {
    requestJ: 0.02,
    uncertaintyJ: 0.005,
    idleShareJ: 0.01,
    provenance: 'estimated' as const,
    method: 'm',
  },
  latencyS: 0.006,
};

function exchange(fields: Partial<OffloadExchange>): OffloadExchange {
  return {
    outcome: 'ok',
    requestBytes: 3136,
    responseBytes: 300,
    socketBytesSent: 3300,
    socketBytesReceived: 450,
    startNs: 1_000_000_000n,
    endNs: 1_004_000_000n,
    ...fields,
  };
}

/** A turn over a fake offloader that answers `given`; returns what was queued and run. */
async function turn(given: OffloadExchange, mode: 'offload' | 'auto' = 'offload') {
  const policy = new PlacementPolicy({ mode, server: 'http://dc', maxRttMs: 1000 }, () => 0);
  policy.apply({
    v: 1,
    placement: mode,
    basis: { comparedAt: '2026-11-28T15:00:00Z', edgeG: 2, offloadG: 1 },
  });
  const offloader = {
    policy,
    send: async () => ({
      exchange: given,
      energy: { energyJ: 0.012, uncertaintyJ: 0.003, baselineW: 2.7, provenance: 'estimated' as const },
    }),
  } as unknown as Offloader;
  const events: string[] = [];
  const queued: OffloadRecordDraft[] = [];
  let next = 40;
  const result = await offloadTurn({
    offloader,
    server: 'http://dc',
    policy: mode === 'auto' ? 'auto-comparison' : 'fixed',
    values: new Float32Array(784),
    shape: [1, 28, 28, 1],
    context: {
      modelId: 'm'.repeat(64),
      variant: 'cnn',
      sensor: 'simulated:rpi4',
      inputSource: 'http',
      tags: {},
    },
    nextSeq: () => next,
    push: (record) => {
      queued.push(record);
      events.push(`offload record ${next}`);
      return next++;
    },
    runEdge: async () => {
      events.push(`edge run ${next}`);
      return next++;
    },
  });
  return { result, queued, events, policy };
}

describe('offloadTurn', () => {
  it('ok: one record with the server fields, no edge run, the server stays healthy', async () => {
    const { result, queued, events, policy } = await turn(exchange({ httpStatus: 200, answer: ANSWER }));
    expect(events).toEqual(['offload record 40']);
    expect(result.seq).toBe(40);
    expect(queued[0]).toMatchObject({
      outcome: 'ok',
      roundTripS: 0.004,
      deviceEnergyJ: 0.012,
      serverId: 'dc-1',
      serverEnergyJ: 0.02,
      prediction: 1,
      fallback: 'none',
      policy: 'fixed',
    });
    expect(policy.unhealthyUntilMs).toBeNull();
  });

  it('a failure with fallback (auto): the offload record says edge, then the input runs on the edge', async () => {
    const { result, queued, events, policy } = await turn(exchange({ outcome: 'timeout' }), 'auto');
    expect(events).toEqual(['offload record 40', 'edge run 41']);
    expect(result.edge).toBe(41);
    expect(queued[0]).toMatchObject({ outcome: 'timeout', fallback: 'edge', policy: 'auto-comparison' });
    expect(queued[0]).not.toHaveProperty('serverId');
    expect(policy.decide().placement).toBe('edge'); // backing off
  });

  it('a failure without fallback (offload): only the failure record', async () => {
    const { result, queued, events } = await turn(
      exchange({ outcome: 'refused', httpStatus: 429, retryAfterS: 2 }),
    );
    expect(events).toEqual(['offload record 40']);
    expect(result.edge).toBeUndefined();
    expect(queued[0]).toMatchObject({ outcome: 'refused', httpStatus: 429, fallback: 'none' });
  });

  it('a 200 whose figures the wire cannot carry becomes an http-error record (no server fields)', async () => {
    const absurd = { ...ANSWER, energy: { ...ANSWER.energy, requestJ: 1e12 } };
    const { queued, result } = await turn(exchange({ httpStatus: 200, answer: absurd }));
    expect(queued[0]).toMatchObject({ outcome: 'http-error', httpStatus: 200, fallback: 'none' });
    expect(queued[0]).not.toHaveProperty('serverEnergyJ');
    expect(queued[0]).not.toHaveProperty('prediction');
    expect(result.exchange.error).toMatch(/does not fit an offload record/);
  });
});
