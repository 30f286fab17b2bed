// An auto arm's break-even row says what its offloaded side stands on: the arm's measured offload
// values when it has them, else the scenario's offload terms (its offload records could not be
// taken as measured values) — never "both measured" for a side that is the scenario's assumption.

import { describe, expect, it } from 'vitest';
import { autoArmCarbon } from '../../collector/experiments/auto-carbon.js';
import { defaultScenario } from '../../collector/experiments/carbon.js';
import { measuredShare as share } from './auto-fleet.js';

describe("an auto arm's break-even note", () => {
  it("does not call the offloaded side measured when it is priced on the scenario's offload terms", () => {
    const auto = autoArmCarbon({ ...defaultScenario(), samples: 200 }, 'built-in', {
      arm: 'x',
      edge: share(0.01, 60),
      offload: share(0.006, 30),
      // Answered offload records that could not be taken as measured values (offload-measures.ts).
      measurement: null,
      unanswered: 0,
      whole: share(0.008, 90),
    });
    expect(auto.pricedAs).toBe('mixture');
    const note = auto.carbon.breakeven.note;
    expect(note).toContain('its edge share against its offloaded share');
    expect(note).not.toContain('both measured');
    expect(note).toContain("the scenario's ASSUMED offload terms");
  });
});
