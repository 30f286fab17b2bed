// The work of each deployment phase on a real agent: download from the registry (metadata first,
// checked before any model byte is fetched), verify on disk and move into place, load and warm
// up next to the running model, switch, watch the probation, roll back or commit. The old model
// stays loaded until commit, so a rollback during probation is a pointer swap.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../../common/logger.js';
import {
  type Assignment,
  checkManifestForDevice,
  type DeploymentReason,
  DeploymentRefusal,
  withCommitted,
} from '../../protocol/deploy/index.js';
import { MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES } from '../../protocol/manifest/bounded-read.js';
import {
  isModelVerificationError,
  MANIFEST_FILE,
  type ModelManifest,
  type ModelTrust,
  manifestSchema,
  parseSignature,
  SIGNATURE_FILE,
  type VerificationFailure,
  verifyManifestSignature,
  verifyModelArtifact,
} from '../../protocol/manifest/index.js';
import type { ServedModel } from '../../runtime/served.js';
import type { Agent, RecordTags } from '../agent.js';
import { downloadFiles, type RegistryAccess } from './download.js';
import type { ActiveDeployment, InstalledModel, Journal, JournalStore } from './journal.js';
import type { DeployEffects, StepContext } from './machine.js';

const log = logger('agent.deploy');

export interface EffectsConfig {
  /** The device's board profile id (the manifest's `boards` are checked against it). */
  board: string | undefined;
  /** Model signature policy (--trusted-key): the same as for the model the agent starts with. */
  modelTrust: ModelTrust;
  /** Unmeasured inferences run on a new model before it serves. */
  warmupInferences: number;
  /** Registry credentials (the device's broker user name and password). */
  registry: Omit<RegistryAccess, 'baseUrl'>;
  /** The model folder the agent was started with (the first `previous` after a deployment). */
  startModelDir: string;
  /** First retry delay of a broken download, ms. */
  retryMinMs?: number;
  /** Time a switched-to model has to answer its first inference. */
  switchTimeoutMs?: number;
}

const REASON_OF_VERIFICATION: Record<VerificationFailure, DeploymentReason> = {
  unsigned: 'bad-signature',
  'bad-signature': 'bad-signature',
  'untrusted-key': 'untrusted-key',
  malformed: 'malformed',
  'hash-mismatch': 'hash-mismatch',
  'unsafe-file': 'malformed',
};

/** A model verification error as the refusal the device reports. */
function asRefusal(error: unknown): unknown {
  if (!isModelVerificationError(error)) return error;
  return new DeploymentRefusal(REASON_OF_VERIFICATION[error.reason], error.message);
}

export function tagsOf(tags: Assignment['tags'] | undefined): RecordTags {
  if (tags === undefined) return {};
  return {
    ...(tags.experiment === undefined ? {} : { experiment: tags.experiment }),
    ...(tags.arm === undefined ? {} : { arm: tags.arm }),
    // `auto` leaves the choice to whoever runs the inference; a record names where it really ran.
    ...(tags.placement === 'edge' || tags.placement === 'offload' ? { placement: tags.placement } : {}),
  };
}

export class AgentEffects implements DeployEffects {
  private staged: ServedModel | undefined;
  /** The model that served before the switch, still loaded until commit. */
  private replaced: ServedModel | undefined;
  private manifest: ModelManifest | undefined;
  private probationErrors: Error[] = [];
  private onProbationError: (() => void) | undefined;

  constructor(
    private readonly agent: Agent,
    private readonly store: JournalStore,
    private readonly config: EffectsConfig,
  ) {
    // rmSync compiles Node's rimraf module on its first call (0.5–2.5 ms on the event loop): make
    // that call at start, not in the middle of the first switch (switch-modules.int.test.ts).
    rmSync(join(store.dir, 'nothing.partial'), { recursive: true, force: true });
  }

  private partialDir(modelId: string): string {
    return join(this.store.dir, `${modelId}.partial`);
  }

  private modelDir(modelId: string): string {
    return join(this.store.dir, 'models', modelId);
  }

  /** A folder holding this model already verified once: installed, or moved into models/. */
  private localDir(modelId: string): string | undefined {
    const journal = this.store.journal;
    for (const installed of [journal.current, journal.previous]) {
      if (installed?.modelId === modelId && existsSync(join(installed.dir, MANIFEST_FILE)))
        return installed.dir;
    }
    const dir = this.modelDir(modelId);
    return existsSync(join(dir, MANIFEST_FILE)) ? dir : undefined;
  }

