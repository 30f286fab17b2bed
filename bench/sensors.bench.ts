// `npm run bench:sensors`: the agent's own cost of measuring. (1) CPU time of sampling an INA219
// at 1 kHz in the worker thread, against a fake I2C bus (the driver, the ring buffer and the
// scheduling are real; the chip is test/sensors/support/fake-ina-module.ts), as % of one core.
// (2) Inference latency of the demo model with that sampling on and off, in alternating blocks.

import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { median } from '../agent/measure/integrate.js';
import { runInference } from '../agent/measure/runner.js';
import { createSensor } from '../agent/sensors/index.js';
import type { SampledSensor } from '../agent/sensors/sampled-sensor.js';
import { writeDemoModel } from '../models/demo/demo-cnn.js';
import { loadRuntime } from '../runtime/backend.js';
import { randomInputPool } from '../runtime/inputs.js';
import { loadModel } from '../runtime/model.js';
import { machineLine } from './machine.js';

const busModule = fileURLToPath(new URL('../test/sensors/support/fake-ina-module.ts', import.meta.url));
const SPEC = `ina219:busModule=${busModule},periodMs=1,baselineMs=0`;
const CPU_SECONDS = 5;
/** CPU windows per figure; the median and range are printed. */
const CPU_WINDOWS = 6;
/** A fresh worker spends its first seconds compiling and tiering up; an agent samples for hours. */
const WARM_UP_MS = 15_000;
const BLOCKS = 20;
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
async function cpuShares(windows: number, seconds: number): Promise<number[]> {
  const shares: number[] = [];
  for (let i = 0; i < windows; i++) shares.push(await cpuShare(seconds));
  return shares.sort((a, b) => a - b);
}

const pct = (share: number) => `${(share * 100).toFixed(2)} %`;
const range = (shares: number[]) => `${pct(shares[0] ?? 0)}–${pct(shares.at(-1) ?? 0)}`;

async function wakeLoopFloor(windows: number, seconds: number): Promise<number[]> {
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
  await sleep(WARM_UP_MS);
  const shares = await cpuShares(windows, seconds);
  Atomics.store(new Int32Array(shared), 0, 1);
  Atomics.notify(new Int32Array(shared), 0);
  await once(worker, 'exit');
  return shares;
}

/** The same floor in C (bench/native/wake-floor.c), when a C compiler is here; else undefined. */
function nativeWakeFloor(windows: number, seconds: number): number[] | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'edgewatt-bench-wake-'));
  try {
    const binary = join(dir, 'wake-floor');
    execFileSync('cc', [
      '-O2',
      '-o',
      binary,
      fileURLToPath(new URL('./native/wake-floor.c', import.meta.url)),
    ]);
    const shares: number[] = [];
    for (let i = 0; i < windows; i++)
      shares.push(Number(execFileSync(binary, [String(seconds)], { encoding: 'utf8' }).trim()));
    return shares.sort((a, b) => a - b);
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function samplingOverhead(): Promise<void> {
  await sleep(3000); // the bench's own start-up (imports, JIT) settles
  const idle = median(await cpuShares(3, CPU_SECONDS));
  const sensor = createSensor(SPEC) as SampledSensor;
  await sensor.open();
  await sleep(WARM_UP_MS);
  const writtenBefore = sensor.ring.written;
  const threadCpuBeforeS = sensor.ring.writerCpuS;
  const started = performance.now();
  const busy = (await cpuShares(CPU_WINDOWS, CPU_SECONDS)).map((share) => share - idle);
  const elapsedS = (performance.now() - started) / 1000;
  const rateHz = (sensor.ring.written - writtenBefore) / elapsedS;
  const threadShare = (sensor.ring.writerCpuS - threadCpuBeforeS) / elapsedS;
  await sensor.close();
  const floor = (await wakeLoopFloor(CPU_WINDOWS, CPU_SECONDS)).map((share) => share - idle);
  console.log(
    `sampling INA219 (fake bus) in a worker: ${rateHz.toFixed(0)} samples/s, CPU ${pct(median(busy))} of one core, median of ${CPU_WINDOWS} × ${CPU_SECONDS} s after a ${WARM_UP_MS / 1000} s warm-up (range ${range(busy)}; process CPU minus the idle process's ${pct(idle)}; target ≤ 3 %)`,
  );
  console.log(
    `  the sampling thread alone (its own CPU time, /proc/thread-self/schedstat): ${pct(threadShare)} of one core`,
  );
  console.log(
    `  the floor, a worker thread that only wakes at 1 kHz and does nothing: ${pct(median(floor))} of one core (range ${range(floor)})`,
  );
  const native = nativeWakeFloor(CPU_WINDOWS, CPU_SECONDS);
  console.log(
    native === undefined
      ? '  the native floor was not measured: no C compiler (cc) here'
      : `  the native floor, a C thread that only wakes at 1 kHz (clock_nanosleep): ${pct(median(native))} of one core (range ${range(native)})`,
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
        await sleep(300); // the fresh worker's start-up is not steady-state sampling
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
