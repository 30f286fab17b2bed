// The deployment state machine, as a table (Mender's AddTransition): each active phase names the
// phase after success and after failure, and the reason reported when the error carries none.
// The machine persists every transition with its status message (journal.ts) before doing the
// work of the new phase, so a crash anywhere resumes from the journal: the resume table below says
// where, and the loop guard counts the attempts. The work of each phase is an effect (effects.ts
// with the real agent; fakes in the unit tests).

import { logger } from '../../common/logger.js';
import {
  type DeploymentReason,
  type DeploymentState,
  isDeploymentRefusal,
} from '../../protocol/deploy/index.js';
import { wallClockUs } from '../measure/runner.js';
import type { ActiveDeployment, ActivePhase, Journal, JournalStore } from './journal.js';

const log = logger('agent.deploy');

export type TerminalOutcome = 'committed' | 'rolled-back' | 'failed' | 'refused';
type Outcome = ActivePhase | TerminalOutcome;

interface Transition {
  onSuccess: Outcome;
  onFailure: Outcome;
  /** Reported when the error is not a DeploymentRefusal with its own reason. */
  reason: DeploymentReason;
}

/** What follows each phase. Before the switch a failure leaves the running model alone. */
export const TRANSITIONS: Readonly<Record<ActivePhase, Transition>> = {
  downloading: { onSuccess: 'verifying', onFailure: 'failed', reason: 'download-failed' },
  verifying: { onSuccess: 'loading', onFailure: 'refused', reason: 'hash-mismatch' },
  loading: { onSuccess: 'switching', onFailure: 'failed', reason: 'load-failed' },
  switching: { onSuccess: 'probation', onFailure: 'rolling-back', reason: 'load-failed' },
  probation: { onSuccess: 'committed', onFailure: 'rolling-back', reason: 'probation-failed' },
  'rolling-back': { onSuccess: 'rolled-back', onFailure: 'failed', reason: 'load-failed' },
};

/**
 * Where a deployment found in the journal at start-up resumes. The agent starts with the committed
 * model (the candidate becomes `current` only at commit), so anything from verifying to probation
 * starts again at verifying (the files on disk are checked again: cheap, and a power loss may have
 * hurt them); a download resumes from the bytes on disk; a rollback only has to be reported.
 */
export const RESUME_AT: Readonly<Record<ActivePhase, ActivePhase>> = {
  downloading: 'downloading',
  verifying: 'verifying',
  loading: 'verifying',
  switching: 'verifying',
  probation: 'verifying',
  'rolling-back': 'rolling-back',
};

/** Refusals: the deployment is not acceptable (security checks), not merely unlucky. */
const REFUSAL_REASONS: ReadonlySet<DeploymentReason> = new Set([
  'malformed',
  'bad-signature',
  'untrusted-key',
  'hash-mismatch',
  'too-large',
  'wrong-board',
  'old-release',
  'expired',
  'wrong-device',
]);

/** Phases after which the candidate may have served: a failure there must roll back. */
const SWITCHED: ReadonlySet<ActivePhase> = new Set(['switching', 'probation']);

export interface StepContext {
  readonly active: ActiveDeployment;
  readonly journal: Readonly<Journal>;
  readonly signal: AbortSignal;
  /** Bytes so far, for the status message of a download. */
  progress(bytes: number): void;
}

/** The work of each phase, and what happens at the end of a deployment. */
export interface DeployEffects {
  download(step: StepContext): Promise<{ bytes: number }>;
  verify(step: StepContext): Promise<void>;
  load(step: StepContext): Promise<void>;
  switchOver(step: StepContext): Promise<void>;
  probation(step: StepContext): Promise<void>;
  rollBack(step: StepContext): Promise<void>;
  /** The candidate is now the running model: update the journal entry (inside the same write). */
  commit(step: StepContext, journal: Journal): void;
  /** After the terminal state is persisted: release what the deployment no longer needs. */
  settle(step: StepContext, outcome: TerminalOutcome): Promise<void>;
  /** The model the device runs now (for previousModelId). */
  runningModelId(): string;
  /** Bytes of the candidate already on disk (what a download starts or resumes from). */
  downloadedBytes(active: ActiveDeployment): number;
}