  runningModelId(): string {
    return this.agent.runningModel.id;
  }

  downloadedBytes(active: ActiveDeployment): number {
    const { modelId, artifactBytes } = active.assignment;
    if (this.localDir(modelId) !== undefined) return artifactBytes;
    return filesBytes(this.partialDir(modelId), [MANIFEST_FILE, SIGNATURE_FILE]);
  }

  /** Reads the signed manifest in `dir`, verifies its signature, and checks it for this device. */
  private checkedManifest(dir: string, step: StepContext): ModelManifest {
    const manifestPath = join(dir, MANIFEST_FILE);
    try {
      const bytes = readFileSync(manifestPath);
      const signatures = parseSignature(readFileSync(join(dir, SIGNATURE_FILE)), join(dir, SIGNATURE_FILE));
      verifyManifestSignature(bytes, signatures, this.config.modelTrust.keys, manifestPath);
      const parsed = manifestSchema.safeParse(JSON.parse(bytes.toString('utf8')));
      if (!parsed.success) {
        throw new DeploymentRefusal(
          'malformed',
          `${manifestPath}: ${parsed.error.issues[0]?.message ?? 'not a manifest'}`,
        );
      }
      checkManifestForDevice(parsed.data, step.active.assignment, this.deviceModels(step.journal));
      return parsed.data;
    } catch (error) {
      throw asRefusal(error);
    }
  }

  private deviceModels(journal: Readonly<Journal>) {
    return {
      board: this.config.board,
      nowMs: Date.now(),
      highest: journal.highest,
      previousModelId: journal.current === null ? undefined : (journal.previous?.modelId ?? undefined),
    };
  }

  async download(step: StepContext): Promise<{ bytes: number }> {
    const { assignment } = step.active;
    if (this.localDir(assignment.modelId) !== undefined) return { bytes: assignment.artifactBytes };
    const dir = this.partialDir(assignment.modelId);
    mkdirSync(dir, { recursive: true });
    const access = { ...this.config.registry, baseUrl: assignment.baseUrl };
    const options = {
      signal: step.signal,
      ...(this.config.retryMinMs === undefined ? {} : { retryMinMs: this.config.retryMinMs }),
    };
    // Metadata first (TUF order): nothing of the model is fetched for a manifest this device refuses.
    await downloadFiles(
      access,
      assignment.modelId,
      [
        { path: MANIFEST_FILE, bytes: MAX_MANIFEST_BYTES, exact: false },
        { path: SIGNATURE_FILE, bytes: MAX_SIGNATURE_BYTES, exact: false },
      ],
      dir,
      options,
    );
    const manifest = this.checkedManifest(dir, step);
    let bytes = filesBytes(dir, [MANIFEST_FILE, SIGNATURE_FILE]);
    step.progress(bytes);
    await downloadFiles(
      access,
      assignment.modelId,
      manifest.files.map((file) => ({ path: file.path, bytes: file.bytes, exact: true })),
      dir,
      {
        ...options,
        onBytes: (added) => {
          bytes += added;
          step.progress(bytes);
        },
      },
    );
    return { bytes: manifest.artifactBytes };
  }

  async verify(step: StepContext): Promise<void> {
    const { modelId } = step.active.assignment;
    const dir = this.localDir(modelId) ?? this.partialDir(modelId);
    const manifest = this.checkedManifest(dir, step);
    const { artifact } = await verifyModelArtifact(dir, this.config.modelTrust).catch((error: unknown) => {
      throw asRefusal(error);
    });
    if (artifact.id !== modelId) {
      throw new DeploymentRefusal(
        'hash-mismatch',
        `the files are model ${artifact.id.slice(0, 12)}, the assignment names ${modelId.slice(0, 12)}`,
      );
    }
    this.manifest = manifest;
    if (dir === this.partialDir(modelId)) {
      const target = this.modelDir(modelId);
      mkdirSync(join(this.store.dir, 'models'), { recursive: true });
      rmSync(target, { recursive: true, force: true });
      renameSync(dir, target); // atomic: a crash leaves either the partial or the verified folder
    }
  }

  async load(step: StepContext): Promise<void> {
    const dir = this.localDir(step.active.assignment.modelId);
    if (dir === undefined) throw new DeploymentRefusal('load-failed', 'the verified model folder is gone');
    this.disposeStaged();
    this.staged = await this.agent.stageModel(dir, this.config.warmupInferences).catch((error: unknown) => {
      throw isModelVerificationError(error)
        ? asRefusal(error)
        : new DeploymentRefusal('load-failed', (error as Error).message);
    });
  }

