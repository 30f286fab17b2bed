// Published calculations reproduced on their own inputs through the engine's own functions:
// CodeCarbon's operational formula, Cloud Carbon Footprint's embodied example, Boavizta's linear
// time allocation.

import { describe, expect, it } from 'vitest';
import { compare, validateScenario } from '../../collector/lifecycle/index.js';
import { J_PER_KWH, linearTimeShare, operationalG } from '../../collector/lifecycle/model.js';
import { relativeError } from './helpers.js';

describe('anchors', () => {
  it('CodeCarbon: 1 kWh at 56.04 g/kWh is 56.04 g', () => {
    expect(relativeError(operationalG(J_PER_KWH, 56.04), 56.04)).toBeLessThan(1e-12);
  });

  it('Cloud Carbon Footprint: 1.7957 t × 24 h / 35,040 h × 1/96 vCPU = 1.2811786529680366e-5 t', () => {
    const hour = 3600;
    const tonnes = 1.7957 * linearTimeShare(24 * hour, 35_040 * hour) * (1 / 96);
    expect(relativeError(tonnes, 1.2811786529680366e-5)).toBeLessThan(1e-12);
  });

  it('Boavizta linear allocation: total × duration / life_duration, the engine`s `time` share', () => {
    // boaviztapi allocate(total, LINEAR, use_time, life_time) = total * use_time / life_time;
    // its duration example: 1 h + 1 day + 1 year = 8,785 h, against a 4-year (35,040 h) life.
    expect(linearTimeShare(8785, 35_040) * 3660).toBeCloseTo((3660 * 8785) / 35_040, 12);
    // Through the engine: under `time` the edge embodied term is embodied × latency / life.
    const latencyS = 0.25;
    const result = compare(
      validateScenario({
        samples: 1,
        allocation: 'time',
        workload: { inferencesPerDay: 1, inputBytes: 0, outputBytes: 0 },
        device: { gPerKWh: 0, energyJ: 0, latencyS, idleW: 0, embodiedKg: 3.66, lifetimeYears: 4 },
        network: { uplinkUJPerBit: 0, downlinkUJPerBit: 0, requestOverheadJ: 0, kWhPerGB: 0, rttS: 1 },
        datacenter: {
          gPerKWh: 0,
          pue: 1,
          energyJ: 0,
          powerW: 1,
          embodiedKg: 0,
          lifetimeYears: 1,
          utilization: 1,
        },
      }),
    );
    const lifeS = 4 * 365 * 86400;
    expect(
      relativeError(result.edge.terms.embodied.central, 3660 * linearTimeShare(latencyS, lifeS)),
    ).toBeLessThan(1e-12);
  });
});
