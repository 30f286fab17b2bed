// The collector's one way to tell a device which model to run, shared by rollouts and the
// experiment scheduler: sign an assignment with the deployment key, publish it retained on the
// device's `cmd/model` topic, remember it, and let callers await the device's terminal report.
// Status messages come in through handleReport() (the collector routes `deployment` topics here).

import { createPublicKey, type KeyObject } from 'node:crypto';
import { EdgewattError } from '../../common/errors.js';
import { logger } from '../../common/logger.js';
import {
  ASSIGNMENT_COMMAND,
  ASSIGNMENT_SCHEMA,
  type Assignment,
  signAssignment,
} from '../../protocol/deploy/index.js';
import { buildTopic } from '../../protocol/index.js';
import { keyIdOf } from '../../protocol/manifest/index.js';
import type { DeploymentPoint, DeploymentWriter } from '../store/index.js';
import type { DeployDb } from './deploy-db.js';
import type { ModelRegistry } from './registry.js';
import { type DeploymentReport, isTerminal } from './report.js';

const log = logger('collector.deploy');

export class AssignmentError extends EdgewattError {
  override readonly name = 'AssignmentError';
}

/** Publishes one MQTT message (the collector's client): QoS 1, retained when asked. */
export type Publish = (topic: string, payload: Uint8Array, options: { retain: boolean }) => Promise<void>;

export interface AssignRequest {
  fleet: string;
  device: string;
  /** Correlates the device's status messages: a rollout id, or `<experiment>.<period>`. */
  deploymentId: string;
  /** A model stored in the registry (its artifact id). */
  modelId: string;
  /** Back to the device's previous committed model (the one case an older release is accepted). */
  rollback?: boolean;
  /** Seconds the device keeps the new model on probation before it commits. */
  probationS: number;
  /** Put on every inference record the model produces. */
  tags?: Assignment['tags'];
  /** How long the assignment stays valid (default 7 days): a device offline longer refuses it as expired. */
  validForS?: number;
}

/** How a deployment ended for a device, as awaitTerminal() resolves. */
export type TerminalOutcome =
  | { state: 'committed' | 'rolled-back' | 'failed' | 'refused'; report: DeploymentReport }
  | { state: 'timed-out'; report: DeploymentReport | null };

export interface DeploymentServiceOptions {
  db: DeployDb;
  registry: ModelRegistry;
  /** The deployment key (ed25519, online); signs assignments only. */
  deploymentKey: KeyObject;
  /** Registry URL the devices download from (`https://collector.lan:8787`); read at each assignment. */
  baseUrl: () => string;
  publish: Publish;
  /** A store that keeps deployment points for dashboards (InfluxDB); written besides deploy.sqlite. */
  points?: DeploymentWriter | undefined;
  nowMs?: () => number;
}

type Listener = (report: DeploymentReport) => void;

export const DEFAULT_ASSIGNMENT_VALIDITY_S = 7 * 86_400;

export class DeploymentService {
  private readonly listeners = new Set<Listener>();
  private readonly nowMs: () => number;
  readonly keyId: string;

  constructor(private readonly options: DeploymentServiceOptions) {
    this.nowMs = options.nowMs ?? Date.now;
    this.keyId = keyIdOf(createPublicKey(options.deploymentKey));
  }

  get db(): DeployDb {
    return this.options.db;
  }

  /**
   * Signs and publishes (retained, QoS 1) the assignment of `modelId` to one device; resolves once
   * the broker has it. The model must be in the registry: its release and size go into the
   * assignment, and the device downloads it from there.
   */
  async publishAssignment(request: AssignRequest): Promise<Assignment> {
    const entry = await this.options.registry.get(request.modelId);
    if (entry === null) {
      throw new AssignmentError(`model ${request.modelId} is not in the registry`, {
        hint: 'add it with "edgewatt registry add <model-dir>" (on the collector\'s --data-dir)',
      });
    }
    const nowMs = this.nowMs();
    const assignment: Assignment = {
      schema: ASSIGNMENT_SCHEMA,
      fleet: request.fleet,
      device: request.device,
      deploymentId: request.deploymentId,
      modelId: entry.modelId,
      release: entry.release,
      rollback: request.rollback ?? false,
      artifactBytes: entry.artifactBytes,
      baseUrl: this.options.baseUrl(),
      issuedAt: new Date(nowMs).toISOString(),
      expires: new Date(nowMs + (request.validForS ?? DEFAULT_ASSIGNMENT_VALIDITY_S) * 1000).toISOString(),
      probationS: request.probationS,
      ...(request.tags === undefined ? {} : { tags: request.tags }),
    };
    const payload = signAssignment(assignment, this.options.deploymentKey);
    await this.options.publish(this.topic(request.fleet, request.device), payload, { retain: true });
    this.options.db.setAssignment({ ...assignment, payload });
    log.info(
      {
        device: `${request.fleet}/${request.device}`,
        deploymentId: request.deploymentId,
        modelId: entry.modelId,
        rollback: assignment.rollback,
      },
      'assignment published',
    );
    return assignment;
  }

