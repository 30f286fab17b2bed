// The energy so far that GET /v1/status and SIGUSR2 give (agent/serve/summary.ts): the mean per
// inference over windows and its 95 % half-width, checked against closed-form figures.

import { describe, expect, it } from 'vitest';
import { EnergyTally } from '../../agent/serve/summary.js';

describe('EnergyTally', () => {
  it('says nothing before the first window and gives no interval for one window', () => {
    const tally = new EnergyTally();
    expect(tally.soFar).toEqual({ windows: 0, inferences: 0, meanJ: Number.NaN, halfWidth95J: Number.NaN });
    tally.addWindow(0.004, 8);
    expect(tally.soFar).toEqual({ windows: 1, inferences: 8, meanJ: 0.004, halfWidth95J: Number.NaN });
  });

  it('averages over windows (not inferences) with a 95 % half-width of 1.96 sd / sqrt(windows)', () => {
    const tally = new EnergyTally();
    // A batched window of 4 inferences counts once: mean 2 J, sample sd 1 J over 3 windows.
    tally.addWindow(1, 1);
    tally.addWindow(2, 4);
    tally.addWindow(3, 1);
    const soFar = tally.soFar;
    expect(soFar.windows).toBe(3);
    expect(soFar.inferences).toBe(6);
    expect(soFar.meanJ).toBeCloseTo(2, 12);
    expect(soFar.halfWidth95J).toBeCloseTo(1.96 / Math.sqrt(3), 12);
  });
});
