// An ONNX model in the agent's measurement path (agent/measure/runner.ts runServed): the window
// holds the inference and nothing else of the process. onnx-cpu runs synchronously through the
// native binding, so a timer or an immediate queued just before cannot run inside; onnx-wasm has
// no synchronous call, but its run awaits only promise jobs, which the same check shows. Both give
// the fixture's known answer through the agent's window planner.

import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServed } from '../../agent/measure/runner.js';
import { WindowPlanner } from '../../agent/measure/windows.js';
import { createSensor } from '../../agent/sensors/index.js';
import { loadRuntime, type Tf } from '../../runtime/backend.js';
import { loadServedModel, type OnnxServedModel } from '../../runtime/served.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/onnx/tiny/model.onnx', import.meta.url));
let tf: Tf;

beforeAll(async () => {
  tf = (await loadRuntime()).tf;
});

/** Runs one inference with a timer and an immediate queued just before; says whether either ran inside the window. */
async function intrudersInWindow(model: OnnxServedModel): Promise<{ intruders: string[]; output: number[] }> {
  const input = tf.fill([1, 28, 28, 1], 0.5);
  const seen: { what: string; atNs: bigint }[] = [];
  setTimeout(() => seen.push({ what: 'timeout', atNs: process.hrtime.bigint() }), 0);
  setImmediate(() => seen.push({ what: 'immediate', atNs: process.hrtime.bigint() }));
  // A timer due now: make sure it is due before the window starts.
  const until = performance.now() + 2;
  while (performance.now() < until) {
    // busy-wait, so the 0 ms timer is overdue when the run starts
  }
  const maybe = runServed(model, input);
  const run = maybe instanceof Promise ? await maybe : maybe;
  input.dispose();
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect(seen).toHaveLength(2);
  const intruders = seen
    .filter((s) => s.atNs > run.window.startNs && s.atNs < run.window.endNs)
    .map((s) => s.what);
  return { intruders, output: Array.from(run.output) };
}

describe.each([['onnx-cpu'], ['onnx-wasm']] as const)('%s in the measurement window', (backend) => {
  let model: OnnxServedModel;

  beforeAll(async () => {
    const loaded = await loadServedModel(FIXTURE, undefined, { onnxOrder: [backend] });
    if (loaded.format !== 'onnx') throw new Error('the fixture did not load as ONNX');
    model = loaded;
  });
  afterAll(() => model.dispose());

  it('runs on the backend asked for, synchronously only where the runtime allows', () => {
    expect(model.backend).toBe(backend);
    expect(model.onnx.runSync === undefined).toBe(backend === 'onnx-wasm');
    expect(model.inputShape).toEqual([28, 28, 1]);
    expect(model.outputSize).toBe(10);
  });

  it('no timer or immediate queued before the run executes inside its window (10 tries)', async () => {
    for (let i = 0; i < 10; i++) {
      const { intruders, output } = await intrudersInWindow(model);
      expect(intruders).toEqual([]);
      expect(output).toHaveLength(10);
    }
  });

  it('a window of the planner attributes energy to each inference and keeps the answer', async () => {
    const sensor = createSensor('simulated:rpi4');
    await sensor.open();
    const planner = new WindowPlanner(sensor);
    const input = tf.fill([1, 28, 28, 1], 0.5);
    const [inference] = await planner.measure(() => ({ run: runServed(model, input), label: null }), 1);
    input.dispose();
    await sensor.close();
    expect(inference?.energy.energyJ).toBeGreaterThan(0);
    expect(inference?.run.outputBytes).toBe(40);
    // The answer of the fixture for an all-0.5 input, from onnxruntime-node (test/runtime/onnx.test.ts checks the model itself).
    expect(inference?.run.argmax).toBe(9);
  });
});