  /** Whether the registry holds `modelId` (a rollback can be signed only for a stored model). */
  async registryHas(modelId: string): Promise<boolean> {
    return (await this.options.registry.get(modelId)) !== null;
  }

  /** Clears the device's retained assignment: it keeps running what it runs. */
  async clearAssignment(fleet: string, device: string): Promise<void> {
    await this.options.publish(this.topic(fleet, device), new Uint8Array(0), { retain: true });
    this.options.db.clearAssignment(fleet, device);
  }

  /** Stores a device's status message (once per seq) and tells the listeners; false for a redelivery. */
  handleReport(report: DeploymentReport): boolean {
    const fresh = this.options.db.addReport(report, this.nowMs() * 1000);
    if (!fresh) return false;
    this.writePoints([
      {
        kind: 'report',
        fleet: report.fleet,
        device: report.device,
        atUs: report.atUs,
        seq: report.seq,
        deploymentId: report.deploymentId,
        modelId: report.modelId,
        release: report.release,
        state: report.state,
        reason: report.reason,
        bytes: report.bytes,
        attempt: report.attempt,
      },
    ]);
    for (const listener of [...this.listeners]) {
      try {
        listener(report);
      } catch (error) {
        log.error({ err: (error as Error).message }, 'deployment listener failed');
      }
    }
    return true;
  }

  /**
   * Hands points to the dashboard store, if any. Not awaited: deploy.sqlite is the record of truth
   * and a store outage must not hold up a rollout; a failure is logged.
   */
  writePoints(points: readonly DeploymentPoint[]): void {
    const writer = this.options.points;
    if (writer === undefined || points.length === 0) return;
    writer.writeDeployments(points).catch((error: unknown) => {
      log.warn(
        { err: (error as Error).message, points: points.length },
        'deployment points not written to the store',
      );
    });
  }

  /** Calls `listener` for every new status message; returns the function that stops it. */
  onReport(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The newest stored status message of a device for one deployment, or null. */
  latestReport(fleet: string, device: string, deploymentId: string): DeploymentReport | null {
    const reports = this.options.db.reports({ fleet, device, deploymentId });
    return reports.at(-1) ?? null;
  }

  /**
   * Resolves when the device reports a terminal state for `deploymentId` (committed, rolled-back,
   * failed, refused) — at once when one is stored already — or with `timed-out` after `timeoutMs`.
   */
  awaitTerminal(
    fleet: string,
    device: string,
    deploymentId: string,
    timeoutMs: number,
  ): Promise<TerminalOutcome> {
    const stored = this.options.db
      .reports({ fleet, device, deploymentId })
      .findLast((report) => isTerminal(report.state));
    if (stored !== undefined) return Promise.resolve(terminal(stored));
    return new Promise((resolve) => {
      const stop = this.onReport((report) => {
        if (report.fleet !== fleet || report.device !== device || report.deploymentId !== deploymentId)
          return;
        if (!isTerminal(report.state)) return;
        clearTimeout(timer);
        stop();
        resolve(terminal(report));
      });
      const timer = setTimeout(() => {
        stop();
        resolve({ state: 'timed-out', report: this.latestReport(fleet, device, deploymentId) });
      }, timeoutMs);
    });
  }

  private topic(fleet: string, device: string): string {
    return buildTopic({ fleet, device, kind: 'cmd', command: ASSIGNMENT_COMMAND });
  }
}

function terminal(report: DeploymentReport): TerminalOutcome {
  return { state: report.state as 'committed' | 'rolled-back' | 'failed' | 'refused', report };
}
