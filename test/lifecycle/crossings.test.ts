// Break-even crossings of the round-2 model (issue 13): edge − offload is piecewise in the rate, so
// every sign change in [1e-3, 1e9]/day is listed. Scenarios built so the crossings are known in
// closed form: one where only embodied carbon depends on the rate, and one where the capped radio
// overhead makes the sign change twice.

import { describe, expect, it } from 'vitest';
import { findCrossings, hyperbolaRoot, pieceBoundaries } from '../../collector/lifecycle/breakeven.js';
import {
  compare,
  formatComparison,
  type Scenario,
  validateScenario,
} from '../../collector/lifecycle/index.js';
import { relativeError } from './helpers.js';

/** CI = 3.6e6 g/kWh makes k_dev exactly 1 g per J; everything else is zero unless given. */
function scenario(over: {
  device?: object;
  offloadDevice?: object;
  network?: object;
  samples?: number;
}): Scenario {
  return validateScenario({
    samples: over.samples ?? 1,
    allocation: 'dedicated',
    energyBasis: 'gross',
    workload: { inferencesPerDay: 1000, inputBytes: 0, outputBytes: 0 },
    device: { gPerKWh: 3.6e6, energyJ: 1, idleW: 0, embodiedKg: 36.5, lifetimeYears: 1, ...over.device },
    offloadDevice: { idleW: 0, embodiedKg: 0, lifetimeYears: 1, ...over.offloadDevice },
    network: {
      uplinkUJPerBit: 0,
      downlinkUJPerBit: 0,
      requestOverheadJ: 2,
      kWhPerGB: 0,
      rttS: 0,
      ...over.network,
    },
    datacenter: {
      gPerKWh: 0,
      pue: 1,
      energyJ: 0,
      powerW: 1,
      embodiedKg: 0,
      lifetimeYears: 1,
      utilization: 1,
    },
  });
}

describe('break-even crossings', () => {
  it('one crossing where the embodied shares alone depend on the rate: N* = C / (overhead − energy)', () => {
    // edge − offload = 1 J − 2 J + (36.5 kg × 1000 / 365 days) / N = −1 + 100 / N → N* = 100/day.
    const be = compare(scenario({})).breakEvenInferencesPerDay;
    expect(be.crossings).toHaveLength(1);
    expect(relativeError(be.inferencesPerDay as number, 100)).toBeLessThan(1e-9);
    expect(be.edgeLowerWhen).toBe('above');
  });

  it('two crossings when the radio overhead is capped at tailW × T: 100 and 764 per day', () => {
    // tailW = 0.01 W: the cap starts at N = 86,400 × 0.01 / 2 = 432/day. Below it d = −1 + 100 / N
    // (crossing at 100); above it the offload overhead is 864 / N J, so d = 1 + (100 − 864) / N
    // (crossing at 764). Edge is lower only between the two.
    const be = compare(scenario({ network: { tailW: 0.01 } })).breakEvenInferencesPerDay;
    expect(be.crossings).toHaveLength(2);
    expect(relativeError(be.crossings[0] as number, 100)).toBeLessThan(1e-9);
    expect(relativeError(be.crossings[1] as number, 764)).toBeLessThan(1e-9);
    expect(be.inferencesPerDay).toBe(be.crossings[0]);
    expect(be.edgeLowerWhen).toBe('above');
    expect(be.reason).toMatch(/2 times.*edge is lower between 100\/day and 764\/day/);
  });

  it('the text output lists both crossings', () => {
    const text = formatComparison(compare(scenario({ network: { tailW: 0.01 } })));
    expect(text).toContain('break-even: 100 inferences/day — edge − offload changes sign 2 times');
    expect(text).toContain('  crossings: 100, 764 inferences/day');
  });

  it('every draw of fixed inputs finds the same smallest crossing', () => {
    const be = compare(scenario({ network: { tailW: 0.01 }, samples: 40 })).breakEvenInferencesPerDay;
    expect(be.draws?.crossing).toBe(1);
    expect(relativeError(be.draws?.median as number, 100)).toBeLessThan(1e-9);
    expect(relativeError(be.draws?.p95 as number, 100)).toBeLessThan(1e-9);
  });

  it('idle kinks: each piece between T = rtt and the range ends has its own line', () => {
    // Offloading device idles at 1 W, RTT 1 s (kink at N = 86,400/day); edge latency 0.
    // Edge idle 0: N < 86,400: d = 1 + 100/N − (2 + 1 + (T − 1)) = −1 + (100 − 86,400)/N < 0;
    // N > 86,400: d = 1 + 100/N − (2 + 1) = −2 + 100/N < 0. Edge lower everywhere.
    const none = compare(scenario({ offloadDevice: { idleW: 1 }, network: { rttS: 1 } }));
    expect(none.breakEvenInferencesPerDay.crossings).toEqual([]);
    expect(none.breakEvenInferencesPerDay.edgeLowerWhen).toBe('always');
    // Edge idle 2 W adds 2T: N < 86,400: d = −1 + (100 + 86,400)/N, whose root 86,500 lies outside
    // the piece; N > 86,400: d = −2 + (100 + 172,800)/N, root 86,450/day, inside.
    const one = compare(
      scenario({ device: { idleW: 2 }, offloadDevice: { idleW: 1 }, network: { rttS: 1 } }),
    );
    const be = one.breakEvenInferencesPerDay;
    expect(be.crossings).toHaveLength(1);
    expect(relativeError(be.inferencesPerDay as number, 86_450)).toBeLessThan(1e-9);
    expect(be.edgeLowerWhen).toBe('above');
  });

  it('finds a root sitting exactly on a kink, and a zero that does not change sign is no crossing', () => {
    const d = (n: number) => (n < 10 ? 10 - n : n < 20 ? 0 : 20 - n);
    expect(findCrossings(d, [10, 20])).toEqual([]);
    const through = (n: number) => (n < 50 ? 50 / n - 1 : 1 - n / 50);
    expect(findCrossings(through, [50])).toEqual([50]);
  });

  it('piece boundaries and the closed-form root', () => {
    expect(pieceBoundaries([5, 1e12, 5, 0.0001, 300])).toEqual([1e-3, 5, 300, 1e9]);
    // d = 2 − 600 / N has its root at 300.
    const d = (n: number) => 2 - 600 / n;
    expect(hyperbolaRoot(1, d(1), 1e6, d(1e6))).toBeCloseTo(300, 9);
  });
});
