// The deployment journal: everything the agent must remember across a crash or a power loss to
// resume or roll back a model deployment, in one JSON file written atomically
// (<state-dir>/deploy/state.json). Each transition writes the new phase and the status message
// that announces it in the same write, so a phase is never entered unannounced and a message is
// never sent for a phase that was not persisted; messages leave the journal once the broker
// acknowledged them (link.ts). Writes are asynchronous (fsync in the thread pool) and made in call
// order: the agent keeps serving inferences while a transition is made durable, and the machine
// awaits each write before the work of the phase it announces.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { EdgewattError } from '../../common/errors.js';
import { writeFileAtomic } from '../../common/files.js';
import { logger } from '../../common/logger.js';
import {
  type Assignment,
  assignmentSchema,
  DEPLOYMENT_REASONS,
  type DeploymentReason,
  type LineRelease,
} from '../../protocol/deploy/index.js';
import type { DeploymentMessage } from '../../protocol/index.js';

const log = logger('agent.deploy');

export const DEPLOY_DIR = 'deploy';
export const JOURNAL_FILE = 'state.json';
/** Status messages kept while the broker is unreachable; past this the oldest progress ones go. */
export const MAX_QUEUED_MESSAGES = 256;

/** The phases the agent persists while a deployment runs (the non-terminal deployment states). */
export const ACTIVE_PHASES = [
  'downloading',
  'verifying',
  'loading',
  'switching',
  'probation',
  'rolling-back',
] as const;
export type ActivePhase = (typeof ACTIVE_PHASES)[number];

/** A model the agent can run from disk: the one it runs, or the one before it. */
export interface InstalledModel {
  modelId: string;
  /** Folder of model.json, manifest.json and manifest.sig. */
  dir: string;
  release: number;
  /** Record tags of the assignment that installed it (experiment, arm, placement). */
  tags?: Assignment['tags'];
  deploymentId?: string;
}

export interface ActiveDeployment {
  /** The signed payload as received (kept as evidence of what was asked, and by which key). */
  payload: string;
  assignment: Assignment;
  phase: ActivePhase;
  /** Loop guard: 1 on the first start, one more on every resume after a crash. */
  attempt: number;
  /** The model that ran when the deployment started: the one a rollback returns to. */
  previousModelId?: string;
  /** Why the deployment is rolling back (set with phase rolling-back). */
  reason?: DeploymentReason;
  detail?: string;
}

export interface Journal {
  version: 1;
  /** Seq of the next deployment message. */
  nextSeq: number;
  /** The committed deployed model; null while the agent runs the model it was started with. */
  current: InstalledModel | null;
  /** The model before `current`, kept on disk for a rollback. */
  previous: InstalledModel | null;
  /** Highest committed release per model line (protocol/deploy/checks.ts). */
  highest: Record<string, LineRelease>;
  active: ActiveDeployment | null;
  /** deploymentIds already finished here: their retained assignment is not run again. */
  finished: string[];
  /** Status messages not yet acknowledged by the broker, oldest first. */
  outbox: DeploymentMessage[];
  /** Messages dropped because the outbox was full (counted, said in the log). */
  droppedMessages: number;
}

const installedSchema = z.object({
  modelId: z.string(),
  dir: z.string(),
  release: z.number().int().min(0),
  tags: assignmentSchema.shape.tags,
  deploymentId: z.string().optional(),
});

const journalSchema = z.object({
  version: z.literal(1),
  nextSeq: z.number().int().min(0),
  current: installedSchema.nullable(),
  previous: installedSchema.nullable(),
  highest: z.record(z.string(), z.object({ release: z.number().int().min(0), modelId: z.string() })),
  active: z
    .object({
      payload: z.string(),
      assignment: assignmentSchema,
      phase: z.enum(ACTIVE_PHASES),
      attempt: z.number().int().min(1),
      previousModelId: z.string().optional(),
      reason: z.enum(DEPLOYMENT_REASONS).optional(),
      detail: z.string().optional(),
    })
    .nullable(),
  finished: z.array(z.string()),
  outbox: z.array(z.custom<DeploymentMessage>((value) => typeof value === 'object' && value !== null)),
  droppedMessages: z.number().int().min(0),
});

export class DeployJournalError extends EdgewattError {
  override readonly name = 'DeployJournalError';
}

/** How many finished deploymentIds are remembered (older ones cannot come back: assignments expire). */
const KEPT_FINISHED = 64;

const emptyJournal = (): Journal => ({
  version: 1,
  nextSeq: 0,
  current: null,
  previous: null,
  highest: {},
  active: null,
  finished: [],
  outbox: [],
  droppedMessages: 0,
});

