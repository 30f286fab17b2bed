// The one writer of every device's retained cmd/placement topic in the collector. The operator
// (`edgewatt placement set|clear`, POST /v1/placement) and the experiment driver both go through
// it, so two writers never race on a retained topic: a running experiment owns its devices and
// operator commands to them are refused (naming the experiment) unless forced; the experiment's
// restore gives the device back — unless the operator forced a command meanwhile, which then
// stays. For every `auto` command, whoever owns it, the owner computes the comparison basis
// (basis.ts) when the command is set and again every `basisEveryMs`, and re-publishes the command
// retained with it: same placement, server, experiment and arm, a fresh basis and a reason line
// saying where each side came from. All operations run one at a time.

import { EdgewattError } from '../../common/errors.js';
import { logger } from '../../common/logger.js';
import {
  decodePlacementCommand,
  encodePlacementCommand,
  type PlacementCommand,
  type PlacementMode,
} from '../../protocol/placement.js';
import { selectDevices } from '../deploy/rollout-plan.js';
import { placementTopic, RetainedPlacements } from '../experiments/placement.js';
import { type BasisProvenance, type BasisSource, basisReason } from './basis.js';
import type { PlacementDb, PlacementOwnerId, PlacementRow } from './owner-db.js';

const log = logger('collector.placement');

export class PlacementOwnershipError extends EdgewattError {
  override readonly name = 'PlacementOwnershipError';
  /** The HTTP status the API answers with. */
  constructor(
    message: string,
    readonly status: 404 | 409 | 400,
    hint?: string,
  ) {
    super(message, hint === undefined ? {} : { hint });
  }
}

export type Publish = (topic: string, payload: Uint8Array, options: { retain: boolean }) => Promise<void>;

export interface PlacementOwnerOptions {
  db: PlacementDb;
  publish: Publish;
  /** Computes auto bases; absent (no --placement-scenario): auto commands go without one. */
  basis?: BasisSource | undefined;
  /** The model a device runs now (its last status); null: unknown. */
  currentModel: (fleet: string, device: string) => Promise<string | null>;
  /** An experiment's state in the experiments database; null: unknown id. */
  experimentState: (id: string) => 'running' | 'stopped' | 'finished' | null;
  /** Devices the collector knows (from their status), for selectors. */
  knownDevices: () => Promise<{ fleet: string; device: string }[]>;
  nowMs?: () => number;
}

export interface OperatorRequest {
  /** fleet/device patterns with * wildcards, comma-separated (as rollouts). */
  devices: string;
  force?: boolean | undefined;
}

export interface OperatorSet extends OperatorRequest {
  placement: PlacementMode;
  server?: string | undefined;
  reason?: string | undefined;
}

export interface PlacementChange {
  fleet: string;
  device: string;
  /** What the device had before: its owner and placement, or null. */
  before: { owner: string; placement: PlacementMode } | null;
  /** Set to this placement, or cleared (null). */
  placement: PlacementMode | null;
}

export interface PlacementStatus {
  fleet: string;
  device: string;
  /** `operator`, `experiment:<id>`, or `outside` (a retained command the collector did not write). */
  owner: string;
  placement: PlacementMode;
  server: string | null;
  experiment: string | null;
  arm: string | null;
  setAt: string | null;
  basis: {
    comparedAt: string;
    ageS: number;
    edgeG: number;
    offloadG: number;
    provenance: BasisProvenance | null;
  } | null;
  basisProblem: string | null;
}

const BASIS_MARK = '; auto basis (';

/** The reason without a previous basis line (so refreshes do not stack them). */
const baseReason = (reason: string | undefined): string =>
  reason === undefined ? 'set' : (reason.split(BASIS_MARK)[0] ?? reason);

