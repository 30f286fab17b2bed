// How the agent measures: one window per inference while an inference spans enough sensor
// samples, else windows of N back-to-back inferences (the batched method), N chosen from the
// observed inference time and the sensor's sampling period. Each inference gets its window's
// energy divided by N; per-window figures and their median are kept for the agent's summary.

import { logger } from '../../common/logger.js';
import type { InferenceWindow, PowerSensor, WindowEnergy } from '../sensors/sensor.js';
import { type AttributionMethod, inferencesPerWindow } from './batched.js';
import { median } from './integrate.js';
import type { InferenceRun } from './runner.js';

export interface AttributedInference<L> {
  run: InferenceRun;
  label: L;
  energy: WindowEnergy;
  method: AttributionMethod;
  /** Inferences in the window this energy came from (1 for a single window). */
  windowInferences: number;
}

/** The inference of a window of one (WindowPlanner.measureOne). */
export type OneInference<L> = AttributedInference<L> & { method: 'single'; windowInferences: 1 };

/** Per-inference energies of the last windows kept for the median (bounded). */
const KEPT_WINDOWS = 101;
const log = logger('measure');

export class WindowPlanner {
  private n = 1;
  /** The last KEPT_WINDOWS per-inference energies, in no order (a ring: the median needs none). */
  private readonly recent: number[] = [];
  private nextRecent = 0;
  windows = 0;
  /**
   * The last window's figures, not yet in `recent` and N: folded in at the next window's start,
   * when read, or by settle() (agent.infer() does it after its answer), so that a window measured
   * synchronously answers without this bookkeeping first. Two numbers, not an object: no
   * allocation per window.
   */
  private unfolded = false;
  private unfoldedPerInferenceJ = 0;
  private unfoldedInferenceS = 0;

  constructor(private readonly sensor: PowerSensor) {}

  get inferencesPerWindow(): number {
    this.fold();
    return this.n;
  }

  get method(): AttributionMethod {
    this.fold();
    return this.n > 1 ? 'batched' : 'single';
  }

  /** Median over the recent windows of energy per inference, joules (NaN before the first). */
  get medianPerInferenceJ(): number {
    this.fold();
    return median(this.recent);
  }

  /**
   * Runs one window: `runOne` once, or N times back to back, at most `budget` times, and
   * attributes the window's energy to its inferences. A synchronous run (TF.js, onnx-cpu) is
   * taken as it is, so that nothing, not even a promise job, runs between two of a window's runs;
   * only an asynchronous one (onnx-wasm) is awaited. With synchronous runs and a sensor that
   * knows the energy at the window's end (energyNow: the simulated one), the window is measured
   * synchronously and the attributed inferences come back as a value, not a promise: no promise
   * job between the model's answer and the caller's.
   */
  measure<L>(
    runOne: () => { run: InferenceRun | Promise<InferenceRun>; label: L },
    budget = Infinity,
  ): AttributedInference<L>[] | Promise<AttributedInference<L>[]> {
    this.fold();
    const n = Math.max(1, Math.min(this.n, budget));
    const runs: { run: InferenceRun; label: L }[] = [];
    for (let i = 0; i < n; i++) {
      const { run, label } = runOne();
      if (run instanceof Promise) return this.measureRest(runOne, runs, run, label, n);
      runs.push({ run, label });
    }
    return this.close(runs);
  }

  /**
   * A window of one inference that the caller has just run (runServed's answer, a value or, for
   * onnx-wasm, a promise): the window is the run's own, attributed as measure() with a budget of 1
   * attributes it. A value when the run was synchronous and the sensor knows the energy at the
   * window's end (energyNow), so that agent.infer() answers with no promise job and no array, run
   * closure or energy copy of a one-run window in between; else a promise. N (the planned
   * inferences per window) plays no part in a window of one, so the last window is folded in only
   * here, after the run, when no one folded it since (settle()).
   */
  measureOne<L>(
    run: InferenceRun | Promise<InferenceRun>,
    label: L,
  ): OneInference<L> | Promise<OneInference<L>> {
    if (run instanceof Promise) return run.then((done) => this.measureOne(done, label));
    const window = run.window;
    const now = this.sensor.energyNow?.(window);
    if (now !== undefined) return this.attributeOne(run, label, now);
    return this.sensor.energyOf(window).then((energy) => this.attributeOne(run, label, energy));
  }

