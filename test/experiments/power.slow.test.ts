// The power formula checked against simulation (issue 17): at the minimum detectable effect the
// plan states, the simulated crossover detects the effect in about 80 % of 100 seeded fleets. 100
// analyses: a slow set file (npm test, npm run test:slow); the formulas' own tests are power.test.ts.

import { describe, expect, it } from 'vitest';
import { analyseRecords } from '../../collector/experiments/analyse.js';
import { minimumDetectableEffect } from '../../collector/experiments/power.js';
import { defaultFleetSpec, experimentOf, simulateFleet } from '../../collector/experiments/simulate.js';

describe('power: checked against simulation', () => {
  it('at the planned MDE, the simulated crossover detects the effect in about 80 % of fleets', () => {
    const base = defaultFleetSpec({ ratePerS: 0.1 });
    // A period mean's SD: the period noise plus the record noise over the analysed records.
    const recordsPerPeriod = (base.periodS - base.washoutS) * base.ratePerS;
    const periodSdRel = Math.sqrt(base.periodSdRel ** 2 + base.recordSdRel ** 2 / recordsPerPeriod);
    const mde = minimumDetectableEffect({
      design: 'crossover',
      arms: 2,
      alpha: 0.05,
      power: 0.8,
      boards: base.boards,
      periods: base.periods,
      periodSdRel,
      interactionSdRel: base.interactionSdRel,
    });
    const repetitions = 100;
    let detected = 0;
    for (let seed = 1; seed <= repetitions; seed++) {
      const spec = {
        ...base,
        seed,
        arms: [
          { id: 'a', energyJ: 0.05 },
          { id: 'b', energyJ: 0.05 * (1 - mde) },
        ],
      };
      const fleet = simulateFleet(spec);
      const result = analyseRecords(
        {
          experiment: experimentOf(spec, fleet.devices),
          devices: fleet.devices,
          startedAtMs: fleet.startMs,
          endedAtMs: null,
          replicates: 100,
          carbonSamples: 1,
        },
        fleet.records,
      );
      if (result.contrasts[0]?.significant) detected++;
    }
    console.info(`MDE ${(mde * 100).toFixed(2)} %: detected in ${detected}/${repetitions}`);
    // 100 repetitions: the binomial SD at 80 % is 4 points; ±12 points is 3 SD.
    expect(detected / repetitions).toBeGreaterThanOrEqual(0.68);
    expect(detected / repetitions).toBeLessThanOrEqual(0.92);
  }, 120_000);
});