/** The journal file and the one copy of it in memory; every change is written before it resolves. */
export class JournalStore {
  readonly dir: string;
  private readonly path: string;
  private state: Journal;
  /** The last write queued: the next starts after it (writes never overtake one another). */
  private writing: Promise<unknown> = Promise.resolve();
  /** Seqs the broker acknowledged that are still in the journal's outbox on disk. */
  private readonly acknowledged = new Set<number>();
  private acknowledgeQueued = false;

  constructor(stateDir: string) {
    this.dir = join(stateDir, DEPLOY_DIR);
    mkdirSync(this.dir, { recursive: true });
    this.path = join(this.dir, JOURNAL_FILE);
    this.state = this.read();
  }

  private read(): Journal {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyJournal();
      throw new DeployJournalError(`cannot read ${this.path}: ${(error as Error).message}`);
    }
    const parsed = journalSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      // Written atomically, so this is not a torn write: a newer agent's format or a hand edit.
      throw new DeployJournalError(
        `${this.path} is not a deployment journal this agent reads: ${parsed.error.issues[0]?.message ?? ''}`,
        { hint: 'move it aside to start without deployment history (the agent then runs --model)' },
      );
    }
    return parsed.data as Journal;
  }

  get journal(): Readonly<Journal> {
    return this.state;
  }

  /**
   * Applies `change` to a copy of the journal as every earlier update left it and makes it durable
   * (atomic write, file and directory fsync, off the event loop); the copy in memory changes only
   * after the write, and the promise resolves then. Updates are written in call order.
   */
  update(change: (journal: Journal) => void): Promise<Readonly<Journal>> {
    const written = this.writing.then(async () => {
      const next = structuredClone(this.state);
      change(next);
      if (next.finished.length > KEPT_FINISHED) next.finished = next.finished.slice(-KEPT_FINISHED);
      if (next.outbox.length > MAX_QUEUED_MESSAGES) {
        const dropped = next.outbox.length - MAX_QUEUED_MESSAGES;
        next.outbox = next.outbox.slice(dropped);
        next.droppedMessages += dropped;
        log.warn(
          { dropped, total: next.droppedMessages },
          'deployment status outbox full: oldest messages dropped',
        );
      }
      const gone = [...this.acknowledged]; // not in `next` (the state in memory never holds them)
      await writeFileAtomic(this.path, JSON.stringify(next));
      for (const seq of gone) this.acknowledged.delete(seq);
      // Acknowledgements that arrived during the write stay out of memory too.
      this.state = this.withoutAcknowledged(next);
      return this.state;
    });
    this.writing = written.catch(() => undefined);
    return written;
  }

  private withoutAcknowledged(journal: Journal): Journal {
    if (this.acknowledged.size === 0) return journal;
    return { ...journal, outbox: journal.outbox.filter((m) => !this.acknowledged.has(m.seq)) };
  }

  /** Adds a status message (numbered here) to the outbox, with whatever else changes in the same write. */
  async announce(
    message: Omit<DeploymentMessage, 'seq' | 'v' | 'type' | 'device'>,
    device: string,
    change: (journal: Journal) => void = () => undefined,
  ): Promise<DeploymentMessage> {
    let sent: DeploymentMessage | undefined;
    await this.update((journal) => {
      change(journal);
      sent = { v: 1, type: 'deployment', device, seq: journal.nextSeq, ...message };
      journal.nextSeq++;
      journal.outbox.push(sent);
    });
    return sent as DeploymentMessage;
  }

  /**
   * The broker acknowledged the message with this seq: it leaves the outbox in memory at once and
   * on disk with the next write (one write for the acknowledgements that arrive meanwhile, not one
   * each). A restart before that sends it again; the collector keeps (device, seq) once.
   */
  acknowledge(seq: number): Promise<void> {
    if (!this.state.outbox.some((m) => m.seq === seq)) return Promise.resolve();
    this.acknowledged.add(seq);
    this.state = this.withoutAcknowledged(this.state);
    if (this.acknowledgeQueued) return this.flushed();
    this.acknowledgeQueued = true;
    return this.update(() => {
      this.acknowledgeQueued = false;
    }).then(
      () => undefined,
      (error: unknown) => {
        this.acknowledgeQueued = false;
        log.warn(
          { err: (error as Error).message },
          'deployment journal not written after an acknowledgement',
        );
      },
    );
  }

  /** Resolves when every write queued so far is on disk. */
  async flushed(): Promise<void> {
    await this.writing;
  }
}
