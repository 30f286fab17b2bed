// The round-2 model (issue 13) term by term against hand formulas, and the two results round 1 got
// wrong: idle power under `dedicated` (a board dedicated to the workload is on all day) and the
// lognormal range (p5 and p95 must be the given low and high). Each of those tests fails on the
// round-1 code.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compare,
  parseScenario,
  type Scenario,
  ScenarioError,
  validateScenario,
} from '../../collector/lifecycle/index.js';
import { drawInto, lognormalWarning, Z95 } from '../../collector/lifecycle/sample.js';
import { percentiles } from '../../collector/lifecycle/stats.js';
import { EXAMPLES, relativeError } from './helpers.js';

const example = (name: string): Scenario =>
  parseScenario(readFileSync(join(EXAMPLES, `${name}.yaml`), 'utf8'), name);

const BASE = {
  samples: 1,
  workload: { inferencesPerDay: 14_400, inputBytes: 1000, outputBytes: 10 },
  device: { gPerKWh: 360, energyJ: 0.5, latencyS: 0.2, idleW: 3, embodiedKg: 10, lifetimeYears: 4 },
  offloadDevice: { idleW: 0.5, embodiedKg: 1, lifetimeYears: 4 },
  network: { uplinkUJPerBit: 0.1, downlinkUJPerBit: 0.1, requestOverheadJ: 1, kWhPerGB: 0.05, rttS: 0.5 },
  datacenter: {
    gPerKWh: 720,
    pue: 1.2,
    energyJ: 0.1,
    powerW: 400,
    embodiedKg: 1500,
    lifetimeYears: 5,
    utilization: 0.25,
  },
};
const K = 360 / 3.6e6; // g per J at the device
const T = 86_400 / 14_400; // 6 s between inferences

function run(over: Record<string, unknown> = {}) {
  return compare(validateScenario({ ...BASE, ...over }));
}

describe('idle power under dedicated (round 1 charged only the inference window)', () => {
  it('edge.idle = idleW × (T − latency) × k_dev, and it is in the edge total', () => {
    const r = run();
    expect(relativeError(r.edge.terms.idle.central, 3 * (T - 0.2) * K)).toBeLessThan(1e-12);
    const sum = r.edge.terms.operational.central + r.edge.terms.idle.central + r.edge.terms.embodied.central;
    expect(relativeError(r.edge.total.central, sum)).toBeLessThan(1e-12);
    expect(relativeError(r.offload.terms.deviceIdle.central, 0.5 * (T - 0.5) * K)).toBeLessThan(1e-12);
  });

  it('mcu-lte-cpu: edge goes from 457 µg to 3.77 mg per inference (the ESP32 listens all day)', () => {
    const r = compare({ ...example('mcu-lte-cpu'), samples: 1 });
    expect(r.edge.terms.operational.central + r.edge.terms.embodied.central).toBeCloseTo(457e-6, 6);
    expect(r.edge.total.central).toBeCloseTo(3.77e-3, 5);
  });

  it('pi4-wifi-gpu-profiles: the Pi idle (7.6 g/day) exceeds its embodied share (5.2 g/day)', () => {
    const r = compare({ ...example('pi4-wifi-gpu-profiles'), samples: 1 });
    expect(r.perDeviceDay.edge.central).toBeGreaterThan(0);
    const perDay = 20_000;
    expect(r.edge.terms.idle.central * perDay).toBeCloseTo(7.6, 1);
    expect(r.edge.terms.embodied.central * perDay).toBeCloseTo(5.2, 1);
  });

  it('not charged under time allocation or marginal energy; dedicated + marginal warns', () => {
    const time = run({ allocation: 'time' });
    expect(time.edge.terms.idle.central).toBe(0);
    expect(time.offload.terms.deviceIdle.central).toBe(0);
    expect(time.warnings).toEqual([]);
    const marginal = run({ energyBasis: 'marginal' });
    expect(marginal.edge.terms.idle.central).toBe(0);
    expect(marginal.warnings.join('\n')).toMatch(/dedicated.*marginal.*idle power is not charged/);
  });

  it('without latencyS the idle gap starts with the inference, labelled as a default', () => {
    const r = run({ device: { ...BASE.device, latencyS: undefined } });
    expect(relativeError(r.edge.terms.idle.central, 3 * T * K)).toBeLessThan(1e-12);
    expect(r.provenance['device.latencyS']).toMatchObject({ origin: 'default', central: 0 });
    expect(r.provenance['device.latencyS']?.note).toMatch(/overstates edge\.idle/);
  });

  it('the same board on both sides: its idle nearly cancels, only the latency/RTT windows differ', () => {
    const r = run({ offloadDevice: undefined });
    // edge idle 3 (T − 0.2), offload wait + idle = 3 × 0.5 + 3 (T − 0.5) = 3T: differ by 3 × 0.2 J.
    const offloadIdle = r.offload.terms.deviceWait.central + r.offload.terms.deviceIdle.central;
    expect(relativeError(offloadIdle - r.edge.terms.idle.central, 3 * 0.2 * K)).toBeLessThan(1e-9);
  });
});

