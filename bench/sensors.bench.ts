// `npm run bench:sensors`: the agent's own cost of measuring. (1) CPU time of sampling an INA219
// at 1 kHz in the worker thread, against a fake I2C bus (the driver, the ring buffer and the
// scheduling are real; the chip is test/sensors/support/fake-ina-module.ts), as % of one core.
// (2) Inference latency of the demo model with that sampling on and off, in alternating blocks.

import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { median } from '../agent/measure/integrate.js';
import { runInference } from '../agent/measure/runner.js';
import { loadRuntime } from '../agent/runtime/backend.js';
import { randomInputPool } from '../agent/runtime/inputs.js';
import { loadModel } from '../agent/runtime/model.js';
import { createSensor } from '../agent/sensors/index.js';
import type { SampledSensor } from '../agent/sensors/sampled-sensor.js';
import { writeDemoModel } from '../models/demo/demo-cnn.js';
import { machineLine } from './machine.js';

const busModule = fileURLToPath(new URL('../test/sensors/support/fake-ina-module.ts', import.meta.url));
const SPEC = `ina219:busModule=${busModule},periodMs=1,baselineMs=0`;
const CPU_SECONDS = 5;
const BLOCKS = 10;
const PER_BLOCK = 200;

function cpuShare(seconds: number): Promise<number> {
  const before = process.cpuUsage();
  const start = performance.now();
  return sleep(seconds * 1000).then(() => {
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000 / (performance.now() - start);
  });
}

/** The floor: a worker that only wakes at 1 kHz (Atomics.wait) and counts, nothing else. */
async function wakeLoopFloor(seconds: number): Promise<number> {
  const shared = new SharedArrayBuffer(8);
  const code = `const { workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData);
let next = Number(process.hrtime.bigint());
while (Atomics.load(ctl, 0) === 0) {
  ctl[1]++;
  next += 1e6;
  const ms = (next - Number(process.hrtime.bigint())) / 1e6;
  if (ms > 0) Atomics.wait(ctl, 0, 0, ms);
}`;
  const worker = new Worker(code, { eval: true, workerData: shared });
  await sleep(200);
  const share = await cpuShare(seconds);
  Atomics.store(new Int32Array(shared), 0, 1);
  Atomics.notify(new Int32Array(shared), 0);
  await once(worker, 'exit');
  return share;
}

async function samplingOverhead(): Promise<void> {
  const idle = await cpuShare(CPU_SECONDS);
  const sensor = createSensor(SPEC) as SampledSensor;
  await sensor.open();
  const writtenBefore = sensor.ring.written;
  const started = performance.now();
  const busy = await cpuShare(CPU_SECONDS);
  const rateHz = ((sensor.ring.written - writtenBefore) * 1000) / (performance.now() - started);
  await sensor.close();
  const floor = await wakeLoopFloor(CPU_SECONDS);
  console.log(
    `sampling INA219 (fake bus) in a worker: ${rateHz.toFixed(0)} samples/s, CPU ${((busy - idle) * 100).toFixed(2)} % of one core (process ${(busy * 100).toFixed(2)} % minus idle ${(idle * 100).toFixed(2)} %; target ≤ 3 %)`,
  );
  console.log(
    `  of which the floor, a worker thread that only wakes at 1 kHz and does nothing: ${((floor - idle) * 100).toFixed(2)} % of one core`,
  );
}

async function latencyWithAndWithout(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'edgewatt-bench-sensors-'));
  try {
    const runtime = await loadRuntime('wasm');
    const model = await loadModel(runtime.tf, await writeDemoModel(runtime.tf, join(dir, 'demo-cnn')));
    const inputs = randomInputPool(runtime.tf, model.inputShape, 1);
    const run = () => {
      const { window } = runInference(model, inputs.next().input);
      return Number(window.endNs - window.startNs) / 1000;
    };
    for (let i = 0; i < 100; i++) run(); // warm-up
    const sensor = createSensor(SPEC) as SampledSensor;
    await sensor.open();
    const off: number[] = [];
    const on: number[] = [];
    let sampling = true;
    // Alternate blocks so drift (thermal, other load) falls on both sides equally.
    for (let block = 0; block < 2 * BLOCKS; block++) {
      if (block % 2 === 0 && sampling) {
        await sensor.close();
        sampling = false;
      } else if (block % 2 === 1 && !sampling) {
        await sensor.open();
        sampling = true;
      }
      const into = sampling ? on : off;
      for (let i = 0; i < PER_BLOCK; i++) {
        into.push(run());
        if (i % 20 === 0) await sleep(0);
      }
    }
    await sensor.close();
    inputs.dispose();
    model.dispose();
    const offUs = median(off);
    const onUs = median(on);
    console.log(
      `demo model (${runtime.backend}) latency, median of ${off.length}: sampling off ${offUs.toFixed(1)} µs, on ${onUs.toFixed(1)} µs, ratio ${(onUs / offUs).toFixed(3)} (target ≤ 1.02)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`machine: ${machineLine()}`);
await samplingOverhead();
await latencyWithAndWithout();
