// The cmd/placement command (protocol/placement.ts): what the collector's experiment runner sends
// and the agent reads, refused with a reason when malformed, and the server answer the agent checks.

import { describe, expect, it } from 'vitest';
import { serverAnswerProblem } from '../../agent/offload/answer.js';
import { decodePlacementCommand, encodePlacementCommand } from '../../protocol/placement.js';

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('placement command', () => {
  it('round-trips the full command, and an empty retained payload clears it', () => {
    const command = {
      v: 1 as const,
      placement: 'auto' as const,
      server: 'https://dc.example:8443',
      experiment: 'exp-17',
      arm: 'offload-dense',
      reason: 'latest comparison',
      basis: { comparedAt: '2026-11-28T15:00:00.000Z', edgeG: 2.1e-5, offloadG: 1.4e-5 },
    };
    expect(decodePlacementCommand(encodePlacementCommand(command))).toEqual({ ok: true, value: command });
    expect(decodePlacementCommand(new Uint8Array())).toEqual({ ok: true, value: null });
  });

  it.each([
    ['not JSON', Buffer.from('{'), 'malformed'],
    ['unknown placement', bytes({ v: 1, placement: 'cloud' }), 'invalid'],
    ['wrong version', bytes({ v: 2, placement: 'edge' }), 'invalid'],
    ['unknown key', bytes({ v: 1, placement: 'edge', servr: 'http://x' }), 'invalid'],
    ['server not http(s)', bytes({ v: 1, placement: 'offload', server: 'mqtt://x' }), 'invalid'],
    ['bad arm id', bytes({ v: 1, placement: 'edge', arm: 'a/b' }), 'invalid'],
    [
      'negative grams',
      bytes({
        v: 1,
        placement: 'auto',
        basis: { comparedAt: '2026-11-28T15:00:00Z', edgeG: -1, offloadG: 1 },
      }),
      'invalid',
    ],
    ['too large', Buffer.alloc(5000, 32), 'too-large'],
  ])('refuses %s', (_name, payload, reason) => {
    const result = decodePlacementCommand(payload);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toBe(reason);
  });
});

describe('serverAnswerProblem', () => {
  const good = {
    prediction: [0.1, 0.9],
    classIndex: 1,
    requestId: '7',
    server: { id: 'dc-1', region: 'FR', pueClass: 'hyperscale' },
    batch: { size: 4, queueS: 0.002, computeS: 0.004 },
    energy: {
      requestJ: 0.02,
      uncertaintyJ: 0.005,
      idleShareJ: 0.01,
      provenance: 'estimated',
      method: 'cpu model',
    },
    latencyS: 0.006,
  };
  it('accepts the contract answer, names the field that is wrong', () => {
    expect(serverAnswerProblem(good)).toBeNull();
    expect(serverAnswerProblem({ ...good, requestId: undefined })).toMatch(/requestId/);
    expect(serverAnswerProblem({ ...good, energy: { ...good.energy, provenance: 'guess' } })).toMatch(
      /energy\.provenance/,
    );
    expect(serverAnswerProblem({ ...good, classIndex: -1 })).toMatch(/classIndex/);
  });
});
