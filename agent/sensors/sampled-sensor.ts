// The PowerSensor of every sample-based sensor: starts the sampling worker, measures the idle
// baseline before the first inference and again in the idle gaps between windows (drift is
// tracked and logged, agent/measure/baseline.ts), and turns a window into energy by integrating the samples
// around it (agent/measure), waiting for the sample that closes the window: briefly when the
// sampling worker runs but gives no sample, as long as it needs when it is starved of CPU.

import { setTimeout as sleep } from 'node:timers/promises';
import { EdgewattError } from '../../common/errors.js';
import { logger } from '../../common/logger.js';
import type { Provenance } from '../../protocol/index.js';
import { type BaselineEstimate, BaselineTracker } from '../measure/baseline.js';
import {
  averagesToCounter,
  differenceCounter,
  integratePower,
  type SampleSeries,
} from '../measure/integrate.js';
import { counterWindowUncertainty, powerWindowUncertainty } from '../measure/uncertainty.js';
import type { SampleFeed, SourceMeta } from './sampler.js';
import type { InferenceWindow, PowerSensor, WindowEnergy } from './sensor.js';

export interface SampledSensorOptions {
  /** Idle time sampled at open() for the baseline, milliseconds (0 = no baseline, baselineW 0). */
  baselineMs: number;
  /** Longest wait for the sample after a window's end, as a multiple of the period (at least 20 ms). */
  closeWaitPeriods?: number;
}

/**
 * A gap between windows counts as idle after this many sample periods from the previous window's
 * end (the power settles: regulators, clocks stepping down) and before the next window's start;
 * it is used when what is left spans at least GAP_MIN_PERIODS periods (fewer give a noisy mean).
 */
export const GAP_SETTLE_PERIODS = 3;
/**
 * Longest wait for a sampling worker that has not yet tried a read past the time waited for: on a
 * loaded machine (load 14–21 on 2 cores) its thread went unscheduled for longer than the few
 * periods of the usual wait, and windows ended with no sample after them (0 samples, value held).
 */
export const STARVED_WAIT_MS = 2_000;
export const GAP_MIN_PERIODS = 10;

export interface SeriesEnergy {
  energyJ: number;
  uncertaintyJ: number;
  sampleCount: number;
  covered: boolean;
}

const log = logger('sensor');

export class SensorNotOpenError extends EdgewattError {
  override readonly name = 'SensorNotOpenError';
}

/** Energy and uncertainty of [startNs, endNs] from a series of samples of the given kind. */
export function seriesEnergy(
  series: SampleSeries,
  meta: SourceMeta,
  startNs: number,
  endNs: number,
): SeriesEnergy {
  if (meta.quantity === 'power' && meta.averaging) {
    const w = differenceCounter(averagesToCounter(series, meta.periodMs * 1e6), startNs, endNs, Infinity);
    const u = powerWindowUncertainty(series, startNs, endNs, w.energyJ, meta.accuracy);
    return { energyJ: w.energyJ, uncertaintyJ: u.totalJ, sampleCount: w.sampleCount, covered: w.covered };
  }
  if (meta.quantity === 'power') {
    const w = integratePower(series, startNs, endNs);
    const u = powerWindowUncertainty(series, startNs, endNs, w.energyJ, meta.accuracy);
    return { energyJ: w.energyJ, uncertaintyJ: u.totalJ, sampleCount: w.sampleCount, covered: w.covered };
  }
  const w = differenceCounter(series, startNs, endNs, meta.counterRangeJ);
  const u = counterWindowUncertainty(series, startNs, endNs, w.energyJ, meta.accuracy, meta.counterRangeJ);
  return { energyJ: w.energyJ, uncertaintyJ: u.totalJ, sampleCount: w.sampleCount, covered: w.covered };
}

export class SampledSensor implements PowerSensor {
  private meta: SourceMeta | undefined;
  baselineW = 0;
  /** The baseline re-measured in idle gaps; set once the start-up baseline is measured. */
  private baseline: BaselineTracker | undefined;
  private lastWindowEndNs: number | undefined;
  /** Windows whose end came before any closing sample arrived (the last value was held). */
  uncoveredWindows = 0;
  private openedAtMs = 0;

  constructor(
    readonly label: string,
    readonly provenance: Provenance,
    private readonly feed: SampleFeed,
    private readonly options: SampledSensorOptions,
  ) {}

  get samplePeriodS(): number | undefined {
    return this.meta === undefined ? undefined : this.meta.periodMs / 1000;
  }

  get ring() {
    return this.feed.ring;
  }

  async open(): Promise<void> {
    this.meta = await this.feed.start();
    this.openedAtMs = performance.now();
    // The first sample may come some milliseconds after the worker says it is ready.
    await this.waitForSampleAfter(Number.NEGATIVE_INFINITY, 1000);
    if (this.options.baselineMs > 0) {
      const startW = await this.measureBaseline(this.options.baselineMs);
      this.baselineW = startW;
      this.baseline = new BaselineTracker(startW, this.lastBaselineUncertaintyW, (now, fromW) =>
        log.info(
          {
            sensor: this.label,
            fromW: Number(fromW.toFixed(4)),
            baselineW: Number(now.baselineW.toFixed(4)),
            uncertaintyW: Number(now.uncertaintyW.toFixed(4)),
            driftW: Number(now.driftW.toFixed(4)),
            gaps: now.gaps,
          },
          'idle baseline drifted',
        ),
      );
    }
  }

