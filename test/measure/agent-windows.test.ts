// The agent with a real sampled sensor (INA219 driver in its worker, fake bus): short inferences
// are measured in batched windows, every inference gets a record, and the energies are the
// window's divided by N, with the sample count of that window.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentConfig } from '../../agent/agent.js';
import { WindowPlanner } from '../../agent/measure/windows.js';
import type { PowerSensor } from '../../agent/sensors/sensor.js';
import type { InferenceRecord } from '../../protocol/index.js';
import { agentConfig, demoModel, type Stack, startStack, tempDir } from '../support/stack.js';

const busModule = fileURLToPath(new URL('../sensors/support/fake-ina-module.ts', import.meta.url));
const dir = tempDir();
let modelPath = '';
let stack: Stack | undefined;

beforeAll(async () => {
  modelPath = await demoModel(dir.path);
  return () => dir.remove();
});

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

function config(brokerUrl: string, overrides: Partial<AgentConfig>): AgentConfig {
  return agentConfig(brokerUrl, modelPath, join(dir.path, 'state'), {
    fleet: 'test',
    device: 'pi4-ina',
    rate: 0,
    batchMax: 50,
    ...overrides,
  });
}

describe('agent with a sampled sensor', () => {
  it('measures short inferences in batched windows and records every inference', async () => {
    stack = await startStack(join(dir.path, 'ina.sqlite'));
    const agent = await Agent.start(
      config(stack.broker.url, {
        sensor: `ina219:rpi4:busModule=${busModule},periodMs=1,baselineMs=100`,
        count: 1500,
      }),
    );
    const sent: InferenceRecord[] = [];
    agent.onBatch((records) => sent.push(...records));
    await agent.finished();
    await agent.stop();

    expect(sent).toHaveLength(1500);
    expect(agent.windows.method).toBe('batched');
    expect(agent.windows.inferencesPerWindow).toBeGreaterThan(1);
    const batched = sent.slice(1);
    expect(batched.every((r) => r.provenance === 'measured' && r.sensor === 'ina219:rpi4')).toBe(true);
    // Records of one window share its energy per inference and its sample count.
    const windows = new Map<string, InferenceRecord[]>();
    for (const r of batched)
      windows.set(`${r.energyJ}/${r.sampleCount}`, [
        ...(windows.get(`${r.energyJ}/${r.sampleCount}`) ?? []),
        r,
      ]);
    expect(Math.max(...[...windows.values()].map((w) => w.length))).toBeGreaterThan(1);
    // The fake load draws 1.5 W to 3.5 W: a window's energy over the time from its first
    // inference's start to its last one's end is in that range.
    for (const records of windows.values()) {
      if (records.length < 10) continue;
      const energyJ = records.reduce((sum, r) => sum + r.energyJ, 0);
      const first = records[0];
      const last = records[records.length - 1];
      const seconds = ((last?.startUs ?? 0) + (last?.durationUs ?? 0) - (first?.startUs ?? 0)) / 1e6;
      expect(energyJ / seconds).toBeGreaterThan(1.4);
      expect(energyJ / seconds).toBeLessThan(3.6);
    }
    expect(agent.windows.medianPerInferenceJ).toBeGreaterThan(0);
  });
});

describe('WindowPlanner', () => {
  function fakeSensor(periodS: number | undefined, energyJ: number): PowerSensor & { windows: bigint[][] } {
    const windows: bigint[][] = [];
    return {
      label: 'fake',
      provenance: 'measured',
      samplePeriodS: periodS,
      windows,
      async open() {},
      async close() {},
      async energyOf(window) {
        windows.push([window.startNs, window.endNs]);
        return {
          energyJ,
          uncertaintyJ: energyJ / 100,
          baselineW: 1,
          sampleCount: 100,
          provenance: 'measured',
        };
      },
    };
  }

  function fakeRun(durationUs: number) {
    let t = 0n;
    return () => {
      const startNs = t;
      t += BigInt(durationUs * 1000);
      return {
        run: {
          window: { startNs, endNs: t, cpuUs: 0 },
          startUs: 0,
          inputBytes: 4,
          outputBytes: 4,
          argmax: 0,
          output: [1],
        },
        label: null,
      };
    };
  }

  it('keeps single windows for a sensor that does not sample', async () => {
    const planner = new WindowPlanner(fakeSensor(undefined, 1));
    const runOne = fakeRun(100);
    for (let i = 0; i < 3; i++) expect(await planner.measure(runOne)).toHaveLength(1);
    expect(planner.method).toBe('single');
  });

  it('moves to N back-to-back inferences after a first short one, dividing the window energy by N', async () => {
    const sensor = fakeSensor(1e-3, 0.5);
    const planner = new WindowPlanner(sensor);
    const runOne = fakeRun(250);
    expect(await planner.measure(runOne)).toHaveLength(1);
    const window = await planner.measure(runOne);
    expect(window).toHaveLength(400);
    expect(window[0]?.method).toBe('batched');
    expect(window[0]?.windowInferences).toBe(400);
    expect(window[0]?.energy.energyJ).toBeCloseTo(0.5 / 400, 15);
    expect(window[0]?.energy.uncertaintyJ).toBeCloseTo(0.005 / 400, 15);
    expect(sensor.windows[1]).toEqual([250_000n, 250_000n + 400n * 250_000n]);
  });

  it('never runs more inferences than the budget left', async () => {
    const planner = new WindowPlanner(fakeSensor(1e-3, 0.5));
    const runOne = fakeRun(250);
    await planner.measure(runOne);
    expect(await planner.measure(runOne, 7)).toHaveLength(7);
  });
});
