// Runs rollouts: assigns the model group by group (canary first), advances a group only when
// enough of its devices committed *after probation* and, for the canary, passed the health gate;
// counts a device that never reports within its in-progress timeout as failed; aborts once the
// error threshold is reached with at least minExecuted devices decided, or at once on a gate
// regression, and then sends every device that took the new model back to its previous one with a
// new signed assignment (rollback: true). Every change is persisted (deploy-db.ts), so a restarted
// collector carries on; every decision is a line in the rollout's log.

import { randomBytes } from 'node:crypto';
import { EdgewattError } from '../../common/errors.js';
import { logger } from '../../common/logger.js';
import type { DeploymentService } from './assign.js';
import type { DeployDb, LogLine } from './deploy-db.js';
import { describeVerdict, type GateRecord, judgeCanary } from './health-gate.js';
import type { DeploymentReport } from './report.js';
import {
  type KnownDevice,
  planGroups,
  type RolloutSpecInput,
  rolloutSpecSchema,
  selectDevices,
} from './rollout-plan.js';
import {
  DECIDED,
  DEVICE_PHASES,
  type DevicePhase,
  FAILED,
  type GroupProgress,
  groupProgress,
  type Rollout,
  type RolloutDevice,
} from './rollout-state.js';

const log = logger('collector.rollout');

export class RolloutError extends EdgewattError {
  override readonly name = 'RolloutError';
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 = 400,
    options: { hint?: string } = {},
  ) {
    super(message, options);
  }
}

/** Where the gate reads a board's records: one device, one model (null = any), [fromUs, toUs). */
export interface GateData {
  records(
    fleet: string,
    device: string,
    modelId: string | null,
    fromUs: number,
    toUs: number,
  ): Promise<GateRecord[]>;
}

export interface RolloutControllerOptions {
  service: DeploymentService;
  db: DeployDb;
  /** The devices the collector knows (from their status), for selectors and previous models. */
  listDevices: () => Promise<KnownDevice[]>;
  /** Records for the health gate; none = the gate cannot run (logged, the canary is not judged). */
  gateData?: GateData | undefined;
  nowMs?: () => number;
  /** How often tick() runs on its own (ms); 0 = never (tests drive it). */
  tickMs?: number;
}

export interface RolloutView extends Rollout {
  groups: GroupProgress[];
  log: LogLine[];
}

/** The deployment id of the rollback assignments of a rollout. */
export const rollbackId = (id: string) => `${id}-rb`;

export class RolloutController {
  private readonly rollouts = new Map<string, Rollout>();
  private readonly pendingLines = new Map<string, LogLine[]>();
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopListening: (() => void) | undefined;
  private readonly nowMs: () => number;
  private readonly changeListeners = new Set<(rollout: Rollout) => void>();
  /** The phase last written as a point, per `rollout/fleet/device`. */
  private readonly writtenPhase = new Map<string, DevicePhase>();

