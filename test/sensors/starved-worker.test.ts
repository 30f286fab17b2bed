// A sampling worker starved of CPU (a loaded machine) is late with the sample that closes a window:
// the window waits for it, is interpolated to it and counts it, rather than holding the last value
// with 0 samples. A worker that runs but whose reads fail still ends the wait after a few periods.

import { expect, it } from 'vitest';
import { SampledSensor, STARVED_WAIT_MS } from '../../agent/sensors/sampled-sensor.js';
import { ManualFeed } from './support/manual-feed.js';

const PERIOD_MS = 10; // the usual wait for the closing sample: 5 periods, 50 ms
const ms = (x: number) => x * 1e6;

async function openSensor(): Promise<{ feed: ManualFeed; sensor: SampledSensor }> {
  const feed = ManualFeed.power(PERIOD_MS);
  feed.push(0, 2);
  feed.push(ms(100), 2);
  const sensor = new SampledSensor('manual', 'measured', feed, { baselineMs: 0 });
  await sensor.open();
  return { feed, sensor };
}

const window = { startNs: BigInt(ms(200)), endNs: BigInt(ms(230)), cpuUs: 0 };

it('waits for the closing sample of a starved worker and interpolates to it (none inside: 0 samples)', async () => {
  const { feed, sensor } = await openSensor();
  // The worker is descheduled from 100 ms to 260 ms: its next sample comes 300 ms after the window.
  const late = setTimeout(() => feed.push(ms(260), 4), 300);
  try {
    const energy = await sensor.energyOf(window);
    // Power is interpolated from 2 W at 100 ms to 4 W at 260 ms: 3.25 W at 200 ms, 3.625 W at 230 ms.
    expect(energy.energyJ).toBeCloseTo(((3.25 + 3.625) / 2) * 0.03, 9);
    expect(energy.sampleCount).toBe(0);
    expect(sensor.uncoveredWindows).toBe(0);
  } finally {
    clearTimeout(late);
    await sensor.close();
  }
});

it('ends the wait after the usual few periods when the worker runs but its reads fail', async () => {
  const { feed, sensor } = await openSensor();
  // The worker tried reads until 60 ms past the window's end (beyond the 50 ms limit): no sample.
  feed.ring.attemptedNs = ms(230 + 60);
  const t0 = performance.now();
  const energy = await sensor.energyOf(window);
  expect(performance.now() - t0).toBeLessThan(STARVED_WAIT_MS / 2);
  expect(energy.energyJ).toBeCloseTo(2 * 0.03, 9); // the last value held
  expect(energy.sampleCount).toBe(0);
  expect(sensor.uncoveredWindows).toBe(1);
  await sensor.close();
});

it('does not wait for a worker that exited: the usual short wait, then the last value held', async () => {
  const { feed, sensor } = await openSensor();
  // The worker had not tried a read past the window (it looks starved), but it is gone.
  feed.running = false;
  const t0 = performance.now();
  const energy = await sensor.energyOf(window);
  expect(performance.now() - t0).toBeLessThan(STARVED_WAIT_MS / 2);
  expect(energy.sampleCount).toBe(0);
  expect(sensor.uncoveredWindows).toBe(1);
  await sensor.close();
});
