// An MLPerf Tiny energy-mode run against the emulated bench (LPM01A + DUT speaking their real
// protocols over socat pseudo-terminals): the runner's rules applied, each window's energy within
// 0.1 % of the emulated truth, the results folder read back by `measure replay`'s reader to the
// same median; lost samples and a silent DUT reported, never integrated or waited on forever.

import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readMlperfRun, replayMlperfRun } from '../../agent/measure/mlperf.js';
import { runEnergyMode } from '../../firmware-bridge/mlperf/energy-run.js';
import { runPerformanceMode } from '../../firmware-bridge/mlperf/performance-run.js';
import { writeResultsFolder } from '../../firmware-bridge/mlperf/results-folder.js';
import { connectDrivers, startBench } from '../support/mlperf-bench.js';
import { tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

const INPUT = Uint8Array.from({ length: 490 }, (_, i) => (i * 37) % 256); // a kws01-sized input

describeWith(['socat'], 'MLPerf Tiny energy mode through the bridge drivers', () => {
  it('follows the runner: 5 windows of at least 10 s, energy within 0.1 % of truth, a results folder replay reads', async () => {
    const dir = tempDir('edgewatt-mlperf-');
    const bench = await startBench(dir.path, [
      '--speed',
      '40',
      '--infer-ms',
      '40',
      '--active-mw',
      '45',
      '--idle-mw',
      '6',
    ]);
    const drivers = connectDrivers(bench);
    try {
      await expect.poll(() => drivers.lpmPort.isOpen && drivers.dutPort.isOpen).toBe(true);
      await drivers.lpm.setup({ voltageMv: 1800, freqHz: 1000 });
      await drivers.lpm.start();
      const run = await runEnergyMode(drivers.lpm, drivers.dut, { input: INPUT, warmup: 2 });
      await drivers.lpm.stop();
      await drivers.lpm.teardown();

      expect(run.dut).toEqual({
        name: 'edgewatt-emulator',
        profile: 'ULPMark for tinyML Firmware V0.0.1',
        model: 'kws01',
      });
      expect(run.valid, run.problems.join('; ')).toBe(true);
      expect(run.windows).toHaveLength(5);
      const truth = bench.truth();
      for (const w of run.windows) {
        expect(w.endS - w.startS).toBeGreaterThanOrEqual(10);
        // Emulator windows: 1 = calibration, then 2..6 for ours numbered 2, 4, ..., 10.
        const t = truth.find((x) => x.window === w.window / 2 + 1);
        expect(Math.abs(w.energyJ / (t?.energyJ ?? Number.NaN) - 1)).toBeLessThan(0.001);
        expect(w.energyPerInferenceJ * 1e6).toBeGreaterThan(45 * 40 * 0.98); // 45 mW × 40 ms = 1800 µJ
        expect(w.energyPerInferenceJ * 1e6).toBeLessThan(45 * 40 * 1.02);
      }
      const folder = join(dir.path, 'run');
      writeResultsFolder(folder, run);
      const replay = replayMlperfRun(readMlperfRun(folder));
      expect(replay.windows.map((w) => w.window)).toEqual([2, 4, 6, 8, 10]);
      expect(Math.abs(replay.medianPerInferenceUj / (run.medianEnergyPerInferenceJ * 1e6) - 1)).toBeLessThan(
        1e-5,
      );
      expect(Math.abs(replay.relativeDifference ?? 1)).toBeLessThan(1e-5);
    } finally {
      await drivers.stop();
      await bench.stop();
      dir.remove();
    }
  }, 60_000);

  it('marks a run with lost samples not valid, naming the windows and the seconds', async () => {
    const dir = tempDir('edgewatt-mlperf-loss-');
    const bench = await startBench(dir.path, ['--speed', '40', '--drop-sample-every', '7919']);
    const drivers = connectDrivers(bench);
    try {
      await expect.poll(() => drivers.lpmPort.isOpen && drivers.dutPort.isOpen).toBe(true);
      await drivers.lpm.setup({ voltageMv: 3300, freqHz: 1000 });
      await drivers.lpm.start();
      const run = await runEnergyMode(drivers.lpm, drivers.dut, { input: INPUT, warmup: 1, minWindowS: 10 });
      expect(run.valid).toBe(false);
      expect(run.problems.join('\n')).toMatch(/without exactly 1000 samples \(samples lost\)/);
      expect(drivers.lpm.counters.missingSamples).toBeGreaterThan(0);
    } finally {
      await drivers.stop();
      await bench.stop();
      dir.remove();
    }
  }, 60_000);

  it('times out on a DUT that stops answering, saying so, and stays usable', async () => {
    const dir = tempDir('edgewatt-mlperf-hang-');
    const bench = await startBench(dir.path, ['--dut-hang-after-commands', '1']);
    const drivers = connectDrivers(bench);
    try {
      await expect.poll(() => drivers.dutPort.isOpen).toBe(true);
      expect(await drivers.dut.handshake()).toBe('edgewatt-emulator');
      await expect(drivers.dut.send('profile', 300)).rejects.toThrow(
        /did not finish "profile%" with m-ready within 300 ms/,
      );
      expect(drivers.dut.counters.timeouts).toBe(1);
      await expect(drivers.dut.send('profile', 200)).rejects.toThrow(/within 200 ms/);
    } finally {
      await drivers.stop();
      await bench.stop();
      dir.remove();
    }
  }, 30_000);

  it('performance mode: m-lap-us timestamps, 5 windows of at least 10 s, the median latency; a short window is error 2', async () => {
    const dir = tempDir('edgewatt-mlperf-perf-');
    const bench = await startBench(dir.path, ['--mode', 'performance', '--speed', '40', '--infer-ms', '25']);
    const drivers = connectDrivers(bench);
    try {
      await expect.poll(() => drivers.dutPort.isOpen).toBe(true);
      const run = await runPerformanceMode(drivers.dut, { input: INPUT, warmup: 1 });
      expect(run.valid, run.problems.join('; ')).toBe(true);
      expect(run.windows).toHaveLength(5);
      expect(run.medianLatencyMs).toBeCloseTo(25, 6); // the emulated 25 ms, in emulated time
      const short = await runPerformanceMode(drivers.dut, {
        input: INPUT,
        warmup: 0,
        inferencesPerWindow: 20,
        windows: 4,
      });
      expect(short.valid).toBe(false);
      expect(short.problems.join('\n')).toMatch(/error 1: 4 windows/);
      expect(short.problems.join('\n')).toMatch(/error 2: window 2 ran 0.500 s/);
    } finally {
      await drivers.stop();
      await bench.stop();
      dir.remove();
    }
  }, 60_000);
});