  constructor(private readonly options: RolloutControllerOptions) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** Loads persisted rollouts, listens for reports and starts ticking. */
  start(): void {
    for (const document of this.options.db.rolloutDocuments()) {
      const rollout = document as Rollout;
      this.rollouts.set(rollout.id, rollout);
    }
    this.stopListening = this.options.service.onReport((report) => {
      void this.serial(() => this.onReport(report));
    });
    const tickMs = this.options.tickMs ?? 1000;
    if (tickMs > 0) {
      this.timer = setInterval(() => void this.tick(), tickMs);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.stopListening?.();
  }

  /** Resolves after everything queued so far has run. */
  settled(): Promise<void> {
    return this.serial(async () => {});
  }

  onChange(listener: (rollout: Rollout) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Runs mutations one at a time: reports, ticks and commands never interleave. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch((error: unknown) => {
      log.error({ err: (error as Error).message }, 'rollout step failed');
    });
    return run;
  }

  list(): RolloutView[] {
    return [...this.rollouts.values()].map((r) => this.view(r));
  }

  get(id: string): RolloutView {
    const rollout = this.rollouts.get(id);
    if (rollout === undefined) throw new RolloutError(`no rollout ${JSON.stringify(id)}`, 404);
    return this.view(rollout);
  }

  private view(rollout: Rollout): RolloutView {
    return { ...rollout, groups: groupProgress(rollout), log: this.options.db.rolloutLog(rollout.id) };
  }

  create(input: RolloutSpecInput): Promise<RolloutView> {
    return this.serial(async () => {
      const parsed = rolloutSpecSchema.safeParse(input);
      if (!parsed.success) {
        throw new RolloutError(
          `rollout spec is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(spec)'}: ${i.message}`).join('; ')}`,
        );
      }
      const spec = parsed.data;
      for (const other of this.rollouts.values()) {
        if (other.state === 'running' || other.state === 'paused') {
          const overlap = selectDevices(
            spec.devices,
            other.devices.map((d) => ({ ...d, modelId: null })),
          );
          if (overlap.length > 0)
            throw new RolloutError(
              `rollout ${other.id} (${other.state}) already holds ${overlap.map((d) => `${d.fleet}/${d.device}`).join(', ')}: finish or abort it first`,
              409,
            );
        }
      }
      const selected = selectDevices(spec.devices, await this.options.listDevices());
      if (selected.length === 0) {
        throw new RolloutError(
          `--devices ${JSON.stringify(spec.devices)} names no device the collector knows`,
          400,
          {
            hint: 'devices are known from their status messages; check "fleet/device" patterns',
          },
        );
      }
      const sizes = planGroups(selected.length, spec.canary, spec.groups);
      let index = 0;
      const devices: RolloutDevice[] = [];
      sizes.forEach((size, group) => {
        for (let i = 0; i < size; i++, index++) {
          const d = selected[index] as KnownDevice;
          devices.push({
            fleet: d.fleet,
            device: d.device,
            group,
            previousModelId: d.modelId,
            phase: 'pending',
            lastState: null,
            reason: null,
            assignedAtMs: null,
            probationAtUs: null,
            committedAtMs: null,
            gateDueMs: null,
            gate: null,
          });
        }
      });
      const now = this.nowMs();
      const stamp = new Date(now)
        .toISOString()
        .replace(/[-:TZ.]/g, '')
        .slice(0, 14);
      const rollout: Rollout = {
        id: `r${stamp}-${randomBytes(3).toString('hex')}`,
        spec,
        state: 'running',
        createdMs: now,
        currentGroup: 0,
        groupSizes: sizes,
        devices,
        endedMs: null,
        note: null,
      };
      this.rollouts.set(rollout.id, rollout);
      this.say(
        rollout,
        `started: model ${spec.modelId.slice(0, 12)} to ${devices.length} device(s) in groups of ${sizes.join(', ')}; probation ${spec.probationS} s, success ≥ ${pc(spec.successThreshold)}, abort at ≥ ${pc(spec.errorThreshold)} failed once ${spec.minExecuted} decided, in-progress timeout ${spec.inProgressTimeoutS} s, health gate ${spec.gate.enabled ? `margin +${pc(spec.gate.margin)} (accuracy −${(spec.gate.accuracyMargin * 100).toFixed(1)} pts)` : 'off'}`,
      );
      await this.startGroup(rollout, 0);
      return this.view(rollout);
    });
  }

  pause(id: string): Promise<RolloutView> {
    return this.serial(async () => {
      const rollout = this.must(id);
      if (rollout.state !== 'running')
        throw new RolloutError(`rollout ${id} is ${rollout.state}, not running`, 409);
      rollout.state = 'paused';
      rollout.note = 'paused by the operator';
      this.say(rollout, 'paused by the operator: no further group starts; devices already assigned carry on');
      return this.view(rollout);
    });
  }

  resume(id: string): Promise<RolloutView> {
    return this.serial(async () => {
      const rollout = this.must(id);
      if (rollout.state !== 'paused')
        throw new RolloutError(`rollout ${id} is ${rollout.state}, not paused`, 409);
      rollout.state = 'running';
      rollout.note = null;
      this.say(rollout, 'resumed by the operator');
      await this.step(rollout, { overrideSuccess: true });
      return this.view(rollout);
    });
  }

  abort(id: string, why = 'aborted by the operator'): Promise<RolloutView> {
    return this.serial(async () => {
      const rollout = this.must(id);
      if (rollout.state === 'finished' || rollout.state === 'aborted')
        throw new RolloutError(`rollout ${id} is ${rollout.state} already`, 409);
      await this.abortNow(rollout, why);
      return this.view(rollout);
    });
  }

  /** Timeouts, due health gates, thresholds and group advances of every live rollout. */
  tick(): Promise<void> {
    return this.serial(async () => {
      for (const rollout of this.rollouts.values()) {
        if (rollout.state === 'running' || rollout.state === 'paused') await this.step(rollout);
      }
    });
  }

  private must(id: string): Rollout {
    const rollout = this.rollouts.get(id);
    if (rollout === undefined) throw new RolloutError(`no rollout ${JSON.stringify(id)}`, 404);
    return rollout;
  }

  private say(rollout: Rollout, line: string): void {
    const entry = { atMs: this.nowMs(), line };
    const lines = this.pendingLines.get(rollout.id) ?? [];
    lines.push(entry);
    this.pendingLines.set(rollout.id, lines);
    log.info({ rollout: rollout.id }, line);
    this.save(rollout);
  }

  private save(rollout: Rollout): void {
    const lines = this.pendingLines.get(rollout.id) ?? [];
    this.pendingLines.delete(rollout.id);
    this.options.db.saveRollout(rollout.id, rollout.state, rollout.createdMs, rollout, lines);
    this.writePhasePoints(rollout);
    for (const listener of this.changeListeners) listener(rollout);
  }

  /** A `rollout_device` point for each device whose phase changed since the last one written. */
  private writePhasePoints(rollout: Rollout): void {
    const atMs = this.nowMs();
    const changed = rollout.devices.filter(
      (d) => this.writtenPhase.get(`${rollout.id}/${d.fleet}/${d.device}`) !== d.phase,
    );
    for (const d of changed) this.writtenPhase.set(`${rollout.id}/${d.fleet}/${d.device}`, d.phase);
    this.options.service.writePoints(
      changed.map((d) => ({
        kind: 'phase' as const,
        atMs,
        rolloutId: rollout.id,
        fleet: d.fleet,
        device: d.device,
        group: d.group,
        phase: d.phase,
        phaseCode: DEVICE_PHASES.indexOf(d.phase),
        succeeded: d.phase === 'succeeded',
        failed: FAILED.has(d.phase),
      })),
    );
  }

  private async startGroup(rollout: Rollout, group: number): Promise<void> {
    rollout.currentGroup = group;
    const members = rollout.devices.filter((d) => d.group === group);
    this.say(
      rollout,
      `group ${group} (${group === 0 ? 'canary' : 'next'}): assigning ${members.map(name).join(', ')}`,
    );
    for (const device of members) {
      try {
        await this.options.service.publishAssignment({
          fleet: device.fleet,
          device: device.device,
          deploymentId: rollout.id,
          modelId: rollout.spec.modelId,
          probationS: rollout.spec.probationS,
        });
        device.phase = 'assigned';
        device.assignedAtMs = this.nowMs();
      } catch (error) {
        device.phase = 'failed';
        device.reason = `assignment not published: ${(error as Error).message}`;
        this.say(rollout, `${name(device)}: ${device.reason}`);
      }
    }
    this.save(rollout);
  }

  private async onReport(report: DeploymentReport): Promise<void> {
    for (const rollout of this.rollouts.values()) {
      const isRollback = report.deploymentId === rollbackId(rollout.id);
      if (report.deploymentId !== rollout.id && !isRollback) continue;
      const device = rollout.devices.find((d) => d.fleet === report.fleet && d.device === report.device);
      if (device === undefined) continue;
      device.lastState = report.state;
      if (isRollback) {
        if (report.state === 'committed' || report.state === 'rolled-back') device.phase = 'reverted';
        if (report.state === 'failed' || report.state === 'refused') {
          device.reason = `rollback ${report.state}: ${report.reason ?? ''} ${report.detail ?? ''}`.trim();
          this.say(rollout, `${name(device)}: ${device.reason}`);
        }
        this.save(rollout);
        continue;
      }
      if (device.phase === 'reverting' || device.phase === 'reverted' || device.phase === 'cleared') {
        this.save(rollout);
        continue;
      }
      this.applyReport(rollout, device, report);
      if (rollout.state === 'running' || rollout.state === 'paused') await this.step(rollout);
      this.save(rollout);
    }
  }

  private applyReport(rollout: Rollout, device: RolloutDevice, report: DeploymentReport): void {
    const late = device.phase === 'timed-out';
    switch (report.state) {
      case 'probation':
        device.probationAtUs = report.atUs;
        if (!late) device.phase = 'in-progress';
        break;
      case 'committed': {
        device.committedAtMs = this.nowMs();
        const judged = rollout.spec.gate.enabled && device.group === 0 && !late;
        device.phase = judged ? 'committed' : 'succeeded';
        device.gateDueMs = judged ? this.nowMs() + rollout.spec.gate.graceS * 1000 : null;
        this.say(
          rollout,
          `${name(device)}: committed after probation${late ? ' (late: it had timed out; it converged)' : ''}${judged ? '; health gate due' : ''}`,
        );
        break;
      }
      case 'failed':
      case 'refused':
      case 'rolled-back':
        device.phase = 'failed';
        device.reason = `${report.state}${report.reason === undefined ? '' : `: ${report.reason}`}${report.detail === undefined ? '' : ` (${report.detail})`}`;
        this.say(rollout, `${name(device)}: ${device.reason}`);
        break;
      default:
        if (!late && device.phase === 'assigned') device.phase = 'in-progress';
    }
  }

  /** Everything time or thresholds decide, for one live rollout. */
  private async step(rollout: Rollout, options: { overrideSuccess?: boolean } = {}): Promise<void> {
    const now = this.nowMs();
    const spec = rollout.spec;
    for (const device of rollout.devices) {
      if (device.phase !== 'assigned' && device.phase !== 'in-progress') continue;
      const deadline = (device.assignedAtMs ?? now) + (spec.probationS + spec.inProgressTimeoutS) * 1000;
      if (now >= deadline) {
        device.phase = 'timed-out';
        device.reason = `no terminal report within probation ${spec.probationS} s + in-progress timeout ${spec.inProgressTimeoutS} s (last state: ${device.lastState ?? 'none'})`;
        this.say(rollout, `${name(device)}: timed out — ${device.reason}`);
      }
    }
    for (const device of rollout.devices) {
      if (device.phase === 'committed' && device.gateDueMs !== null && now >= device.gateDueMs) {
        await this.runGate(rollout, device);
        if ((device.phase as DevicePhase) === 'regressed') {
          await this.abortNow(rollout, `health gate: ${name(device)} regressed beyond the margin`);
          return;
        }
      }
    }
    const decided = rollout.devices.filter((d) => DECIDED.has(d.phase));
    const failed = decided.filter((d) => FAILED.has(d.phase));
    if (
      decided.length >= spec.minExecuted &&
      decided.length > 0 &&
      failed.length / decided.length >= spec.errorThreshold
    ) {
      await this.abortNow(
        rollout,
        `error threshold: ${failed.length} of ${decided.length} decided devices failed (≥ ${pc(spec.errorThreshold)}, minimum executed ${spec.minExecuted})`,
      );
      return;
    }
    if (rollout.state !== 'running') {
      this.save(rollout);
      return;
    }
    const members = rollout.devices.filter((d) => d.group === rollout.currentGroup);
    if (!members.every((d) => DECIDED.has(d.phase))) {
      this.save(rollout);
      return;
    }
    const succeeded = members.filter((d) => d.phase === 'succeeded').length;
    const needed = Math.ceil(spec.successThreshold * members.length - 1e-9);
    if (succeeded < needed && options.overrideSuccess !== true) {
      rollout.state = 'paused';
      rollout.note = `group ${rollout.currentGroup}: ${succeeded} of ${members.length} committed after probation, ${needed} needed`;
      this.say(rollout, `paused: ${rollout.note}; resume to go on anyway, or abort to roll back`);
      return;
    }
    this.say(
      rollout,
      `group ${rollout.currentGroup} done: ${succeeded} of ${members.length} committed after probation${rollout.currentGroup === 0 && spec.gate.enabled ? ' and passed the health gate' : ''}`,
    );
    if (rollout.currentGroup + 1 < rollout.groupSizes.length) {
      await this.startGroup(rollout, rollout.currentGroup + 1);
      return;
    }
    rollout.state = 'finished';
    rollout.endedMs = now;
    const late = rollout.devices.filter((d) => d.phase !== 'succeeded');
    rollout.note =
      late.length === 0
        ? 'every device committed'
        : `${late.length} device(s) did not commit: ${late.map((d) => `${name(d)} ${d.phase}`).join(', ')}`;
    this.say(rollout, `finished: ${rollout.note}`);
  }

  private async runGate(rollout: Rollout, device: RolloutDevice): Promise<void> {
    const data = this.options.gateData;
    const gate = rollout.spec.gate;
    device.gateDueMs = null;
    if (data === undefined) {
      device.phase = 'succeeded';
      this.say(
        rollout,
        `health gate ${name(device)}: not run (the collector's store cannot read records back); counted as committed`,
      );
      return;
    }
    const startUs = rollout.createdMs * 1000;
    const pre = await data.records(
      device.fleet,
      device.device,
      device.previousModelId,
      startUs - gate.preWindowS * 1e6,
      startUs,
    );
    const fromUs = device.probationAtUs ?? (device.assignedAtMs ?? rollout.createdMs) * 1000;
    const post = await data.records(
      device.fleet,
      device.device,
      rollout.spec.modelId,
      fromUs,
      this.nowMs() * 1000 + 1,
    );
    const verdict = judgeCanary(pre, post, gate);
    device.gate = verdict;
    device.phase = verdict.regressed ? 'regressed' : 'succeeded';
    const atMs = this.nowMs();
    this.options.service.writePoints(
      verdict.metrics
        .filter((m) => m.verdict !== 'insufficient')
        .map((m) => ({
          kind: 'gate' as const,
          atMs,
          rolloutId: rollout.id,
          fleet: device.fleet,
          device: device.device,
          metric: m.metric,
          pre: m.pre,
          post: m.post,
          change: m.change,
          low: m.low,
          high: m.high,
          margin: m.margin,
          regressed: m.verdict === 'regressed',
        })),
    );
    this.say(rollout, describeVerdict(name(device), verdict, gate));
  }

  private async abortNow(rollout: Rollout, why: string): Promise<void> {
    rollout.state = 'aborted';
    rollout.note = why;
    rollout.endedMs = this.nowMs();
    this.say(rollout, `aborted: ${why}; rolling back`);
    const service = this.options.service;
    for (const device of rollout.devices) {
      if (device.phase === 'pending') {
        device.phase = 'skipped';
        continue;
      }
      if (
        device.phase === 'reverting' ||
        device.phase === 'reverted' ||
        device.phase === 'cleared' ||
        device.phase === 'skipped'
      )
        continue;
      // A device that refused or failed (or rolled itself back) still runs its previous model:
      // clearing its assignment is enough. The others may run the new model, or will.
      const runsNew = device.phase !== 'failed';
      try {
        if (
          runsNew &&
          device.previousModelId !== null &&
          (await service.registryHas(device.previousModelId))
        ) {
          await service.publishAssignment({
            fleet: device.fleet,
            device: device.device,
            deploymentId: rollbackId(rollout.id),
            modelId: device.previousModelId,
            rollback: true,
            probationS: 0,
          });
          device.phase = 'reverting';
          this.say(
            rollout,
            `${name(device)}: rollback assignment to ${device.previousModelId.slice(0, 12)} sent`,
          );
        } else {
          await service.clearAssignment(device.fleet, device.device);
          if (runsNew) {
            device.phase = 'cleared';
            this.say(
              rollout,
              `${name(device)}: assignment cleared; its previous model ${device.previousModelId === null ? 'is unknown' : `${device.previousModelId.slice(0, 12)} is not in the registry`}, so no rollback assignment could be signed`,
            );
          }
        }
      } catch (error) {
        this.say(rollout, `${name(device)}: rollback not sent: ${(error as Error).message}`);
      }
    }
    this.save(rollout);
  }
}

const name = (d: { fleet: string; device: string }) => `${d.fleet}/${d.device}`;
const pc = (x: number) => `${Math.round(x * 1000) / 10} %`;