  async switchOver(step: StepContext): Promise<void> {
    const staged = this.staged;
    if (staged === undefined) throw new DeploymentRefusal('load-failed', 'no model was loaded to switch to');
    this.probationErrors = [];
    this.replaced = this.agent.runningModel;
    this.staged = undefined;
    await this.agent.switchModel(
      staged,
      tagsOf(step.active.assignment.tags),
      (error) => {
        this.probationErrors.push(error);
        this.onProbationError?.();
      },
      this.config.switchTimeoutMs,
    );
  }

  async probation(step: StepContext): Promise<void> {
    const { probationS } = step.active.assignment;
    const failed = new Promise<never>((_resolve, reject) => {
      const check = () => {
        const first = this.probationErrors[0];
        if (first !== undefined) {
          reject(
            new DeploymentRefusal(
              'probation-failed',
              `${this.probationErrors.length} inference error(s) on probation: ${first.message}`,
            ),
          );
        }
      };
      this.onProbationError = check;
      check();
    });
    try {
      await Promise.race([sleep(probationS * 1000, undefined, { signal: step.signal }), failed]);
    } finally {
      this.onProbationError = undefined;
    }
  }

  async rollBack(_step: StepContext): Promise<void> {
    const replaced = this.replaced;
    // After a restart the agent already runs the committed model: nothing to switch back.
    if (replaced === undefined) return;
    const candidate = await this.agent.restoreModel(replaced, tagsOf(this.store.journal.current?.tags));
    this.replaced = undefined;
    if (candidate !== replaced) candidate.dispose();
  }

  commit(step: StepContext, journal: Journal): void {
    const { assignment } = step.active;
    const dir = this.localDir(assignment.modelId);
    const manifest = this.manifest;
    if (dir === undefined || manifest === undefined) throw new Error('commit before verify');
    const running: InstalledModel = journal.current ?? {
      modelId: this.replaced?.id ?? this.agent.runningModel.id,
      dir: this.config.startModelDir,
      release: this.replaced?.manifest?.release ?? 0,
    };
    if (running.modelId !== assignment.modelId) journal.previous = running;
    journal.current = {
      modelId: assignment.modelId,
      dir,
      release: assignment.release,
      ...(assignment.tags === undefined ? {} : { tags: assignment.tags }),
      deploymentId: assignment.deploymentId,
    };
    journal.highest = withCommitted(journal.highest, manifest);
  }

  async settle(
    step: StepContext,
    outcome: 'committed' | 'rolled-back' | 'failed' | 'refused',
  ): Promise<void> {
    this.disposeStaged();
    this.agent.unwatch();
    const { modelId } = step.active.assignment;
    if (outcome === 'committed') {
      const replaced = this.replaced;
      this.replaced = undefined;
      if (replaced !== undefined && replaced !== this.agent.runningModel) replaced.dispose();
      this.collectGarbage();
    } else if (outcome === 'refused') {
      // A refused artifact is not kept; a failed download is, for the next try to resume it.
      rmSync(this.partialDir(modelId), { recursive: true, force: true });
      const journal = this.store.journal;
      if (journal.current?.modelId !== modelId && journal.previous?.modelId !== modelId) {
        rmSync(this.modelDir(modelId), { recursive: true, force: true });
      }
    }
    this.manifest = undefined;
  }

  private disposeStaged(): void {
    this.staged?.dispose();
    this.staged = undefined;
  }

  /** Keeps the folders of the current and the previous model, and nothing else of old deployments. */
  private collectGarbage(): void {
    const journal = this.store.journal;
    const keep = new Set([journal.current?.modelId, journal.previous?.modelId]);
    const modelsDir = join(this.store.dir, 'models');
    for (const name of existsSync(modelsDir) ? readdirSync(modelsDir) : []) {
      if (!keep.has(name)) rmSync(join(modelsDir, name), { recursive: true, force: true });
    }
    for (const name of readdirSync(this.store.dir)) {
      if (name.endsWith('.partial')) rmSync(join(this.store.dir, name), { recursive: true, force: true });
    }
    log.debug({ kept: [...keep].filter(Boolean).map((id) => id?.slice(0, 12)) }, 'old models removed');
  }
}

/** Bytes of the files under `dir` (recursively), leaving out the names in `except` at its top. */
function filesBytes(dir: string, except: readonly string[]): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    if (entry.parentPath === dir && except.includes(entry.name)) continue;
    total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}
