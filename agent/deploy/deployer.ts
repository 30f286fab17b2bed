// The device side of model deployment: takes the retained, signed assignment from cmd/model,
// checks it (protocol/deploy), and runs it through the state machine, one deployment at a time;
// a newer assignment aborts the one running (which rolls back if it had switched). At start it
// resumes or rolls back what the journal says was running when the agent stopped. An assignment
// for the model already running converges at once (its tags are applied, `committed` reported).

import { createHash } from 'node:crypto';
import { logger } from '../../common/logger.js';
import {
  type Assignment,
  type DeploymentState,
  isDeploymentRefusal,
  type LineRelease,
  verifyAssignment,
  withCommitted,
} from '../../protocol/deploy/index.js';
import type { TrustedKey } from '../../protocol/manifest/index.js';
import type { Agent } from '../agent.js';
import { wallClockUs } from '../measure/runner.js';
import { AgentEffects, type EffectsConfig, tagsOf } from './effects.js';
import type { JournalStore } from './journal.js';
import { DeployLink } from './link.js';
import { DeploymentMachine, type PhaseHook } from './machine.js';
import { rehearseDeployment } from './rehearse.js';

const log = logger('agent.deploy');

export interface DeployerConfig extends EffectsConfig {
  fleet: string;
  device: string;
  /** --deployment-trusted-key: the collector's deployment public keys. */
  deploymentKeys: readonly TrustedKey[];
  /** Largest artifact this device accepts, bytes. */
  maxArtifactBytes: number;
  /** Loop guard: starts plus resumes of one deployment. */
  maxAttempts: number;
  /** Fault injection for the tests; nothing in use. */
  hook?: PhaseHook;
}

/** The model folder the agent starts with: the committed deployed one, else --model. */
export function startModelPath(
  journal: JournalStore,
  configured: string,
): { path: string; tags: Assignment['tags'] } {
  const current = journal.journal.current;
  return current === null ? { path: configured, tags: undefined } : { path: current.dir, tags: current.tags };
}

const payloadKey = (payload: Uint8Array) =>
  `payload:${createHash('sha256').update(payload).digest('hex').slice(0, 16)}`;