/** Called on entering each phase, before its work (fault injection in the tests; nothing in use). */
export type PhaseHook = (phase: ActivePhase, active: ActiveDeployment) => Promise<void> | void;

export class DeployAbort extends Error {
  constructor() {
    super('a newer assignment replaced this one');
  }
}

export interface MachineOptions {
  device: string;
  journal: JournalStore;
  effects: DeployEffects;
  /** Attempts (starts and resumes) allowed before the loop guard gives up: 3, as RAUC's boot counter. */
  maxAttempts: number;
  /** A status message entered the outbox: send it. */
  onMessage: () => void;
  hook?: PhaseHook;
}

/** Runs the journal's active deployment to its end. One at a time; `abort` stops it early. */
export class DeploymentMachine {
  private bytes = 0;

  constructor(private readonly options: MachineOptions) {}

  /**
   * Announces `state` (with its reason) and persists `change` in the same write; resolves once it
   * is durable. The write runs off the event loop, so the running model keeps serving meanwhile.
   */
  private async announce(
    active: ActiveDeployment,
    state: DeploymentState,
    extra: { reason?: DeploymentReason; detail?: string; bytes?: number },
    change: (journal: Journal) => void,
  ): Promise<void> {
    const { assignment } = active;
    const previous = active.previousModelId ?? this.options.effects.runningModelId();
    await this.options.journal.announce(
      {
        atUs: wallClockUs(),
        deploymentId: assignment.deploymentId,
        modelId: assignment.modelId,
        release: assignment.release,
        state,
        ...(extra.reason === undefined ? {} : { reason: extra.reason }),
        ...(extra.detail === undefined ? {} : { detail: extra.detail.slice(0, 512) }),
        ...(extra.bytes === undefined ? {} : { bytes: extra.bytes }),
        ...(previous === assignment.modelId ? {} : { previousModelId: previous }),
        attempt: active.attempt,
      },
      this.options.device,
      change,
    );
    this.options.onMessage();
    log.info(
      {
        deploymentId: assignment.deploymentId,
        model: assignment.modelId.slice(0, 12),
        state,
        attempt: active.attempt,
        ...extra,
      },
      `deployment ${state}`,
    );
  }

  /** Enters `phase`: persisted with its message before any of its work starts. */
  private async enter(
    active: ActiveDeployment,
    phase: ActivePhase,
    extra: { reason?: DeploymentReason; detail?: string } = {},
  ): Promise<ActiveDeployment> {
    const next: ActiveDeployment = { ...active, phase, ...extra };
    if (phase === 'downloading') this.bytes = this.options.effects.downloadedBytes(next);
    await this.announce(
      next,
      phase,
      { ...extra, ...(phase === 'downloading' ? { bytes: this.bytes } : {}) },
      (journal) => {
        journal.active = next;
      },
    );
    return next;
  }

  /** Ends the deployment in a terminal state, in one write with the journal's other changes. */
  private async finish(
    step: StepContext,
    state: TerminalOutcome,
    extra: { reason?: DeploymentReason; detail?: string },
  ): Promise<void> {
    await this.announce(
      step.active,
      state,
      { ...extra, ...(state === 'committed' ? { bytes: this.bytes } : {}) },
      (journal) => {
        if (state === 'committed') this.options.effects.commit(step, journal);
        journal.active = null;
        journal.finished.push(step.active.assignment.deploymentId);
      },
    );
  }

