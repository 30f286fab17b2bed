// The bridge's MLPerf Tiny source: an LPM01A on one port and the device under test on another,
// wired as the runner wires them. It runs energy-mode runs back to back (or `runs` of them), writes
// each as a results folder in the published layout, and hands every window without lost samples
// to the bridge as one measured window of N inferences. A window with lost samples is discarded
// and counted; a DUT or monitor that stops answering ends the run with the reason, and the next
// run starts after a pause (the ports reopen by themselves when re-plugged). With a number of runs
// asked for, a run that wrote no results folder makes the job fail, naming the runs and why: a
// bounded job never ends cleanly without its results.

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EdgewattError } from '../../common/errors.js';
import { logger } from '../../common/logger.js';
import { Lpm01aDriver } from '../devices/lpm01a/driver.js';
import { DutDriver } from '../devices/mlperf-dut/driver.js';
import { LineSplitter } from '../framing/lines.js';
import { ReopeningPort } from '../serial/reopening-port.js';
import { type EnergyRun, type EnergyWindow, runEnergyMode } from './energy-run.js';
import { writeResultsFolder } from './results-folder.js';

const log = logger('bridge.mlperf');

/** Input sizes of the MLPerf Tiny v1.0 benchmarks (bytes the DUT expects per inference). */
export const MLPERF_INPUT_BYTES: Record<string, number> = {
  kws01: 490,
  vww01: 27_648,
  ic01: 3_072,
  ad01: 2_560,
};

/** `runs` energy runs were asked for, and some of them wrote no results folder. */
export class MlperfResultsMissingError extends EdgewattError {
  override readonly name = 'MlperfResultsMissingError';
}

export interface BenchSourceOptions {
  monitorPath: string;
  monitorBaud: number;
  dutPath: string;
  dutBaud: number;
  voltageMv: number;
  resultsDir: string;
  /** Energy-mode runs to do; 0 = until stopped. */
  runs: number;
  input?: Uint8Array | undefined;
  inferencesPerWindow?: number | undefined;
  onWindow: (window: EnergyWindow, run: EnergyRun) => void;
}

export class BenchSource {
  private readonly monitorPort: ReopeningPort;
  private readonly dutPort: ReopeningPort;
  private readonly lpm: Lpm01aDriver;
  private readonly dut: DutDriver;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  readonly counters = { runs: 0, validRuns: 0, failedRuns: 0, discardedWindows: 0 };
  /** Runs that wrote no results folder, with the reason. */
  private readonly failures: { run: number; reason: string }[] = [];

  constructor(private readonly options: BenchSourceOptions) {
    let lpm: Lpm01aDriver | undefined;
    let dut: DutDriver | undefined;
    const monitorLines = new LineSplitter((line) => lpm?.onLine(line));
    const dutLines = new LineSplitter((line) => dut?.onLine(line));
    this.monitorPort = new ReopeningPort({
      path: options.monitorPath,
      baudRate: options.monitorBaud,
      onData: (c) => monitorLines.push(c),
    });
    this.dutPort = new ReopeningPort({
      path: options.dutPath,
      baudRate: options.dutBaud,
      onData: (c) => dutLines.push(c),
    });
    this.lpm = lpm = new Lpm01aDriver((text) => this.monitorPort.write(text));
    this.dut = dut = new DutDriver((text) => this.dutPort.write(text));
  }

  start(): void {
    this.monitorPort.start();
    this.dutPort.start();
    this.loop = this.run();
    // Handled here so a job nobody awaits cannot crash the process; `finished` still rejects.
    this.loop.catch(() => undefined);
  }

  /**
   * Resolves when the requested runs are done (never with runs = 0 until stopped); rejects with
   * MlperfResultsMissingError when one of them wrote no results folder.
   */
  get finished(): Promise<void> {
    return this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped && (this.options.runs === 0 || this.counters.runs < this.options.runs)) {
      if (!(this.monitorPort.isOpen && this.dutPort.isOpen)) {
        await sleep(200);
        continue;
      }
      this.counters.runs++;
      try {
        await this.oneRun();
      } catch (error) {
        this.counters.failedRuns++;
        this.failures.push({
          run: this.counters.runs,
          reason: error instanceof Error ? error.message : String(error),
        });
        log.error({ err: error, run: this.counters.runs }, 'energy run failed; the next one starts in 2 s');
        await this.lpm.command('pwr off').catch(() => undefined);
        await sleep(2_000);
      }
    }
    if (!this.stopped && this.options.runs > 0 && this.failures.length > 0) {
      const runs = this.failures.map((f) => `run ${f.run}: ${f.reason}`).join('; ');
      throw new MlperfResultsMissingError(
        `--runs ${this.options.runs}: ${this.failures.length} energy run(s) wrote no results folder in ${this.options.resultsDir} (${runs})`,
        {
          hint: "check the DUT and monitor ports (--dut, --monitor) and that --results-dir is writable; the log has each run's error",
        },
      );
    }
  }

  private async oneRun(): Promise<void> {
    await this.lpm.setup({ voltageMv: this.options.voltageMv, freqHz: 1000 });
    await this.lpm.start();
    let run: EnergyRun;
    try {
      const name = await this.dut.handshake();
      const { model } = await this.dut.profile();
      const input = this.options.input ?? new Uint8Array(MLPERF_INPUT_BYTES[model] ?? 1024);
      log.info({ dut: name, model, inputBytes: input.length }, 'energy run starting');
      run = await runEnergyMode(this.lpm, this.dut, {
        input,
        ...(this.options.inferencesPerWindow === undefined
          ? {}
          : { inferencesPerWindow: this.options.inferencesPerWindow }),
      });
    } finally {
      await this.lpm.stop().catch(() => undefined);
      await this.lpm.teardown().catch(() => undefined);
    }
    const folder = join(this.options.resultsDir, `run-${new Date().toISOString().replaceAll(':', '-')}`);
    writeResultsFolder(folder, run);
    if (run.valid) this.counters.validRuns++;
    log.info(
      { folder, medianUj: run.medianEnergyPerInferenceJ * 1e6, valid: run.valid, problems: run.problems },
      run.valid ? 'energy run done' : "energy run done, not valid by the runner's rules",
    );
    for (const window of run.windows) {
      if (window.secondsWithGaps > 0) {
        this.counters.discardedWindows++;
        continue;
      }
      this.options.onWindow(window, run);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // A run in progress is abandoned: its unfinished window is never published.
    this.dut.cancel('the bridge is stopping');
    this.lpm.cancel('the bridge is stopping');
    await Promise.race([this.loop.catch(() => undefined), sleep(5_000)]);
    await this.monitorPort.stop();
    await this.dutPort.stop();
  }
}