export class PlacementOwner {
  readonly retained = new RetainedPlacements();
  private readonly nowMs: () => number;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly options: PlacementOwnerOptions) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** A message on a cmd/placement topic (the collector's subscription); false for other topics. */
  observe(topic: string, payload: Uint8Array): boolean {
    return this.retained.observe(topic, payload);
  }

  /** Runs `task` after every earlier operation: one writer at a time. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The running experiment that holds a device, or null. */
  private holder(row: PlacementRow | null): string | null {
    if (row === null || !row.owner.startsWith('experiment:')) return null;
    const id = row.owner.slice('experiment:'.length);
    return this.options.experimentState(id) === 'running' ? id : null;
  }

  private async select(request: OperatorRequest): Promise<{ fleet: string; device: string }[]> {
    const known = new Map<string, { fleet: string; device: string; modelId: null }>();
    for (const d of await this.options.knownDevices())
      known.set(`${d.fleet}/${d.device}`, { fleet: d.fleet, device: d.device, modelId: null });
    for (const r of this.options.db.list())
      known.set(`${r.fleet}/${r.device}`, { fleet: r.fleet, device: r.device, modelId: null });
    const selected = selectDevices(request.devices, [...known.values()]);
    if (selected.length === 0)
      throw new PlacementOwnershipError(
        `--devices ${JSON.stringify(request.devices)} names no device the collector knows`,
        404,
        'devices are known from their status messages; check "fleet/device" patterns',
      );
    // All or nothing: a device held by a running experiment refuses the whole request.
    if (request.force !== true) {
      const held = selected
        .map((d) => ({ ...d, experiment: this.holder(this.options.db.get(d.fleet, d.device)) }))
        .filter((d) => d.experiment !== null);
      if (held.length > 0)
        throw new PlacementOwnershipError(
          `${held.map((d) => `${d.fleet}/${d.device} is held by running experiment ${d.experiment}`).join('; ')}: placement not changed`,
          409,
          'stop the experiment (edgewatt experiment stop <id>), or pass --force to take the device (its experiment records then no longer follow the arm until its next period)',
        );
    }
    return selected;
  }

  private before(row: PlacementRow | null): PlacementChange['before'] {
    return row === null ? null : { owner: row.owner, placement: row.command.placement };
  }

  /** The operator sets a placement on the selected devices (auto: with a basis). */
  operatorSet(request: OperatorSet): Promise<PlacementChange[]> {
    return this.exclusive(async () => {
      const selected = await this.select(request);
      const changes: PlacementChange[] = [];
      const at = new Date(this.nowMs()).toISOString();
      for (const { fleet, device } of selected) {
        const previous = this.options.db.get(fleet, device);
        const command: PlacementCommand = {
          v: 1,
          placement: request.placement,
          ...(request.server === undefined ? {} : { server: request.server }),
          reason: (request.reason ?? `set by the operator at ${at}`).slice(0, 300),
        };
        await this.write(fleet, device, 'operator', command, null);
        changes.push({ fleet, device, before: this.before(previous), placement: request.placement });
      }
      return changes;
    });
  }

  /** The operator clears the selected devices' commands: they go back to their flags. */
  operatorClear(request: OperatorRequest): Promise<PlacementChange[]> {
    return this.exclusive(async () => {
      const selected = await this.select(request);
      const changes: PlacementChange[] = [];
      for (const { fleet, device } of selected) {
        const previous = this.options.db.get(fleet, device);
        await this.publishRaw(fleet, device, null);
        this.options.db.delete(fleet, device);
        changes.push({ fleet, device, before: this.before(previous), placement: null });
      }
      return changes;
    });
  }

  /** An experiment's arm command for a board (the experiment takes the device). */
  experimentSet(
    fleet: string,
    device: string,
    experiment: string,
    payload: Uint8Array,
    modelId: string | null,
  ): Promise<void> {
    return this.exclusive(async () => {
      const command = decodeOwn(payload);
      await this.write(fleet, device, `experiment:${experiment}`, command, modelId);
    });
  }

  /**
   * Puts back a board's pre-experiment command (null: none). Returns false, changing nothing, when
   * the experiment no longer holds the device (the operator forced a command, or a clear, meanwhile).
   */
  experimentRestore(
    fleet: string,
    device: string,
    experiment: string,
    payload: Uint8Array | null,
  ): Promise<boolean> {
    return this.exclusive(async () => {
      const row = this.options.db.get(fleet, device);
      if (row !== null && row.owner !== `experiment:${experiment}`) return false;
      // No row and an empty topic: the operator cleared the device by force during the experiment
      // (an experiment's own command always has its row). That clear stays, as a forced set does.
      if (row === null && this.retained.get(fleet, device) === null) return false;
      if (payload === null) {
        await this.publishRaw(fleet, device, null);
        this.options.db.delete(fleet, device);
        return true;
      }
      await this.write(fleet, device, 'operator', decodeOwn(payload), null);
      return true;
    });
  }

  /** Recomputes and re-publishes the basis of every auto command. */
  refreshBases(): Promise<void> {
    return this.exclusive(async () => {
      for (const row of this.options.db.list()) {
        if (row.command.placement !== 'auto') continue;
        try {
          await this.publishAuto(row.fleet, row.device, row.command, row.modelId);
        } catch (error) {
          log.warn(
            { fleet: row.fleet, device: row.device, err: (error as Error).message },
            'auto basis not refreshed',
          );
        }
      }
    });
  }

  /** Records and publishes a command; an auto one goes out with its basis when one can be computed. */
  private async write(
    fleet: string,
    device: string,
    owner: PlacementOwnerId,
    command: PlacementCommand,
    modelId: string | null,
  ): Promise<void> {
    this.options.db.set({ fleet, device, owner, command, modelId, setAtMs: this.nowMs() });
    if (command.placement === 'auto') await this.publishAuto(fleet, device, command, modelId);
    else await this.publishRaw(fleet, device, encodePlacementCommand(command));
    log.info({ fleet, device, owner, placement: command.placement }, 'placement command published');
  }

  private async publishAuto(
    fleet: string,
    device: string,
    command: PlacementCommand,
    modelId: string | null,
  ): Promise<void> {
    const now = this.nowMs();
    const reason = baseReason(command.reason);
    const problem = async (why: string) => {
      this.options.db.setBasisProblem(fleet, device, why);
      log.warn({ fleet, device, problem: why }, 'auto placement without a fresh basis');
      // A command set just now goes out without a basis (the agent stays on the edge); an older
      // one keeps the basis it has.
      if (command.basis === undefined) {
        const { basis: _, ...bare } = command;
        await this.publishRaw(fleet, device, encodePlacementCommand({ ...bare, reason }));
      }
    };
    if (this.options.basis === undefined)
      return problem(
        'the collector has no --placement-scenario: auto has no basis, the device runs on the edge',
      );
    const model = modelId ?? (await this.options.currentModel(fleet, device));
    if (model === null) return problem('the model the device runs is unknown (no status message yet)');
    const outcome = await this.options.basis({ fleet, device, modelId: model }, now);
    if (!outcome.ok) return problem(outcome.problem);
    const fresh: PlacementCommand = {
      ...command,
      basis: outcome.value.basis,
      reason: basisReason(outcome.value, reason),
    };
    await this.publishRaw(fleet, device, encodePlacementCommand(fresh));
    this.options.db.setBasis(fleet, device, fresh, outcome.value.provenance, now);
  }

  private async publishRaw(fleet: string, device: string, payload: Uint8Array | null): Promise<void> {
    const bytes = payload ?? new Uint8Array(0);
    await this.options.publish(placementTopic(fleet, device), bytes, { retain: true });
    // The subscription will say so too; recording it now keeps the view right if it is slow.
    this.retained.observe(placementTopic(fleet, device), bytes);
  }

  /** Every device with a command: the collector's own, and retained ones it did not write. */
  status(): PlacementStatus[] {
    const now = this.nowMs();
    const out: PlacementStatus[] = [];
    const seen = new Set<string>();
    for (const row of this.options.db.list()) {
      seen.add(`${row.fleet}/${row.device}`);
      const basis = row.command.basis;
      out.push({
        fleet: row.fleet,
        device: row.device,
        owner: row.owner,
        placement: row.command.placement,
        server: row.command.server ?? null,
        experiment: row.command.experiment ?? null,
        arm: row.command.arm ?? null,
        setAt: new Date(row.setAtMs).toISOString(),
        basis:
          basis === undefined
            ? null
            : {
                ...basis,
                ageS: Math.max(0, (now - Date.parse(basis.comparedAt)) / 1000),
                provenance: row.provenance,
              },
        basisProblem: row.basisProblem,
      });
    }
    for (const { fleet, device, payload } of this.retained.entries()) {
      if (seen.has(`${fleet}/${device}`)) continue;
      const decoded = decodePlacementCommand(payload);
      if (!decoded.ok || decoded.value === null) continue;
      const c = decoded.value;
      out.push({
        fleet,
        device,
        owner: 'outside',
        placement: c.placement,
        server: c.server ?? null,
        experiment: c.experiment ?? null,
        arm: c.arm ?? null,
        setAt: null,
        basis:
          c.basis === undefined
            ? null
            : {
                ...c.basis,
                ageS: Math.max(0, (now - Date.parse(c.basis.comparedAt)) / 1000),
                provenance: null,
              },
        basisProblem: null,
      });
    }
    return out;
  }

  /** Refreshes every auto basis each `everyMs` (0: never) until close(). */
  start(everyMs: number): void {
    if (everyMs <= 0) return;
    const loop = () => {
      // A refresh that fails as a whole (the table unreadable) is logged: unhandled, it would end
      // the collector; the next one is still scheduled.
      this.refreshing = this.refreshBases()
        .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'auto bases not refreshed'))
        .finally(() => {
          this.refreshing = undefined;
          if (this.timer !== undefined) this.timer = setTimeout(loop, everyMs);
        });
    };
    this.timer = setTimeout(loop, everyMs);
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.refreshing;
    await this.chain;
  }
}

/** A command the collector itself encoded (the experiment driver's); a bad one is a bug, so it throws. */
function decodeOwn(payload: Uint8Array): PlacementCommand {
  const decoded = decodePlacementCommand(payload);
  if (!decoded.ok || decoded.value === null)
    throw new PlacementOwnershipError(
      `placement command to publish is not one: ${decoded.ok ? 'empty' : decoded.error.message}`,
      400,
    );
  return decoded.value;
}