  /**
   * Starts a new deployment (attempt 1) or resumes the journal's (attempt + 1, at RESUME_AT), and
   * runs it to a terminal state. Resolves with that state.
   */
  async run(
    fresh: Omit<ActiveDeployment, 'phase' | 'attempt'> | null,
    signal: AbortSignal,
  ): Promise<DeploymentState> {
    let active: ActiveDeployment;
    const stored = this.options.journal.journal.active;
    if (fresh !== null) {
      const previousModelId = this.options.effects.runningModelId();
      active = await this.enter(
        { ...fresh, phase: 'downloading', attempt: 1, previousModelId },
        'downloading',
      );
    } else if (stored !== null) {
      const attempt = stored.attempt + 1;
      if (attempt > this.options.maxAttempts) {
        // Loop guard: this deployment crashed the agent (or was cut by power) too often.
        const detail = `attempt ${attempt} of at most ${this.options.maxAttempts}: giving up`;
        if (SWITCHED.has(stored.phase) || stored.phase === 'rolling-back') {
          active = await this.enter({ ...stored, attempt }, 'rolling-back', { reason: 'crash-loop', detail });
        } else {
          const step = this.stepOf({ ...stored, attempt }, signal);
          await this.finish(step, 'failed', { reason: 'crash-loop', detail });
          await this.settle(step, 'failed');
          return 'failed';
        }
      } else {
        active = await this.enter(
          { ...stored, attempt },
          RESUME_AT[stored.phase],
          stored.phase === 'rolling-back'
            ? {
                ...(stored.reason === undefined ? {} : { reason: stored.reason }),
                ...(stored.detail === undefined ? {} : { detail: stored.detail }),
              }
            : {},
        );
      }
    } else {
      throw new Error('nothing to run: no assignment and no deployment in the journal');
    }
    for (;;) {
      const step = this.stepOf(active, signal);
      const transition = TRANSITIONS[active.phase];
      let outcome: Outcome;
      let extra: { reason?: DeploymentReason; detail?: string } = {};
      try {
        await this.options.hook?.(active.phase, active);
        await this.work(step);
        // A rollback is finished whatever replaced the assignment: it is what makes the device safe.
        if (signal.aborted && active.phase !== 'rolling-back') throw new DeployAbort();
        outcome = transition.onSuccess;
        if (active.phase === 'rolling-back')
          extra = {
            ...(active.reason === undefined ? {} : { reason: active.reason }),
            ...(active.detail === undefined ? {} : { detail: active.detail }),
          };
      } catch (error) {
        const aborted = active.phase !== 'rolling-back' && (error instanceof DeployAbort || signal.aborted);
        const reason: DeploymentReason = aborted
          ? 'aborted'
          : isDeploymentRefusal(error)
            ? error.reason
            : transition.reason;
        extra = {
          reason,
          detail: aborted ? 'a newer assignment replaced this one' : (error as Error).message,
        };
        outcome = transition.onFailure;
        // Before the switch, a failed security check is a refusal wherever it is found (the
        // manifest is checked while downloading), and an abort a plain failure.
        if (!SWITCHED.has(active.phase) && active.phase !== 'rolling-back') {
          if (aborted) outcome = 'failed';
          else if (REFUSAL_REASONS.has(reason)) outcome = 'refused';
          else if (isDeploymentRefusal(error)) outcome = 'failed'; // a typed operational failure
        }
        log.warn({ phase: active.phase, reason, err: extra.detail }, 'deployment step failed');
      }
      if (
        outcome === 'committed' ||
        outcome === 'rolled-back' ||
        outcome === 'failed' ||
        outcome === 'refused'
      ) {
        await this.finish(step, outcome, extra);
        await this.settle(step, outcome);
        return outcome;
      }
      active = await this.enter(active, outcome, outcome === 'rolling-back' ? extra : {});
    }
  }

  private async settle(step: StepContext, outcome: TerminalOutcome): Promise<void> {
    await this.options.effects
      .settle(step, outcome)
      .catch((error: unknown) => log.warn({ err: error, outcome }, 'clean-up after the deployment failed'));
  }

  private stepOf(active: ActiveDeployment, signal: AbortSignal): StepContext {
    return {
      active,
      journal: this.options.journal.journal,
      signal,
      progress: (bytes) => {
        this.bytes = bytes;
      },
    };
  }

  private async work(step: StepContext): Promise<void> {
    const effects = this.options.effects;
    switch (step.active.phase) {
      case 'downloading':
        this.bytes = (await effects.download(step)).bytes;
        return;
      case 'verifying':
        return effects.verify(step);
      case 'loading':
        return effects.load(step);
      case 'switching':
        return effects.switchOver(step);
      case 'probation':
        return effects.probation(step);
      case 'rolling-back':
        return effects.rollBack(step);
    }
  }
}
