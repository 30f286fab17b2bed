// --offload-explore: in auto, a share of the inputs the comparison keeps on the board (or that have
// no comparison yet) is offloaded anyway with policy `auto-explore`, never while a back-off runs;
// a comparison favouring offload is untouched. On a fake clock and a scripted random source.

import { describe, expect, it } from 'vitest';
import { FIRST_BACKOFF_MS, PlacementPolicy, type PlacementSettings } from '../../agent/offload/policy.js';
import { placementConfig } from '../../cli/schemas/agent-placement.js';
import type { PlacementCommand } from '../../protocol/placement.js';

const SERVER = 'http://127.0.0.1:9';
const command = (edgeG: number, offloadG: number): PlacementCommand => ({
  v: 1,
  placement: 'auto',
  basis: { comparedAt: '2026-11-28T15:00:00Z', edgeG, offloadG },
});

function policy(share: number, draws: () => number, settings: Partial<PlacementSettings> = {}) {
  let now = 1000;
  const p = new PlacementPolicy(
    { mode: 'auto', server: SERVER, maxRttMs: 500, exploreShare: share, ...settings },
    () => now,
    draws,
  );
  return { p, advance: (ms: number) => (now += ms) };
}

const scripted = (values: number[]) => () => {
  const next = values.shift();
  if (next === undefined) throw new Error('random source drawn more often than expected');
  return next;
};

describe('auto exploration', () => {
  it('offloads a draw below the share, keeps the others on the board, with or without a basis', () => {
    const { p } = policy(0.25, scripted([0.1, 0.3, 0.2499, 0.25]));
    p.apply(command(1e-5, 2e-5)); // favours the edge
    expect(p.decide()).toEqual({ placement: 'offload', policy: 'auto-explore', server: SERVER });
    expect(p.decide()).toEqual({ placement: 'edge', why: 'comparison' });
    p.apply(null); // no comparison at all (the flags' auto)
    expect(p.decide()).toEqual({ placement: 'offload', policy: 'auto-explore', server: SERVER });
    expect(p.decide()).toEqual({ placement: 'edge', why: 'comparison' });
  });

  it('a comparison favouring offload is followed as before, without drawing', () => {
    const { p } = policy(0.25, scripted([]));
    p.apply(command(2e-5, 1e-5));
    expect(p.decide()).toEqual({ placement: 'offload', policy: 'auto-comparison', server: SERVER });
  });

  it('off by default: share 0 never offloads what the comparison keeps on the board', () => {
    const { p } = policy(0, scripted([]));
    p.apply(command(1e-5, 2e-5));
    for (let i = 0; i < 10; i++) expect(p.decide()).toEqual({ placement: 'edge', why: 'comparison' });
  });

  it('does not cut a back-off short; once it is over, an explored input is the probe', () => {
    const { p, advance } = policy(1, () => 0);
    p.apply(command(1e-5, 2e-5));
    p.observe('timeout', 5);
    advance(FIRST_BACKOFF_MS - 1);
    expect(p.decide()).toEqual({ placement: 'edge', why: 'comparison' });
    advance(1);
    expect(p.decide()).toEqual({ placement: 'offload', policy: 'auto-explore', server: SERVER });
    p.observe('ok', 0.02);
    expect(p.unhealthyUntilMs).toBeNull();
  });

  it('offloads about the share asked for (0.05 of 20,000 seeded draws)', () => {
    let state = 12345;
    const lcg = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    const { p } = policy(0.05, lcg);
    p.apply(command(1e-5, 2e-5));
    let explored = 0;
    for (let i = 0; i < 20_000; i++) if (p.decide().placement === 'offload') explored++;
    // Binomial(20,000, 0.05): sd ≈ 31, so ±150 is ~5 sd.
    expect(Math.abs(explored - 1000)).toBeLessThan(150);
  });

  it('--offload-explore reaches the policy settings', () => {
    const config = placementConfig({
      placement: 'auto',
      offloadServer: SERVER,
      offloadTimeoutMs: 5000,
      offloadMaxRttMs: 1000,
      offloadExplore: 0.05,
    });
    expect(config.exploreShare).toBe(0.05);
  });
});