  /** The baseline as re-measured in idle gaps so far (undefined without a start-up baseline). */
  baselineEstimate(): BaselineEstimate | undefined {
    return this.baseline?.estimate();
  }

  private lastBaselineUncertaintyW = 0;

  /** Measures the idle gap between the previous window and this one, when it is long enough. */
  private measureGap(meta: SourceMeta, nextStartNs: number): void {
    const previousEndNs = this.lastWindowEndNs;
    if (this.baseline === undefined || previousEndNs === undefined) return;
    const periodNs = meta.periodMs * 1e6;
    const fromNs = previousEndNs + GAP_SETTLE_PERIODS * periodNs;
    const toNs = nextStartNs - periodNs;
    if (toNs - fromNs < GAP_MIN_PERIODS * periodNs) return;
    const gap = seriesEnergy(this.feed.ring.series(fromNs), meta, fromNs, toNs);
    if (!gap.covered) return;
    this.baseline.addGap(gap.energyJ / ((toNs - fromNs) / 1e9));
    this.baselineW = this.baseline.estimate().baselineW;
  }

  /** Mean power over the next `ms` milliseconds; call it only while no inference runs. */
  async measureBaseline(ms: number): Promise<number> {
    const startNs = Math.max(Number(process.hrtime.bigint()), this.feed.ring.latestNs());
    await sleep(ms);
    const endNs = Number(process.hrtime.bigint());
    await this.waitForSampleAfter(endNs);
    const meta = this.requireMeta();
    const energy = seriesEnergy(this.feed.ring.series(startNs), meta, startNs, endNs);
    const spanS = (endNs - startNs) / 1e9;
    this.lastBaselineUncertaintyW = energy.uncertaintyJ / spanS;
    return energy.energyJ / spanS;
  }

  private requireMeta(): SourceMeta {
    if (this.meta === undefined) throw new SensorNotOpenError(`sensor ${this.label} is used before open()`);
    return this.meta;
  }

  /**
   * Waits for a sample at or after `endNs`. It gives up after `limitMs` once the worker has tried
   * reads past `endNs` without a sample (they fail), or after STARVED_WAIT_MS when the worker has
   * not got that far at all (a thread that does not run again).
   */
  private async waitForSampleAfter(endNs: number, limitMs?: number): Promise<void> {
    const meta = this.requireMeta();
    limitMs ??= Math.max(20, meta.periodMs * (this.options.closeWaitPeriods ?? 5));
    const startedMs = performance.now();
    const ring = this.feed.ring;
    while (ring.latestNs() < endNs || ring.written === 0) {
      // The worker has not tried a read past endNs yet (none at all, for the first sample): its
      // thread is starved, not failing, and the sample will come.
      // A worker that exited is not starved: nothing will come, so only the usual short wait.
      const starved =
        this.feed.running !== false &&
        (ring.attemptedNs < endNs || ring.attemptedNs === Number.NEGATIVE_INFINITY);
      if (!starved && Number.isFinite(endNs) && ring.attemptedNs >= endNs + limitMs * 1e6) break;
      if (performance.now() - startedMs >= (starved ? Math.max(limitMs, STARVED_WAIT_MS) : limitMs)) break;
      await sleep(Math.max(0.2, meta.periodMs / 4));
    }
  }

  /** The time since the last window held work (a warm-up): not an idle gap, so it is not measured. */
  interrupted(): void {
    this.lastWindowEndNs = undefined;
  }

  async energyOf(window: InferenceWindow): Promise<WindowEnergy> {
    const meta = this.requireMeta();
    const startNs = Number(window.startNs);
    const endNs = Number(window.endNs);
    await this.waitForSampleAfter(endNs);
    this.measureGap(meta, startNs);
    this.lastWindowEndNs = endNs;
    const energy = seriesEnergy(this.feed.ring.series(startNs), meta, startNs, endNs);
    if (!energy.covered) this.uncoveredWindows++;
    return {
      energyJ: energy.energyJ,
      uncertaintyJ: energy.uncertaintyJ,
      baselineW: this.baselineW,
      ...(this.baseline === undefined ? {} : { baselineUncertaintyW: this.baseline.estimate().uncertaintyW }),
      // Samples inside the window, as the record field says: a window shorter than the sampling
      // period (or one a starved worker sampled nothing inside) has 0 and rests on the samples around it.
      sampleCount: energy.sampleCount,
      provenance: this.provenance,
    };
  }

  /**
   * Share of one core that the sampling thread has used since open() (its own CPU time, from
   * /proc/thread-self on Linux), or NaN when unknown. This is the agent's own cost of measuring.
   */
  samplingCpuShare(): number {
    const elapsedS = (performance.now() - this.openedAtMs) / 1000;
    return this.feed.ring.writerCpuS / elapsedS;
  }

  async close(): Promise<void> {
    await this.feed.stop();
    const cpuShare = this.samplingCpuShare();
    log.info(
      {
        sensor: this.label,
        samplingCpuPercent: Number.isFinite(cpuShare) ? Number((cpuShare * 100).toFixed(2)) : null,
        samples: this.feed.ring.written,
        overwritten: this.feed.ring.overwritten,
        uncoveredWindows: this.uncoveredWindows,
        baseline: this.baseline?.estimate(),
      },
      'sensor closed',
    );
  }
}
