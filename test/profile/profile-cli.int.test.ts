// `edgewatt profile` as a process: against the simulated sensor (an estimate, said so) and against
// a replayed constant 3.000 W trace, whose answer is known: every window's energy is 3 W × its
// wall time, so the gross energy per inference is 3 W × the time per inference and nothing is
// above idle.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { boardById } from '../../protocol/boards/index.js';
import { BIN, runCli } from '../support/process.js';
import { describeWith } from '../support/tools.js';

const MODEL = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));
const TRACE = fileURLToPath(new URL('../fixtures/traces/constant-3w.csv', import.meta.url));
const TRACE_W = 3;
const ONNX = fileURLToPath(new URL('../fixtures/onnx/tiny/model.onnx', import.meta.url));

async function profile(args: string[]) {
  const run = runCli(['profile', MODEL, '--warmup', '10', ...args]);
  const { code } = await run.exited;
  expect(code, run.stderr()).toBe(0);
  return run;
}

describe('edgewatt profile (process)', () => {
  it('without a sensor says plainly that it estimates, and prints latency, energy and the cost per day', async () => {
    const run = await profile(['--count', '40', '--rate-per-day', '86400', '--grid-grams-per-kwh', '300']);
    const out = run.stdout();
    expect(out).toContain('ENERGY IS ESTIMATED, NOT MEASURED');
    expect(out).toContain('rpi4 board profile');
    expect(out).toMatch(/latency\s+p50 \d+\.\d{3} ms\s+p95 \d+\.\d{3} ms/);
    expect(out).toMatch(/energy\/inference\s+[\d.]+ [mµ]?J\s+\(95 % interval .+\)\s+gross/);
    expect(out).toMatch(/per day\s+86400 inferences: .+ Wh gross, .+ Wh above idle \(estimated\)/);
    expect(out).toMatch(/carbon per day\s+.+ gCO2e gross, .+ at 300 gCO2e\/kWh/);
    // Not a TTY: no progress bar in the output.
    expect(run.stderr()).not.toContain('profiling [');
  });

  it('--json against the simulated sensor: figures within the board profile’s power range', async () => {
    const run = await profile(['--count', '40', '--sensor', 'simulated:rpi4', '--json']);
    const summary = JSON.parse(run.stdout());
    expect(summary.inferences).toBe(40);
    expect(summary.windows).toBe(40);
    expect(summary.estimated).toBe(true);
    expect(summary.provenance).toBe('estimated');
    expect(summary.latencyMs.p95).toBeGreaterThanOrEqual(summary.latencyMs.p50);
    // Single windows: the window's time is the latency, and the estimate's power lies between the
    // board's idle and load power (scaled to the board's time by its speed factor).
    const rpi4 = boardById('rpi4');
    const powerW = summary.energyPerInference.gross.meanJ / (summary.timePerInferenceMs / 1000);
    const speed = rpi4.hostSpeedFactor.central;
    expect(powerW).toBeGreaterThanOrEqual(rpi4.idleW.central * speed * 0.999);
    expect(powerW).toBeLessThanOrEqual(rpi4.loadW.central * speed * 1.001);
    expect(summary.energyPerInference.aboveIdle.meanJ).toBeGreaterThanOrEqual(0);
    expect(summary.energyPerInference.gross.lowJ).toBeLessThan(summary.energyPerInference.gross.meanJ);
    expect(summary.perDay).toBeUndefined();
  });

  it('against a replayed 3 W trace: gross energy per inference within 1 % of 3 W × time, above idle ≈ 0', async () => {
    const run = await profile(['--duration', '4', '--sensor', `replay:file=${TRACE}`, '--json']);
    const summary = JSON.parse(run.stdout());
    expect(summary.sensor).toBe('replay');
    expect(summary.method).toBe('batched');
    expect(summary.samplesPerWindow.min).toBeGreaterThanOrEqual(20);
    expect(summary.windows).toBeGreaterThanOrEqual(2);
    const knownJ = TRACE_W * (summary.timePerInferenceMs / 1000);
    expect(Math.abs(summary.energyPerInference.gross.meanJ / knownJ - 1)).toBeLessThan(0.01);
    expect(summary.baselineW).toBeCloseTo(TRACE_W, 6);
    expect(Math.abs(summary.energyPerInference.aboveIdle.meanJ)).toBeLessThan(knownJ * 0.01);
  });

  it('profiles an ONNX model on onnxruntime (onnx-cpu), against the replayed trace within 1 %', async () => {
    const run = runCli([
      'profile',
      ONNX,
      '--warmup',
      '10',
      '--duration',
      '2',
      '--sensor',
      `replay:file=${TRACE}`,
      '--json',
    ]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    const summary = JSON.parse(run.stdout());
    expect(summary.backend).toBe('onnx-cpu');
    expect(summary.model.format).toBe('onnx');
    expect(summary.model.inputShape).toEqual([28, 28, 1]);
    expect(summary.inferences).toBeGreaterThan(0);
    const knownJ = TRACE_W * (summary.timePerInferenceMs / 1000);
    expect(Math.abs(summary.energyPerInference.gross.meanJ / knownJ - 1)).toBeLessThan(0.01);
  });

  it('refuses a sensor it does not know, naming the known ones', async () => {
    const run = runCli(['profile', MODEL, '--sensor', 'nosuch:rpi4']);
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toMatch(/--sensor "nosuch:rpi4" is not known/);
  });
});

describeWith(['script'], 'edgewatt profile on a terminal', () => {
  it('draws a progress bar on stderr when stderr is a TTY, and still prints the summary', async () => {
    // script(1) runs the command on a pseudo-terminal; stdout goes to a pipe inside it.
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} profile ${JSON.stringify(MODEL)} --count 100 --warmup 5 | cat`;
    const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, EDGEWATT_LOG_LEVEL: 'warn' },
    });
    expect(stdout).toMatch(/profiling \[[=-]+\] \d+\/100 inferences/);
    expect(stdout).toContain('ENERGY IS ESTIMATED, NOT MEASURED');
  });
});
