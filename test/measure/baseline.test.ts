// The idle baseline re-measured in the gaps between inferences: the tracker follows a drifting
// idle power by the median of recent gaps, ignores a gap that caught a background job, logs drift,
// and the sampled sensor hands the re-measured baseline to the next window's record.

import { describe, expect, it } from 'vitest';
import { BaselineTracker } from '../../agent/measure/baseline.js';
import { SampledSensor } from '../../agent/sensors/sampled-sensor.js';
import { ManualFeed } from '../sensors/support/manual-feed.js';

describe('BaselineTracker', () => {
  it('starts at the start-up reading and follows the median of the recent idle gaps', () => {
    const drifts: number[] = [];
    const tracker = new BaselineTracker(2, 0.01, (now) => drifts.push(now.driftW));
    expect(tracker.estimate()).toMatchObject({ baselineW: 2, uncertaintyW: 0.01, gaps: 0, driftW: 0 });
    for (let i = 0; i < 9; i++) tracker.addGap(2.4 + (i % 3) * 0.01);
    const now = tracker.estimate();
    expect(now.baselineW).toBeCloseTo(2.41, 12);
    expect(now.driftW).toBeCloseTo(0.41, 12);
    expect(now.uncertaintyW).toBeGreaterThan(0);
    expect(now.uncertaintyW).toBeLessThan(0.01);
    // Drift past 5 % is logged once, not at every gap.
    expect(drifts).toHaveLength(1);
  });

  it('a gap that caught a background job does not move the baseline', () => {
    const tracker = new BaselineTracker(2, 0.01);
    for (let i = 0; i < 10; i++) tracker.addGap(i === 4 ? 6 : 2 + (i % 2) * 0.02);
    // Median 2.02 W; the mean would be 2.41 W.
    expect(tracker.estimate().baselineW).toBeCloseTo(2.02, 12);
  });
});

describe('a sampled sensor re-measures the baseline in idle gaps', () => {
  it('records after the idle power rose from 2 W to 2.6 W carry about 2.6 W', async () => {
    const feed = ManualFeed.power(1);
    const baseNs = Number(process.hrtime.bigint());
    const ms = 1e6;
    // 20 ms windows at 6 W every 100 ms from 1 s on; idle 2 W before that, 2.6 W in the gaps.
    const windowStart = (k: number) => baseNs + 1000 * ms + k * 100 * ms;
    const powerAt = (t: number) => {
      if (t < baseNs + 1000 * ms) return 2;
      const into = (t - (baseNs + 1000 * ms)) % (100 * ms);
      return into < 20 * ms ? 6 : 2.6;
    };
    let t = baseNs - 100 * ms;
    for (; t <= baseNs; t += ms) feed.push(t, powerAt(t));
    const sensor = new SampledSensor('test', 'measured', feed, { baselineMs: 20 });
    // The rest of the trace arrives once the start-up baseline has begun (it starts at the newest sample).
    setTimeout(() => {
      for (; t <= baseNs + 3000 * ms; t += ms) feed.push(t, powerAt(t));
    }, 2);
    await sensor.open();
    expect(sensor.baselineW).toBeCloseTo(2, 6);
    const baselines: number[] = [];
    for (let k = 0; k < 15; k++) {
      const window = { startNs: BigInt(windowStart(k)), endNs: BigInt(windowStart(k) + 20 * ms), cpuUs: 0 };
      baselines.push((await sensor.energyOf(window)).baselineW);
    }
    // The first window has no gap before it; from the second on the gaps say 2.6 W.
    expect(baselines[0]).toBeCloseTo(2, 6);
    expect(baselines[14]).toBeCloseTo(2.6, 6);
    expect(sensor.baselineEstimate()).toMatchObject({ gaps: 14 });
    expect(sensor.baselineEstimate()?.driftW).toBeCloseTo(0.6, 6);
    // The records carry the baseline's uncertainty: the gaps agree, so it is small but known.
    const last = await sensor.energyOf({
      startNs: BigInt(windowStart(15)),
      endNs: BigInt(windowStart(15) + 20 * ms),
      cpuUs: 0,
    });
    expect(last.baselineUncertaintyW).toBeGreaterThanOrEqual(0);
    expect(last.baselineUncertaintyW).toBeLessThan(0.01);
    await sensor.close();
  });

  it('does not take the time after an interruption (a new model warming up) as an idle gap', async () => {
    const feed = ManualFeed.power(1);
    const baseNs = Number(process.hrtime.bigint());
    const ms = 1e6;
    // Idle 2 W; 20 ms windows at 6 W every 100 ms; a warm-up at 6 W fills the gap after window 2.
    const windowStart = (k: number) => baseNs + 1000 * ms + k * 100 * ms;
    const powerAt = (t: number) => {
      if (t < baseNs + 1000 * ms) return 2;
      const into = (t - (baseNs + 1000 * ms)) % (100 * ms);
      const k = Math.floor((t - (baseNs + 1000 * ms)) / (100 * ms));
      return into < 20 * ms || k === 2 ? 6 : 2;
    };
    let t = baseNs - 100 * ms;
    for (; t <= baseNs; t += ms) feed.push(t, powerAt(t));
    const sensor = new SampledSensor('test', 'measured', feed, { baselineMs: 20 });
    setTimeout(() => {
      for (; t <= baseNs + 2000 * ms; t += ms) feed.push(t, powerAt(t));
    }, 2);
    await sensor.open();
    const window = (k: number) => ({
      startNs: BigInt(windowStart(k)),
      endNs: BigInt(windowStart(k) + 20 * ms),
      cpuUs: 0,
    });
    for (let k = 0; k < 3; k++) await sensor.energyOf(window(k));
    sensor.interrupted();
    const after = await sensor.energyOf(window(3));
    // Gaps before windows 1 and 2 were idle; the busy one before window 3 is skipped.
    expect(sensor.baselineEstimate()).toMatchObject({ gaps: 2 });
    expect(after.baselineW).toBeCloseTo(2, 6);
    await sensor.close();
  });
});
