// Drives running experiments: at each tick, every board of every running experiment is given the
// arm its schedule says for the current period, through the deployment switching API (a signed,
// retained assignment tagged {experiment, arm, placement}), once per (board, period). Everything
// it needs is in the state database, so a restarted driver resumes: the schedule is re-derived
// from the seed and start time, and the assignments already published are not sent again.
// Guardrails: an arm whose board crosses a limit is stopped; its boards run the first arm instead.
// With a BoardPort, each assignment goes with the arm's retained placement command (edge, offload,
// auto; tagged with the experiment and arm), and an experiment that is stopped or finishes puts
// each board back as it was before (restore.ts).

import { logger } from '../../common/logger.js';
import type { RecordReader } from '../store/index.js';
import { aggregatorFor } from './analyse.js';
import type { Experiment } from './experiment-file.js';
import { encodePlacementCommand } from './placement.js';
import type { AssignmentPort, BoardPort } from './ports.js';
import { captureBefore, restoreBoards } from './restore.js';
import { experimentSchedule, type Period } from './schedule.js';
import type { ExperimentDb, StoredExperiment } from './state-db.js';

const log = logger('collector.experiments');

export type { AssignmentPort, BoardPort } from './ports.js';

export interface DriverOptions {
  db: ExperimentDb;
  port: AssignmentPort;
  /** Placement commands and restoring boards at the end; absent: assignments only (nothing restored). */
  boards?: BoardPort;
  /** For guardrails: the records so far. Absent: guardrails are only checked at analysis. */
  reader?: RecordReader;
  nowMs?: () => number;
  /** How often guardrails are evaluated (they read the store). */
  guardrailEveryMs?: number;
}

/** The deployment id of one period on one board: `<experiment>.p<period>` (an id, ≤ 64 characters). */
export const deploymentIdOf = (experiment: string, period: number): string =>
  `${experiment}.p${period}`.slice(0, 64);

/** The stored experiment's schedule, by the one builder the plan and the analysis use too. */
export function scheduleOfStored(stored: StoredExperiment): Period[] {
  return experimentSchedule(stored.experiment, stored.devices, stored.startedAtMs);
}

export class ExperimentDriver {
  private readonly nowMs: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly lastGuardrailMs = new Map<string, number>();

  constructor(private readonly options: DriverOptions) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** One pass over the running experiments; publishes what is due. Failures are logged and retried next tick. */
  async tick(): Promise<void> {
    const now = this.nowMs();
    for (const stored of this.options.db.list('running')) {
      const { experiment } = stored;
      const endMs = stored.startedAtMs + experiment.periods * experiment.periodS * 1000;
      if (now >= endMs) {
        this.options.db.end(experiment.id, 'finished', endMs, null);
        log.info({ experiment: experiment.id }, 'experiment finished');
        continue;
      }
      if (now < stored.startedAtMs) continue;
      await this.checkGuardrails(stored, now);
      const stopped = new Set(this.options.db.armStops(experiment.id).map((s) => s.arm));
      const published = new Set(
        this.options.db.assignments(experiment.id).map((a) => `${a.device}\u0000${a.period}`),
      );
      for (const period of scheduleOfStored(stored)) {
        if (now < period.startMs || now >= period.endMs) continue;
        if (published.has(`${period.device}\u0000${period.period}`)) continue;
        await this.assign(experiment, period, stopped, now);
      }
    }
    const boards = this.options.boards;
    if (boards === undefined) return;
    for (const ended of [...this.options.db.list('stopped'), ...this.options.db.list('finished')])
      await restoreBoards(this.options.db, this.options.port, boards, ended.experiment, now);
  }

