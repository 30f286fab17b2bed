// `edgewatt bridge --monitor lpm01a:<port> --dut <port>` as a user runs it against the emulated
// MLPerf Tiny bench: one energy-mode run, its windows published as batched records through real
// Mosquitto into SQLite, its results folder written where `measure replay` reads it. A run that
// writes no results folder (a DUT that stops answering) ends the bridge with an error naming it.

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readMlperfRun, replayMlperfRun } from '../../agent/measure/mlperf.js';
import { startBench } from '../support/mlperf-bench.js';
import { type MosquittoStack, startMosquittoStack } from '../support/mosquitto-stack.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith } from '../support/tools.js';
import { runLabBridge } from './bridge-process.js';

describeWith(['socat', 'mosquitto'], 'edgewatt bridge with an LPM01A and an MLPerf Tiny DUT', () => {
  const dir = tempDir('edgewatt-bridge-mlperf-');
  let stack: MosquittoStack;
  beforeAll(async () => {
    stack = await startMosquittoStack(dir.path, { sqliteFile: 'mlperf.sqlite' });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    dir.remove();
  });

  it('runs one energy-mode run, publishes every window, writes a results folder, and exits by itself', async () => {
    const bench = await startBench(dir.path, ['--speed', '40', '--infer-ms', '40', '--active-mw', '45']);
    const results = join(dir.path, 'results');
    try {
      const bridge = runLabBridge({
        ...{ broker: stack.mosquitto.url, device: 'nucleo-01', monitor: `lpm01a:${bench.lpmPair.host}` },
        dir: dir.path,
        extra: ['--dut', bench.dutPair.host, '--voltage-mv', '1800', '--runs', '1', '--results-dir', results],
      });
      const { code } = await bridge.exited;
      expect(code, bridge.stderr() + bridge.stdout()).toBe(0);
      const [folder] = readdirSync(results);
      const replay = replayMlperfRun(readMlperfRun(join(results, folder ?? '')));
      expect(replay.windows).toHaveLength(5);
      const perWindow = replay.windows[0]?.inferences ?? 0;
      expect(perWindow).toBeGreaterThan(200); // calibrated to reach 10 s at 40 ms per inference
      await waitFor(
        'every inference of the 5 windows',
        () => stack.sqlite.count({ device: 'nucleo-01' }) >= 5 * perWindow,
        20_000,
      );
      expect(stack.sqlite.count({ device: 'nucleo-01' })).toBe(5 * perWindow);
      const records = [];
      for await (const r of stack.sqlite.readRecords({ device: 'nucleo-01' })) records.push(r);
      for (const r of records) {
        expect(r.method).toBe('batched');
        expect(r.windowInferences).toBe(perWindow);
        expect(r.sensor).toBe('lpm01a');
        expect(r.energyJ * 1e6).toBeGreaterThan(1800 * 0.98);
        expect(r.energyJ * 1e6).toBeLessThan(1800 * 1.02);
        expect(r.energyUncertaintyJ / r.energyJ).toBeCloseTo(0.02, 3);
      }
      // The records carry what the results folder says, window by window.
      const stored = new Set(records.map((r) => Math.round(r.energyJ * 1e9)));
      for (const w of replay.windows)
        expect(stored.has(Math.round((w.energyPerInferenceUj / 1e6) * 1e9))).toBe(true);
    } finally {
      await bench.stop();
    }
  }, 90_000);

  it('fails, naming the missing results folder, when its one run writes none (a DUT that stops answering)', async () => {
    const benchDir = join(dir.path, 'hang');
    mkdirSync(benchDir);
    const bench = await startBench(benchDir, ['--dut-hang-after-commands', '1']);
    const results = join(benchDir, 'results');
    try {
      const bridge = runLabBridge({
        ...{ broker: stack.mosquitto.url, device: 'nucleo-02', monitor: `lpm01a:${bench.lpmPair.host}` },
        dir: benchDir,
        extra: ['--dut', bench.dutPair.host, '--runs', '1', '--results-dir', results],
      });
      const { code } = await bridge.exited;
      const output = bridge.stderr() + bridge.stdout();
      expect(code, output).not.toBe(0);
      expect(output).toContain(`--runs 1: 1 energy run(s) wrote no results folder in ${results}`);
      expect(output).toMatch(/run 1: DUT did not finish "profile%" with m-ready/);
      expect(existsSync(results) ? readdirSync(results) : []).toEqual([]);
    } finally {
      await bench.stop();
    }
  }, 60_000);
});