  /** Folds the last window's figures in now (work for after an answer); a no-op when done already. */
  settle(): void {
    this.fold();
  }

  private attributeOne<L>(run: InferenceRun, label: L, energy: WindowEnergy): OneInference<L> {
    this.fold();
    this.windows++;
    this.unfolded = true;
    // attribute() divides by the window's inferences: by 1 the same values, so the inference
    // holds the sensor's figures as they are (read only, never changed), not a copy.
    this.unfoldedPerInferenceJ = energy.energyJ;
    this.unfoldedInferenceS = Number(run.window.endNs - run.window.startNs) / 1e9;
    return { run, label, energy, method: 'single', windowInferences: 1 };
  }

  /** The rest of a window once a run answered with a promise (onnx-wasm): awaited one by one. */
  private async measureRest<L>(
    runOne: () => { run: InferenceRun | Promise<InferenceRun>; label: L },
    runs: { run: InferenceRun; label: L }[],
    pending: Promise<InferenceRun>,
    pendingLabel: L,
    n: number,
  ): Promise<AttributedInference<L>[]> {
    runs.push({ run: await pending, label: pendingLabel });
    while (runs.length < n) {
      const { run, label } = runOne();
      runs.push({ run: run instanceof Promise ? await run : run, label });
    }
    return this.close(runs);
  }

  /** Closes the window over `runs` and attributes its energy (at once where the sensor can). */
  private close<L>(
    runs: { run: InferenceRun; label: L }[],
  ): AttributedInference<L>[] | Promise<AttributedInference<L>[]> {
    const first = runs[0]?.run.window;
    const last = runs[runs.length - 1]?.run.window;
    if (first === undefined || last === undefined) return [];
    let cpuUs = 0;
    for (const r of runs) cpuUs += r.run.window.cpuUs;
    const window = { startNs: first.startNs, endNs: last.endNs, cpuUs };
    const now = this.sensor.energyNow?.(window);
    if (now !== undefined) return this.attribute(runs, window, now);
    return this.sensor.energyOf(window).then((energy) => this.attribute(runs, window, energy));
  }

  private attribute<L>(
    runs: { run: InferenceRun; label: L }[],
    window: InferenceWindow,
    energy: WindowEnergy,
  ): AttributedInference<L>[] {
    const n = runs.length;
    const perInference: WindowEnergy = {
      ...energy,
      energyJ: energy.energyJ / n,
      uncertaintyJ: energy.uncertaintyJ / n,
    };
    this.windows++;
    this.unfolded = true;
    this.unfoldedPerInferenceJ = perInference.energyJ;
    this.unfoldedInferenceS = Number(window.endNs - window.startNs) / 1e9 / n;
    const method: AttributionMethod = n > 1 ? 'batched' : 'single';
    return runs.map(({ run, label }) => ({ run, label, energy: perInference, method, windowInferences: n }));
  }

  /** Puts the last window's figures into the recent energies and plans N from its inference time. */
  private fold(): void {
    if (!this.unfolded) return;
    this.unfolded = false;
    this.remember(this.unfoldedPerInferenceJ);
    this.plan(this.unfoldedInferenceS);
  }

  /** Keeps the newest KEPT_WINDOWS energies: each replaces the oldest once full (no shift of the rest). */
  private remember(perInferenceJ: number): void {
    if (this.recent.length < KEPT_WINDOWS) this.recent.push(perInferenceJ);
    else this.recent[this.nextRecent] = perInferenceJ;
    this.nextRecent = (this.nextRecent + 1) % KEPT_WINDOWS;
  }

  private plan(inferenceS: number): void {
    const next = inferencesPerWindow(inferenceS, this.sensor.samplePeriodS);
    // Only move N when it changes by more than a quarter, so windows stay comparable.
    if (next !== this.n && (this.n === 1 || Math.abs(next - this.n) > this.n / 4)) {
      log.info(
        {
          from: this.n,
          to: next,
          inferenceUs: Math.round(inferenceS * 1e6),
          samplePeriodS: this.sensor.samplePeriodS,
        },
        next > 1 ? 'batched method: N inferences per window' : 'single-inference windows',
      );
      this.n = next;
    }
  }
}
