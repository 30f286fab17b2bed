// The placement policy on a fake clock: flags and the retained command, auto's choice from the
// comparison, the back-off after a failed or slow offload (nothing at t − 1 ms, the probe at t),
// and the doubling back-off capped at 60 s.

import { describe, expect, it } from 'vitest';
import {
  FIRST_BACKOFF_MS,
  MAX_BACKOFF_MS,
  PlacementPolicy,
  type PlacementSettings,
} from '../../agent/offload/policy.js';
import type { PlacementCommand } from '../../protocol/placement.js';

const SERVER = 'http://127.0.0.1:9';
const favoursOffload: PlacementCommand = {
  v: 1,
  placement: 'auto',
  basis: { comparedAt: '2026-11-28T15:00:00Z', edgeG: 2e-5, offloadG: 1e-5 },
};

function policy(settings: Partial<PlacementSettings> = {}) {
  let now = 1000;
  const p = new PlacementPolicy({ mode: 'auto', server: SERVER, maxRttMs: 500, ...settings }, () => now);
  return { p, advance: (ms: number) => (now += ms) };
}

describe('PlacementPolicy', () => {
  it('edge and offload by flags; offload without any server stays on the edge', () => {
    expect(policy({ mode: 'edge' }).p.decide()).toEqual({ placement: 'edge', why: 'fixed' });
    expect(policy({ mode: 'offload' }).p.decide()).toEqual({
      placement: 'offload',
      policy: 'fixed',
      server: SERVER,
    });
    expect(policy({ mode: 'offload', server: undefined }).p.decide()).toEqual({
      placement: 'edge',
      why: 'no-server',
    });
  });

  it('a command overrides the flags (mode, server, tags) and clearing it restores them', () => {
    const { p } = policy({ mode: 'edge' });
    expect(p.active).toBe(false);
    p.apply({ v: 1, placement: 'offload', server: 'https://dc:8443', experiment: 'exp1', arm: 'b' });
    expect(p.decide()).toEqual({ placement: 'offload', policy: 'fixed', server: 'https://dc:8443' });
    expect(p.tags).toEqual({ experiment: 'exp1', arm: 'b' });
    expect(p.active).toBe(true);
    p.apply(null);
    expect(p.decide()).toEqual({ placement: 'edge', why: 'fixed' });
    expect(p.tags).toEqual({});
    expect(p.active).toBe(false);
  });

  it('auto offloads only while the latest comparison says offloading emits less', () => {
    const { p } = policy();
    expect(p.decide()).toEqual({ placement: 'edge', why: 'comparison' }); // no comparison yet
    p.apply(favoursOffload);
    expect(p.decide()).toEqual({ placement: 'offload', policy: 'auto-comparison', server: SERVER });
    p.apply({
      ...favoursOffload,
      basis: { comparedAt: '2026-11-28T16:00:00Z', edgeG: 1e-5, offloadG: 1e-5 },
    });
    expect(p.decide()).toEqual({ placement: 'edge', why: 'comparison' }); // a tie keeps the edge
  });

  it('after a failure auto runs on the edge for the back-off, then probes once (auto-fallback)', () => {
    const { p, advance } = policy();
    p.apply(favoursOffload);
    p.observe('unreachable', 0.001);
    advance(FIRST_BACKOFF_MS - 1);
    expect(p.decide()).toEqual({ placement: 'edge', why: 'server-unhealthy' });
    advance(1);
    expect(p.decide()).toEqual({ placement: 'offload', policy: 'auto-fallback', server: SERVER });
    // The probe fails again: twice as long on the edge.
    p.observe('timeout', 5);
    advance(2 * FIRST_BACKOFF_MS - 1);
    expect(p.decide().placement).toBe('edge');
    advance(1);
    expect(p.decide()).toMatchObject({ placement: 'offload', policy: 'auto-fallback' });
    // It answers in time: healthy again, back to the comparison's choice.
    p.observe('ok', 0.05);
    expect(p.decide()).toMatchObject({ placement: 'offload', policy: 'auto-comparison' });
  });

  it('a slow answer (over --offload-max-rtt-ms) counts as unhealthy; one at the limit does not', () => {
    const { p } = policy();
    p.apply(favoursOffload);
    p.observe('ok', 0.5);
    expect(p.decide().placement).toBe('offload');
    p.observe('ok', 0.501);
    expect(p.decide()).toEqual({ placement: 'edge', why: 'server-unhealthy' });
  });

  it('the back-off doubles from 5 s up to 60 s, and a longer Retry-After wins', () => {
    const { p, advance } = policy();
    p.apply(favoursOffload);
    let now = advance(0);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      p.observe('refused', 0.01);
      const wait = (p.unhealthyUntilMs ?? 0) - now;
      waits.push(wait);
      now = advance(wait);
    }
    expect(waits).toEqual([5_000, 10_000, 20_000, 40_000, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
    const { p: q, advance: qAdvance } = policy();
    q.apply(favoursOffload);
    q.observe('refused', 0.01, 30);
    qAdvance(30_000 - 1);
    expect(q.decide().placement).toBe('edge');
    qAdvance(1);
    expect(q.decide().placement).toBe('offload');
  });

  it('fallback to the edge: on by default for auto, off for offload, as configured otherwise', () => {
    expect(policy({ mode: 'auto' }).p.fallbackToEdge).toBe(true);
    expect(policy({ mode: 'offload' }).p.fallbackToEdge).toBe(false);
    expect(policy({ mode: 'offload', fallbackToEdge: true }).p.fallbackToEdge).toBe(true);
    expect(policy({ mode: 'auto', fallbackToEdge: false }).p.fallbackToEdge).toBe(false);
  });
});