export class Deployer {
  private readonly machine: DeploymentMachine;
  private readonly link: DeployLink;
  private running:
    | { deploymentId: string; modelId: string; abort: AbortController; done: Promise<DeploymentState> }
    | undefined;
  /** The newest assignment payload not yet handled (older ones waiting are superseded). */
  private waiting: Buffer | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Resolves on every terminal state (tests, and the CLI's log). */
  private readonly listeners: ((state: DeploymentState) => void)[] = [];

  constructor(
    private readonly agent: Agent,
    private readonly journal: JournalStore,
    private readonly config: DeployerConfig,
  ) {
    // Now, in the agent's start-up, not inside the first switch (rehearse.ts).
    rehearseDeployment(config.fleet, config.device);
    this.machine = new DeploymentMachine({
      device: config.device,
      journal,
      effects: new AgentEffects(agent, journal, config),
      maxAttempts: config.maxAttempts,
      onMessage: () => this.link?.flush(),
      ...(config.hook === undefined ? {} : { hook: config.hook }),
    });
    // Whatever the deployer does waits for this first journal write (ordered with it).
    this.chain = this.rememberRunningRelease().catch((error: unknown) => {
      log.error({ err: error }, 'deployment journal not written at start');
    });
    this.link = new DeployLink({
      publisher: agent.publisher,
      fleet: config.fleet,
      device: config.device,
      onAssignment: (payload) => this.offer(payload),
      pending: () => this.journal.journal.outbox,
      acknowledge: (seq) => void this.journal.acknowledge(seq),
    });
    const active = journal.journal.active;
    if (active !== null) {
      log.info(
        { deploymentId: active.assignment.deploymentId, phase: active.phase, attempt: active.attempt },
        'resuming the deployment the agent stopped in',
      );
      this.chain = this.chain.then(() => this.startRun(active.assignment, null));
    }
  }

  /** The release of the model the agent was started with counts as committed (rollback protection). */
  private async rememberRunningRelease(): Promise<void> {
    const manifest = this.agent.runningModel.manifest;
    if (manifest === null || this.journal.journal.current !== null) return;
    const highest: Record<string, LineRelease> = withCommitted(this.journal.journal.highest, manifest);
    if (JSON.stringify(highest) !== JSON.stringify(this.journal.journal.highest)) {
      await this.journal.update((journal) => {
        journal.highest = highest;
      });
    }
  }

  onSettled(listener: (state: DeploymentState) => void): void {
    this.listeners.push(listener);
  }

  /** A payload from cmd/model: handled after the one running, newest first. */
  private offer(payload: Buffer): void {
    if (this.closed) return;
    this.waiting = payload;
    this.chain = this.chain
      .then(() => this.handleWaiting())
      .catch((error: unknown) => {
        log.error({ err: error }, 'assignment handling failed');
      });
  }

  private async handleWaiting(): Promise<void> {
    const payload = this.waiting;
    this.waiting = undefined;
    if (payload === undefined || this.closed) return;
    if (payload.byteLength === 0) {
      log.info('assignment cleared; keeping the model that runs');
      return;
    }
    const journal = this.journal.journal;
    let assignment: Assignment;
    try {
      assignment = verifyAssignment(payload, this.config.deploymentKeys, {
        fleet: this.config.fleet,
        device: this.config.device,
        nowMs: Date.now(),
        maxArtifactBytes: this.config.maxArtifactBytes,
      });
    } catch (error) {
      if (!isDeploymentRefusal(error)) throw error;
      const key = payloadKey(payload);
      if (journal.finished.includes(key)) return; // the same retained payload, refused before
      await this.refuse(payload, key, error.reason, error.message);
      return;
    }
    if (journal.finished.includes(assignment.deploymentId)) return;
    if (this.running !== undefined) {
      if (
        this.running.deploymentId === assignment.deploymentId &&
        this.running.modelId === assignment.modelId
      )
        return;
      log.info(
        { running: this.running.deploymentId, next: assignment.deploymentId },
        'a newer assignment replaces the running deployment',
      );
      this.running.abort.abort();
      await this.running.done;
    }
    if (this.agent.runningModel.id === assignment.modelId) {
      await this.converged(assignment);
      return;
    }
    this.startRun(assignment, payload);
  }

  private startRun(assignment: Assignment, payload: Buffer | null): void {
    const abort = new AbortController();
    const done = this.machine
      .run(payload === null ? null : { payload: payload.toString('utf8'), assignment }, abort.signal)
      .catch((error: unknown) => {
        log.error({ err: error }, 'deployment stopped unexpectedly');
        return 'failed' as const;
      })
      .then((state) => {
        if (this.running?.done === done) this.running = undefined;
        for (const listener of this.listeners) listener(state);
        return state;
      });
    this.running = { deploymentId: assignment.deploymentId, modelId: assignment.modelId, abort, done };
  }

  /** The device already runs the assigned model: apply its tags and report it committed. */
  private async converged(assignment: Assignment): Promise<void> {
    await this.agent.restoreModel(this.agent.runningModel, tagsOf(assignment.tags));
    await this.journal.announce(
      {
        atUs: wallClockUs(),
        deploymentId: assignment.deploymentId,
        modelId: assignment.modelId,
        release: assignment.release,
        state: 'committed',
        detail: 'already running this model',
        attempt: 1,
      },
      this.config.device,
      (journal) => {
        if (journal.current !== null && journal.current.modelId === assignment.modelId) {
          journal.current = {
            ...journal.current,
            deploymentId: assignment.deploymentId,
            ...(assignment.tags === undefined ? {} : { tags: assignment.tags }),
          };
          if (assignment.tags === undefined) delete journal.current.tags;
        }
        journal.finished.push(assignment.deploymentId);
      },
    );
    this.link.flush();
    for (const listener of this.listeners) listener('committed');
  }

  /** Reports a refused assignment, with the ids it claims (unverified: for the report only). */
  private async refuse(
    payload: Buffer,
    key: string,
    reason: Parameters<JournalStore['announce']>[0]['reason'],
    detail: string,
  ): Promise<void> {
    const claimed = claimedIds(payload);
    log.warn({ reason, detail, ...claimed }, 'assignment refused; keeping the model that runs');
    await this.journal.announce(
      {
        atUs: wallClockUs(),
        deploymentId: claimed.deploymentId,
        modelId: claimed.modelId,
        release: claimed.release,
        state: 'refused',
        ...(reason === undefined ? {} : { reason }),
        detail: detail.slice(0, 512),
        attempt: 1,
      },
      this.config.device,
      (journal) => {
        journal.finished.push(key);
      },
    );
    this.link.flush();
    for (const listener of this.listeners) listener('refused');
  }

  /** Waits for the running deployment and any assignment waiting. */
  async idle(): Promise<void> {
    await this.chain;
    await this.running?.done;
  }

  /** Stops taking assignments; a running deployment is left where it is (resumed at the next start). */
  async close(): Promise<void> {
    this.closed = true;
    await this.link.close();
    await this.journal.flushed();
  }

  kill(): void {
    this.closed = true;
    this.link.kill();
  }
}

/** deploymentId, modelId and release as an unverified payload claims them, or placeholders. */
function claimedIds(payload: Buffer): { deploymentId: string; modelId: string; release: number } {
  const fallback = { deploymentId: 'unknown', modelId: '0'.repeat(64), release: 0 };
  try {
    const envelope = JSON.parse(payload.toString('utf8')) as { assignment?: unknown };
    const inner = JSON.parse(String(envelope.assignment)) as Record<string, unknown>;
    const deploymentId =
      typeof inner.deploymentId === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(inner.deploymentId)
        ? inner.deploymentId
        : fallback.deploymentId;
    const modelId =
      typeof inner.modelId === 'string' && /^[0-9a-f]{64}$/.test(inner.modelId)
        ? inner.modelId
        : fallback.modelId;
    const release =
      typeof inner.release === 'number' && Number.isSafeInteger(inner.release) && inner.release >= 0
        ? inner.release
        : 0;
    return { deploymentId, modelId, release };
  } catch {
    return fallback;
  }
}
