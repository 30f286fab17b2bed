// The window planner's two ways of closing a window: at once, when every run of the window was
// synchronous and the sensor knows the energy at the window's end (the simulated sensor's
// energyNow), and through the sensor's promise otherwise (a sampled sensor waits for the sample
// after the window's end; an onnx-wasm run is awaited). Both attribute the same energy.

import { describe, expect, it } from 'vitest';
import type { InferenceRun } from '../../agent/measure/runner.js';
import { WindowPlanner } from '../../agent/measure/windows.js';
import type { PowerSensor } from '../../agent/sensors/sensor.js';
import { SimulatedSensor } from '../../agent/sensors/simulated.js';
import { boardById } from '../../protocol/boards/index.js';

/** A run of 2 ms wall time and 1.5 ms CPU time, starting `atMs` after an arbitrary origin. */
function run(atMs: number): InferenceRun {
  const startNs = BigInt(Math.round(atMs * 1e6)) + 1_000_000_000n;
  return {
    window: { startNs, endNs: startNs + 2_000_000n, cpuUs: 1500 },
    startUs: 1_700_000_000_000_000 + atMs * 1000,
    inputBytes: 3136,
    outputBytes: 40,
    argmax: 3,
    output: new Float32Array(10),
  };
}

/** The simulated sensor without energyNow: only the promise, as a sampled sensor has. */
function promiseOnly(sensor: SimulatedSensor): PowerSensor {
  return {
    label: sensor.label,
    provenance: sensor.provenance,
    open: () => sensor.open(),
    close: () => sensor.close(),
    energyOf: (window) => sensor.energyOf(window),
  };
}

describe('WindowPlanner', () => {
  const simulated = new SimulatedSensor(boardById('rpi4'));

  it('closes a window of synchronous runs at once with a sensor that has energyNow (a value, not a promise)', () => {
    const planner = new WindowPlanner(simulated);
    const measured = planner.measure(() => ({ run: run(0), label: 7 }), 1);
    expect(Array.isArray(measured)).toBe(true);
    const [inference] = measured as Exclude<typeof measured, Promise<unknown>>;
    expect(inference?.label).toBe(7);
    expect(inference?.energy).toEqual(simulated.estimate(run(0).window));
    expect(inference?.method).toBe('single');
    expect(planner.windows).toBe(1);
    expect(planner.medianPerInferenceJ).toBe(inference?.energy.energyJ);
  });

  it('goes through the promise without energyNow, with the same attributed energy', async () => {
    const planner = new WindowPlanner(promiseOnly(simulated));
    const measured = planner.measure(() => ({ run: run(0), label: null }), 1);
    expect(measured).toBeInstanceOf(Promise);
    const [inference] = await measured;
    expect(inference?.energy).toEqual(simulated.estimate(run(0).window));
    expect(planner.windows).toBe(1);
  });

  it('awaits a run that answers with a promise (onnx-wasm), then closes the window the same way', async () => {
    const planner = new WindowPlanner(simulated);
    const measured = planner.measure(() => ({ run: Promise.resolve(run(0)), label: 1 }), 1);
    expect(measured).toBeInstanceOf(Promise);
    const [inference] = await measured;
    expect(inference?.energy).toEqual(simulated.estimate(run(0).window));
    expect(inference?.label).toBe(1);
  });

  it('plans N from the last window before the next one starts (a short inference on a sampling sensor: batched)', async () => {
    // A sensor sampling every 1 ms: a 2 ms inference spans 2 periods, fewer than a single window needs.
    const sampling: PowerSensor = { ...promiseOnly(simulated), samplePeriodS: 0.001 };
    const planner = new WindowPlanner(sampling);
    let runs = 0;
    const runOne = () => ({ run: run(2 * runs++), label: null });
    expect(await planner.measure(runOne)).toHaveLength(1);
    expect(planner.inferencesPerWindow).toBe(50); // 100 periods of 1 ms over 2 ms inferences
    expect(planner.method).toBe('batched');
    const second = await planner.measure(runOne);
    expect(second).toHaveLength(50);
    expect(runs).toBe(51);
    expect(second[0]?.windowInferences).toBe(50);
    expect(planner.windows).toBe(2);
  });

  it('measureOne closes a window of one synchronous run at once, attributed as measure() attributes it', () => {
    const one = new WindowPlanner(simulated);
    const measured = one.measureOne(run(0), 7);
    expect(measured).not.toBeInstanceOf(Promise);
    const inference = measured as Exclude<typeof measured, Promise<unknown>>;
    const [viaMeasure] = new WindowPlanner(simulated).measure(
      () => ({ run: run(0), label: 7 }),
      1,
    ) as Exclude<ReturnType<WindowPlanner['measure']>, Promise<unknown>>;
    expect(inference).toEqual(viaMeasure);
    expect(one.windows).toBe(1);
    expect(one.medianPerInferenceJ).toBe(inference.energy.energyJ);
  });

  it('measureOne goes through the promise for a sampled sensor and for a run that is a promise (onnx-wasm)', async () => {
    const sampled = new WindowPlanner(promiseOnly(simulated)).measureOne(run(0), null);
    expect(sampled).toBeInstanceOf(Promise);
    expect((await sampled).energy).toEqual(simulated.estimate(run(0).window));
    const wasm = new WindowPlanner(simulated).measureOne(Promise.resolve(run(0)), 1);
    expect(wasm).toBeInstanceOf(Promise);
    expect((await wasm).label).toBe(1);
  });

  it('keeps the median over the newest 101 windows only, whichever way they were measured', () => {
    const planner = new WindowPlanner(simulated);
    const energies: number[] = [];
    // Windows of growing length: each has more energy than the one before.
    for (let i = 0; i < 250; i++) {
      const longer = run(10 * i);
      longer.window = { ...longer.window, endNs: longer.window.startNs + BigInt(1_000_000 + i * 10_000) };
      const measured =
        i % 2 === 0
          ? planner.measureOne(longer, null)
          : planner.measure(() => ({ run: longer, label: null }), 1);
      const [inference] = [measured].flat() as { energy: { energyJ: number } }[];
      energies.push(inference?.energy.energyJ ?? Number.NaN);
      if (i % 3 === 0) planner.settle(); // folding early (after an answer) changes nothing
    }
    const newest = energies.slice(-101).sort((a, b) => a - b);
    expect(planner.medianPerInferenceJ).toBe(newest[50]);
    expect(planner.windows).toBe(250);
  });
});