  private async assign(
    experiment: Experiment,
    period: Period,
    stopped: Set<string>,
    now: number,
  ): Promise<void> {
    const control = experiment.arms[0] as Experiment['arms'][number];
    const scheduled = experiment.arms.find((a) => a.id === period.arm) ?? control;
    const arm = stopped.has(scheduled.id) ? control : scheduled;
    const boards = this.options.boards;
    try {
      if (boards !== undefined) await captureBefore(this.options.db, boards, experiment, period.device, now);
      await this.options.port.publishAssignment({
        fleet: experiment.fleet,
        device: period.device,
        deploymentId: deploymentIdOf(experiment.id, period.period),
        modelId: arm.model,
        probationS: experiment.probationS,
        tags: { experiment: experiment.id, arm: arm.id, placement: arm.placement },
      });
      // The agent runs the arm's placement and tags what it makes with the experiment and arm.
      await boards?.publishPlacement(
        experiment.fleet,
        period.device,
        encodePlacementCommand({
          v: 1,
          placement: arm.placement,
          ...(arm.server === undefined ? {} : { server: arm.server }),
          experiment: experiment.id,
          arm: arm.id,
          reason: `experiment ${experiment.id} period ${period.period + 1}`,
        }),
        // An auto arm's command goes out with a basis for the arm's model (collector/placement/).
        { experiment: experiment.id, modelId: arm.model },
      );
      this.options.db.recordAssignment({
        experiment: experiment.id,
        device: period.device,
        period: period.period,
        arm: arm.id,
        modelId: arm.model,
        publishedAtMs: now,
      });
      log.info(
        { experiment: experiment.id, device: period.device, period: period.period, arm: arm.id },
        'arm assigned',
      );
    } catch (error) {
      log.warn(
        {
          experiment: experiment.id,
          device: period.device,
          period: period.period,
          err: (error as Error).message,
        },
        'assignment not published; retrying at the next tick',
      );
    }
  }

  /** Stops an arm when any board's analysed mean so far crosses a guardrail. */
  private async checkGuardrails(stored: StoredExperiment, now: number): Promise<void> {
    const { experiment } = stored;
    const g = experiment.guardrails;
    const reader = this.options.reader;
    if (
      reader === undefined ||
      (g.maxEnergyJ === undefined && g.maxLatencyP95Ms === undefined && g.minAccuracy === undefined)
    )
      return;
    const every = this.options.guardrailEveryMs ?? 60_000;
    if (now - (this.lastGuardrailMs.get(experiment.id) ?? Number.NEGATIVE_INFINITY) < every) return;
    this.lastGuardrailMs.set(experiment.id, now);
    const aggregator = aggregatorFor({
      experiment,
      devices: stored.devices,
      startedAtMs: stored.startedAtMs,
      endedAtMs: null,
    });
    for await (const record of reader.readRecords({ fleet: experiment.fleet, experiment: experiment.id }))
      aggregator.add(record);
    const already = new Set(this.options.db.armStops(experiment.id).map((s) => s.arm));
    for (const p of aggregator.result().periods) {
      const arm = p.period.arm;
      if (already.has(arm) || arm === experiment.arms[0]?.id || p.analysed.n === 0) continue;
      const reasons: string[] = [];
      const energy = p.analysed.meanEnergyJ ?? 0;
      const p95 = p.analysed.latency.quantile(0.95);
      const accuracy = p.analysed.labelled > 0 ? p.analysed.correct / p.analysed.labelled : null;
      if (g.maxEnergyJ !== undefined && energy > g.maxEnergyJ)
        reasons.push(`energy ${energy.toPrecision(3)} J > ${g.maxEnergyJ} J`);
      if (g.maxLatencyP95Ms !== undefined && p95 !== null && p95 > g.maxLatencyP95Ms)
        reasons.push(`p95 latency ${p95.toFixed(1)} ms > ${g.maxLatencyP95Ms} ms`);
      if (g.minAccuracy !== undefined && accuracy !== null && accuracy < g.minAccuracy)
        reasons.push(`accuracy ${accuracy.toFixed(3)} < ${g.minAccuracy}`);
      if (reasons.length === 0) continue;
      const reason = `${p.period.device} period ${p.period.period}: ${reasons.join(', ')}`;
      this.options.db.stopArm({ experiment: experiment.id, arm, reason, atMs: now });
      already.add(arm);
      log.warn({ experiment: experiment.id, arm, reason }, 'guardrail crossed: arm stopped');
    }
  }

  /** Ticks every `intervalMs` until close(); ticks never overlap. */
  start(intervalMs = 1000): void {
    const loop = () => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        if (this.timer !== undefined) this.timer = setTimeout(loop, intervalMs);
      });
    };
    this.timer = setTimeout(loop, 0);
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
