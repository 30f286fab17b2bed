// Properties of the engine that must hold for any input: the dedicated embodied share never rises
// with the rate, zero-width ranges give zero-width intervals, a seed reproduces a run exactly, and
// common random numbers make a shared factor cancel in the difference.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLOCK } from '../../collector/lifecycle/engine.js';
import {
  compare,
  parseScenario,
  resolveScenario,
  type Scenario,
  simulate,
  validateScenario,
} from '../../collector/lifecycle/index.js';
import { dedicatedShare } from '../../collector/lifecycle/model.js';
import { EXAMPLES, workedExample } from './helpers.js';

const example = (): Scenario =>
  parseScenario(readFileSync(join(EXAMPLES, 'pi4-wifi-gpu-profiles.yaml'), 'utf8'), 'example');

function withRate(base: Scenario, inferencesPerDay: number, samples = 1): Scenario {
  return { ...base, samples, workload: { ...base.workload, inferencesPerDay } };
}

describe('properties', () => {
  it('more inferences per day never raise the dedicated embodied share (share and engine terms)', () => {
    let previousShare = Number.POSITIVE_INFINITY;
    let previousEdge = Number.POSITIVE_INFINITY;
    let previousOffload = Number.POSITIVE_INFINITY;
    for (const rate of [1, 2, 10, 99, 1000, 20_000, 1e6, 1e9]) {
      for (const life of [0.5, 3, 5, 10]) {
        expect(dedicatedShare(rate, life)).toBeLessThanOrEqual(dedicatedShare(rate / 2, life));
      }
      const share = dedicatedShare(rate, 5);
      expect(share).toBeLessThanOrEqual(previousShare);
      previousShare = share;
      const result = compare(withRate(example(), rate));
      expect(result.edge.terms.embodied.central).toBeLessThanOrEqual(previousEdge);
      expect(result.offload.terms.deviceEmbodied.central).toBeLessThanOrEqual(previousOffload);
      previousEdge = result.edge.terms.embodied.central;
      previousOffload = result.offload.terms.deviceEmbodied.central;
    }
  });

  it('the embodied interval also falls with the rate when every draw is shared (common random numbers)', () => {
    const low = compare(withRate(example(), 1000, 2000));
    const high = compare(withRate(example(), 5000, 2000));
    expect(high.edge.terms.embodied.p95).toBeLessThan(low.edge.terms.embodied.p95);
    expect(high.edge.terms.embodied.median).toBeCloseTo(low.edge.terms.embodied.median / 5, 15);
  });

  it('zero-width ranges give zero-width intervals, exactly', () => {
    const fixed = validateScenario({
      samples: 5000,
      seed: 3,
      workload: { inferencesPerDay: { central: 100, low: 100, high: 100 }, inputBytes: 10, outputBytes: 1 },
      device: {
        gPerKWh: { central: 50, low: 50, high: 50, distribution: 'lognormal' },
        energyJ: { central: 0.2, low: 0.2, high: 0.2, distribution: 'normal' },
        idleW: { central: 1, low: 1, high: 1, distribution: 'uniform' },
        embodiedKg: 5,
        lifetimeYears: 4,
      },
      network: {
        uplinkUJPerBit: 0.1,
        downlinkUJPerBit: 0.1,
        requestOverheadJ: 0.1,
        kWhPerGB: 0.01,
        rttS: 0.05,
      },
      datacenter: {
        gPerKWh: 300,
        pue: 1.2,
        energyJ: 0.01,
        powerW: 500,
        embodiedKg: 1000,
        lifetimeYears: 4,
        utilization: 0.5,
      },
    });
    const r = compare(fixed);
    const intervals = [
      r.edge.total,
      r.offload.total,
      r.difference,
      r.ratio,
      ...Object.values(r.edge.terms),
      ...Object.values(r.offload.terms),
    ];
    for (const i of intervals) {
      expect(i.p5).toBe(i.central);
      expect(i.median).toBe(i.central);
      expect(i.p95).toBe(i.central);
    }
    expect(r.sensitivity).toEqual([]);
  });

  it('a seed reproduces a run exactly; another seed does not', () => {
    const a = compare(example());
    const b = compare(example());
    const c = compare({ ...example(), seed: 8 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(c.edge.total.median).not.toBe(a.edge.total.median);
  });

  it('drawing in blocks gives exactly the draws of one go (odd lengths and lognormal pairs included)', () => {
    const resolved = resolveScenario({ ...example(), samples: 2 * BLOCK + 3 });
    const n = 2 * BLOCK + 3;
    const whole = simulate(resolved, n, 7, 'all');
    const blocked = simulate(resolved, n, 7, { 'device.embodiedKg': n });
    expect(blocked.terms.edgeTotal).toEqual(whole.terms.edgeTotal);
    expect(blocked.terms.offloadTotal).toEqual(whole.terms.offloadTotal);
    expect(blocked.parameters['device.embodiedKg']).toEqual(whole.parameters['device.embodiedKg']);
    expect(blocked.parameters['network.rttS']).toBeUndefined();
  });

  it('a factor shared by both placements cancels in the difference (same draws on both sides)', () => {
    // Only the device grid is uncertain; operational terms both scale with it, embodied do not.
    const base = validateScenario({
      samples: 4000,
      workload: { inferencesPerDay: 1000, inputBytes: 100, outputBytes: 10 },
      device: {
        gPerKWh: { central: 100, low: 50, high: 200 },
        energyJ: 0.1,
        idleW: 1,
        embodiedKg: 1,
        lifetimeYears: 5,
      },
      network: { uplinkUJPerBit: 0, downlinkUJPerBit: 0, requestOverheadJ: 0.1, kWhPerGB: 0, rttS: 0 },
      datacenter: {
        gPerKWh: 100,
        pue: 1,
        energyJ: 0,
        powerW: 1,
        embodiedKg: 0,
        lifetimeYears: 1,
        utilization: 1,
      },
    });
    // edge operational = 0.1 J × CI, offload radio = 0.1 J × CI: equal in every draw.
    const r = compare(base);
    expect(r.difference.p5).toBeCloseTo(0, 18);
    expect(r.difference.p95).toBeCloseTo(0, 18);
    expect(r.edge.total.p95).toBeGreaterThan(r.edge.total.p5);
  });

  it('break-even is null with a reason when the offloading device is the edge board, or allocation is time', () => {
    const same = validateScenario({ ...example(), offloadDevice: undefined, samples: 1 });
    const result = compare(same);
    expect(result.breakEvenInferencesPerDay.inferencesPerDay).toBeNull();
    expect(result.breakEvenInferencesPerDay.reason).toMatch(/same board/);
    const time = compare({
      ...example(),
      samples: 1,
      allocation: 'time',
      device: { ...example().device, latencyS: 0.004 },
    });
    expect(time.breakEvenInferencesPerDay.inferencesPerDay).toBeNull();
    expect(time.breakEvenInferencesPerDay.reason).toMatch(/time/);
  });

  it('with fixed inputs every draw has the central break-even; with ranges the draws spread around it', () => {
    const { yaml } = workedExample();
    const fixed = compare({ ...parseScenario(yaml), samples: 50 }).breakEvenInferencesPerDay;
    expect(fixed.draws).toMatchObject({ crossing: 1 });
    expect(fixed.draws?.median).toBeCloseTo(fixed.inferencesPerDay as number, 6);
    expect(fixed.draws?.p5).toBeCloseTo(fixed.inferencesPerDay as number, 6);
    const spread = compare(example()).breakEvenInferencesPerDay.draws;
    expect(spread?.p5).toBeLessThan(spread?.median as number);
    expect(spread?.p95).toBeGreaterThan(spread?.median as number);
  });

  it('at the break-even rate the two central totals are equal', () => {
    const be = compare({ ...example(), samples: 1 }).breakEvenInferencesPerDay.inferencesPerDay;
    expect(be).not.toBeNull();
    const at = compare(withRate(example(), be as number));
    expect(at.edge.total.central / at.offload.total.central).toBeCloseTo(1, 9);
  });
});