describe('the other round-2 terms', () => {
  it('psuEfficiency divides every device-side energy, not the network', () => {
    const plain = run();
    const psu = run({ device: { ...BASE.device, psuEfficiency: 0.8 } });
    for (const [a, b] of [
      [psu.edge.terms.operational, plain.edge.terms.operational],
      [psu.edge.terms.idle, plain.edge.terms.idle],
      [psu.offload.terms.deviceRadio, plain.offload.terms.deviceRadio],
      [psu.offload.terms.deviceWait, plain.offload.terms.deviceWait],
      [psu.offload.terms.deviceIdle, plain.offload.terms.deviceIdle],
    ] as const) {
      expect(relativeError(a.central, b.central / 0.8)).toBeLessThan(1e-12);
    }
    expect(psu.offload.terms.network.central).toBe(plain.offload.terms.network.central);
  });

  it('tailW caps the request overhead at tailW × T, never raises it', () => {
    const capped = run({ network: { ...BASE.network, tailW: 0.1 } }); // 0.1 W × 6 s = 0.6 J < 1 J
    const bits = (8 * 1000 * 0.1 + 8 * 10 * 0.1) * 1e-6;
    expect(relativeError(capped.offload.terms.deviceRadio.central, (bits + 0.6) * K)).toBeLessThan(1e-12);
    const loose = run({ network: { ...BASE.network, tailW: 1 } }); // 6 J > 1 J: the overhead stays
    expect(loose.offload.terms.deviceRadio.central).toBe(run().offload.terms.deviceRadio.central);
  });

  it('datacenter idle: idleW × busy seconds × (1 − u) / u, × PUE × k_dc, only under gross', () => {
    const r = run({ datacenter: { ...BASE.datacenter, idleW: 200 } });
    const busyS = 0.1 / 400;
    const expected = (0.1 + 200 * busyS * (0.75 / 0.25)) * 1.2 * (720 / 3.6e6);
    expect(relativeError(r.offload.terms.datacenter.central, expected)).toBeLessThan(1e-12);
    const marginal = run({ energyBasis: 'marginal', datacenter: { ...BASE.datacenter, idleW: 200 } });
    expect(relativeError(marginal.offload.terms.datacenter.central, 0.1 * 1.2 * (720 / 3.6e6))).toBeLessThan(
      1e-12,
    );
  });

  it('training: trainingJ × k_train / fleetInferences per inference, and when running exceeds it', () => {
    const r = run({
      device: { ...BASE.device, trainingJ: 7.2e6 },
      datacenter: { ...BASE.datacenter, trainingJ: 3.6e8 },
      training: { gPerKWh: 500, fleetInferences: 1e7 },
    });
    expect(relativeError(r.edge.terms.training.central, (7.2e6 * 500) / 3.6e6 / 1e7)).toBeLessThan(1e-12);
    expect(relativeError(r.offload.terms.training.central, (3.6e8 * 500) / 3.6e6 / 1e7)).toBeLessThan(1e-12);
    const edgeRunning = r.edge.terms.operational.central + r.edge.terms.idle.central;
    const t = r.offload.terms;
    const offloadRunning =
      t.deviceRadio.central +
      t.deviceWait.central +
      t.deviceIdle.central +
      t.network.central +
      t.datacenter.central;
    expect(relativeError(r.trainingExceededAfter.edge as number, 1000 / edgeRunning)).toBeLessThan(1e-12);
    expect(relativeError(r.trainingExceededAfter.offload as number, 50_000 / offloadRunning)).toBeLessThan(
      1e-12,
    );
  });

  it('training by region; no training block: no training terms, null, and a warning if trainingJ is given', () => {
    const byRegion = run({
      device: { ...BASE.device, trainingJ: 3.6e6 },
      training: { region: 'FR', fleetInferences: 1 },
    });
    expect(byRegion.provenance['training.gPerKWh']).toMatchObject({ origin: 'profile', profile: 'FR' });
    expect(byRegion.trainingExceededAfter.offload).toBeNull(); // datacenter.trainingJ not given
    const none = run({ device: { ...BASE.device, trainingJ: 3.6e6 } });
    expect(none.edge.terms.training.central).toBe(0);
    expect(none.trainingExceededAfter).toEqual({ edge: null, offload: null });
    expect(none.warnings.join('\n')).toMatch(/no `training` block/);
  });

  it('without the new fields a time-allocated scenario gives round 1 exactly (hand formula)', () => {
    const r = run({ allocation: 'time' });
    const lifeS = 4 * 365 * 86_400;
    const edge = 0.5 * K + (10_000 * 0.2) / lifeS;
    expect(relativeError(r.edge.total.central, edge)).toBeLessThan(1e-12);
    const radio = ((8 * 1000 * 0.1 + 8 * 10 * 0.1) * 1e-6 + 1) * K;
    const dcEmb = (1500 * 1000 * (0.1 / 400)) / (5 * 365 * 86_400 * 0.25);
    const offload =
      radio +
      0.5 * 0.5 * K +
      (1010 / 1e9) * 0.05 * 360 +
      0.1 * 1.2 * (720 / 3.6e6) +
      dcEmb +
      (1000 * 0.5) / lifeS;
    expect(relativeError(r.offload.total.central, offload)).toBeLessThan(1e-12);
  });

  it('the schema takes the new fields and refuses bad ones with their path', () => {
    const bad = (over: Record<string, unknown>) => {
      try {
        validateScenario({ ...BASE, ...over });
      } catch (error) {
        if (error instanceof ScenarioError) return error.problems.join('\n');
        throw error;
      }
      return '';
    };
    expect(bad({ device: { ...BASE.device, psuEfficiency: 1.2 } })).toMatch(
      /device\.psuEfficiency: must be ≤ 1/,
    );
    expect(bad({ device: { ...BASE.device, psuEfficiency: 0 } })).toMatch(
      /device\.psuEfficiency: must be > 0/,
    );
    expect(bad({ network: { ...BASE.network, tailW: -1 } })).toMatch(/network\.tailW: must be ≥ 0/);
    expect(bad({ datacenter: { ...BASE.datacenter, idleW: -5 } })).toMatch(/datacenter\.idleW: must be ≥ 0/);
    expect(bad({ training: { gPerKWh: 100 } })).toMatch(/training\.fleetInferences/);
    expect(bad({ training: { gPerKWh: 100, fleetInferences: 0 } })).toMatch(
      /training\.fleetInferences: must be > 0/,
    );
    expect(bad({ training: { grid: 'FR', fleetInferences: 1 } })).toMatch(/training\.grid: unknown field/);
    expect(() => run({ training: { gPerKWh: 100, region: 'FR', fleetInferences: 1 } })).toThrow(
      /training: give region or gPerKWh, not both/,
    );
    expect(() => run({ training: { fleetInferences: 1 } })).toThrow(
      /training: give region or gPerKWh, the grid where the models were trained/,
    );
  });
});

