// An MLPerf Tiny performance-mode run (the DUT at 115,200 baud, no power monitor): the DUT prints
// `m-lap-us-<µs>` at the start and end of each timed window. The runner's rules: exactly 5
// windows ("error 1") each lasting at least 10 s ("error 2"); the figure is the median latency.

import type { DutDriver } from '../devices/mlperf-dut/driver.js';
import { median, RUNNER_MIN_WINDOW_S, RUNNER_WINDOWS } from './energy-run.js';

export interface PerformanceWindow {
  window: number;
  inferences: number;
  runtimeS: number;
  latencyMs: number;
}

export interface PerformanceRun {
  windows: PerformanceWindow[];
  medianLatencyMs: number;
  throughputPerS: number;
  valid: boolean;
  problems: string[];
}

async function timedInfer(dut: DutDriver, count: number, warmup: number, timeoutMs: number): Promise<number> {
  const { lapUs } = await dut.infer(count, warmup, timeoutMs);
  const [start, end] = lapUs;
  if (start === undefined || end === undefined) {
    throw new Error(
      `"infer ${count} ${warmup}" printed ${lapUs.length} m-lap-us line(s), expected 2: is the DUT in performance mode?`,
    );
  }
  return (end - start) / 1e6;
}

export async function runPerformanceMode(
  dut: DutDriver,
  options: { input: Uint8Array; windows?: number; warmup?: number; inferencesPerWindow?: number },
): Promise<PerformanceRun> {
  await dut.handshake();
  await dut.loadInput(options.input);
  const warmup = options.warmup ?? 10;
  let inferences = options.inferencesPerWindow;
  if (inferences === undefined) {
    const probeS = await timedInfer(dut, 10, warmup, 30_000);
    inferences = Math.max(1, Math.ceil((RUNNER_MIN_WINDOW_S * 1.1) / Math.max(probeS / 10, 1e-6)));
  }
  const windows: PerformanceWindow[] = [];
  for (let k = 0; k < (options.windows ?? RUNNER_WINDOWS); k++) {
    await dut.loadInput(options.input);
    const runtimeS = await timedInfer(dut, inferences, warmup, 30_000 + inferences * 1_000);
    windows.push({ window: 2 * (k + 1), inferences, runtimeS, latencyMs: (runtimeS / inferences) * 1000 });
  }
  const problems: string[] = [];
  if (windows.length !== RUNNER_WINDOWS)
    problems.push(`error 1: ${windows.length} windows, the runner requires exactly ${RUNNER_WINDOWS}`);
  for (const w of windows) {
    if (w.runtimeS < RUNNER_MIN_WINDOW_S)
      problems.push(
        `error 2: window ${w.window} ran ${w.runtimeS.toFixed(3)} s, under ${RUNNER_MIN_WINDOW_S} s`,
      );
  }
  const medianLatencyMs = median(windows.map((w) => w.latencyMs));
  return {
    windows,
    medianLatencyMs,
    throughputPerS: 1000 / medianLatencyMs,
    valid: problems.length === 0,
    problems,
  };
}