describe('lognormal ranges: p5 = low and p95 = high (round 1 centred them on `central`)', () => {
  const n = 400_000;
  /** Monte Carlo standard error of the p-quantile of a lognormal(μ, σ): √(p(1−p)/n) / density there. */
  const quantileSE = (x: number, sigma: number, p: number) => {
    const z = Math.log(x);
    const density = Math.exp(-0.5 * Z95 * Z95) / (Math.sqrt(2 * Math.PI) * sigma * Math.exp(z));
    return Math.sqrt((p * (1 - p)) / n) / density;
  };

  for (const [central, low, high] of [
    [0.05, 0.01, 0.5], // the example: round 1 drew p5 0.0071 and p95 0.354
    [9.5, 3.2, 18.1], // emb_sbc_bare_derived
    [1004e-6, 31.5e-6, 5482e-6], // tiny_kws_stm32u5, as mcu-lte-cpu gives it
    [2, 1, 4], // central is the geometric mean: round 1 was right here
  ] as const) {
    it(`{ central ${central}, low ${low}, high ${high} }: empirical p5/p95 within 4 standard errors`, () => {
      const draws = drawInto(
        new Float64Array(n),
        { central, low, high, distribution: 'lognormal', source: 'test' },
        17,
        'coverage',
      );
      const sigma = Math.log(high / low) / (2 * Z95);
      const [p5, p50, p95] = percentiles(draws, [0.05, 0.5, 0.95]) as [number, number, number];
      expect(Math.abs(p5 - low)).toBeLessThan(4 * quantileSE(low, sigma, 0.05));
      expect(Math.abs(p95 - high)).toBeLessThan(4 * quantileSE(high, sigma, 0.95));
      expect(relativeError(p50, Math.sqrt(low * high))).toBeLessThan(0.01);
      // Coverage: the share of draws inside [low, high] is 90 % within 4 binomial standard errors.
      let inside = 0;
      for (const x of draws) if (x >= low && x <= high) inside++;
      expect(Math.abs(inside / n - 0.9)).toBeLessThan(4 * Math.sqrt((0.9 * 0.1) / n));
    });
  }

  it('warns when central is outside the 40–60th percentile of the draws, not otherwise', () => {
    const value = (central: number, low: number, high: number) =>
      ({ central, low, high, distribution: 'lognormal', source: 'test' }) as const;
    expect(lognormalWarning('x', value(0.05, 0.01, 0.5))).toMatch(
      /x: lognormal central 0\.0500 is far from √\(low·high\) = 0\.0707 \(percentile 39/,
    );
    expect(lognormalWarning('x', value(2, 1, 4))).toBeUndefined();
    expect(lognormalWarning('x', value(2.2, 1, 4))).toBeUndefined(); // percentile 56
    expect(lognormalWarning('x', { ...value(2, 1, 4), distribution: 'triangular' })).toBeUndefined();
    const r = compare({ ...example('mcu-lte-cpu'), samples: 1 });
    expect(r.warnings.join('\n')).toMatch(/device\.energyJ: lognormal central 0\.00100 is far/);
  });
});
