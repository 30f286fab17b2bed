// The agent: runs a model at a configured rate, attributes energy to each inference through its
// power sensor, and hands records to the durable outbox and the publisher in batches.

import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../common/logger.js';
import { EDGEWATT_VERSION } from '../common/version.js';
import { type Encoding, type InferenceRecord, quantizeRecord } from '../protocol/index.js';
import { ModelLoadError, type ModelTrust, TRUST_ANY, trustFromKeyFiles } from '../protocol/manifest/index.js';
import { type BackendName, loadRuntime } from '../runtime/backend.js';
import { randomInputPool } from '../runtime/inputs.js';
import { type LoadedModel, loadModel } from '../runtime/model.js';
import { median } from './measure/integrate.js';
import { runInference } from './measure/runner.js';
import { WARMUP_GROUP, warmUp } from './measure/warmup.js';
import { WindowPlanner } from './measure/windows.js';
import type { UnsequencedRecord } from './publish/outbox.js';
import { Publisher, type PublisherOptions } from './publish/publisher.js';
import type { Spool, SpoolOptions, SpoolStats } from './publish/spool.js';
import { openSpool } from './publish/spools.js';
import { createSensor, type PowerSensor, parseSensorSpec } from './sensors/index.js';

export interface AgentConfig {
  broker: string;
  fleet: string;
  device: string;
  /** `kind[:board]`, e.g. `simulated:rpi4`. */
  sensor: string;
  /** Path to model.json or its folder. */
  model: string;
  /** Trusted ed25519 public keys (PEM files): only models signed by one of them run. */
  trustedKeys?: string[];
  /** Also run unsigned models (development only); without it and without keys, start fails. */
  allowUnsigned?: boolean;
  /**
   * Warm-up inferences run before the first measured one and never published; undefined runs
   * them until latency settles (agent/measure/warmup.ts), 0 runs none.
   */
  warmup?: number | undefined;
  /** Inferences per second; 0 runs back to back. */
  rate: number;
  /** Stop after this many inferences; 0 runs until stopped. */
  count: number;
  /** Where the sequence counter and the outbox live; survives restarts. */
  stateDir: string;
  /** Records per batch at most, and the longest a record waits before its batch is sealed. */
  batchMax: number;
  flushMs: number;
  encoding: Encoding;
  backend?: BackendName;
  batchSize: number;
  username?: string;
  password?: string;
  /** Spool kind (`file`, `sqlite`), byte bound and fsync policy; defaults: file, 64 MiB, always. */
  spool?: SpoolOptions & { kind?: string };
  /** CA (and client certificate) PEM text for an mqtts:// broker. */
  tls?: PublisherOptions['tls'];
}

export interface AgentStats {
  inferences: number;
  totalLatencyUs: number;
  backend: BackendName;
  modelId: string;
  variant: string;
  sensor: string;
  startupMs: number;
  /** Warm-up inferences run before the first measured one (not published). */
  warmupInferences: number;
}

const log = logger('agent');

export class Agent {
  private pending: UnsequencedRecord[] = [];
  private trust: ModelTrust = TRUST_ANY;
  private readonly stopController = new AbortController();
  private flushTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> = Promise.resolve();
  /**
   * Held by the loop while it measures a window and by a model swap while it warms the new model
   * up: warm-up inferences must never run inside a measured window or an idle gap.
   */
  private turn: Promise<void> = Promise.resolve();
  private readonly batchListeners: ((records: readonly InferenceRecord[]) => void)[] = [];
  readonly stats: AgentStats;
  /** Single or batched windows, and the median energy per inference over recent windows. */
  readonly windows: WindowPlanner;

  private constructor(
    private readonly config: AgentConfig,
    private model: LoadedModel,
    private readonly sensor: PowerSensor,
    private readonly outbox: Spool,
    readonly publisher: Publisher,
    backend: BackendName,
    startupMs: number,
  ) {
    this.windows = new WindowPlanner(sensor);
    this.stats = {
      inferences: 0,
      totalLatencyUs: 0,
      backend,
      modelId: model.id,
      variant: model.variant,
      sensor: sensor.label,
      startupMs,
      warmupInferences: 0,
    };
  }

  static async start(config: AgentConfig): Promise<Agent> {
    const startedAt = performance.now();
    const trust = trustFromKeyFiles(config.trustedKeys ?? [], config.allowUnsigned === true);
    const sensor = createSensor(config.sensor);
    const runtime = await loadRuntime(config.backend);
    const model = await loadModel(runtime.tf, config.model, trust);
    await sensor.open();
    const outbox = openSpool(
      config.spool?.kind ?? 'file',
      config.stateDir,
      config.device,
      config.encoding,
      config.spool,
    );
    const board = parseSensorSpec(config.sensor)?.boardId;
    const publisher = new Publisher(outbox, {
      brokerUrl: config.broker,
      fleet: config.fleet,
      device: config.device,
      username: config.username,
      password: config.password,
      stateDir: config.stateDir,
      tls: config.tls,
      describe: {
        ...(board === undefined ? {} : { board }),
        sensor: sensor.label,
        backend: runtime.backend,
        modelId: model.id,
        variant: model.variant,
        agentVersion: EDGEWATT_VERSION,
      },
    });
    const agent = new Agent(config, model, sensor, outbox, publisher, runtime.backend, 0);
    agent.trust = trust;
    agent.loop = agent.run(runtime.tf, startedAt);
    agent.flushTimer = setInterval(() => agent.seal(), config.flushMs);
    log.info(
      {
        device: config.device,
        backend: runtime.backend,
        model: model.id.slice(0, 12),
        nextSeq: outbox.nextSeq,
      },
      'agent started',
    );
    return agent;
  }

  private async run(tf: Awaited<ReturnType<typeof loadRuntime>>['tf'], startedAt: number): Promise<void> {
    const inputs = randomInputPool(tf, this.model.inputShape, this.config.batchSize);
    const signal = this.stopController.signal;
    const periodMs = this.config.rate > 0 ? 1000 / this.config.rate : 0;
    try {
      await this.exclusive(() => this.warmUp(inputs.next.bind(inputs), signal));
      const loopStart = performance.now();
      for (let i = 0; !signal.aborted && (this.config.count === 0 || i < this.config.count); i++) {
        const dueMs = loopStart + i * periodMs;
        const waitMs = dueMs - performance.now();
        // Yield to the event loop between inferences even at full speed, so MQTT keeps flowing.
        await sleep(Math.max(0, waitMs), undefined, { signal }).catch(() => undefined);
        if (signal.aborted) break;
        // One window of one inference, or of N back to back when one is too short for the sensor.
        const budget = this.config.count === 0 ? Number.POSITIVE_INFINITY : this.config.count - i;
        // The model cannot change inside the turn: a swap waits for the window to end.
        const { model, window } = await this.exclusive(async () => {
          const model = this.model;
          const window = await this.windows.measure(() => {
            const { input, label } = inputs.next();
            return { run: runInference(model, input), label };
          }, budget);
          return { model, window };
        });
        i += window.length - 1;
        for (const { run, label, energy, method, windowInferences } of window) {
          if (this.stats.inferences === 0) {
            this.stats.startupMs = performance.now() - startedAt;
            // performance.now() counts from process start: the start-up a board's operator waits for.
            log.info(
              {
                startupMs: this.stats.startupMs,
                sinceProcessStartMs: performance.now(),
                rssBytes: process.memoryUsage().rss,
              },
              'first inference',
            );
          }
          const durationUs = Math.max(1, Math.round(Number(run.window.endNs - run.window.startNs) / 1000));
          const { seq: _seq, ...record } = quantizeRecord({
            seq: 0,
            startUs: run.startUs,
            durationUs,
            energyJ: energy.energyJ,
            energyUncertaintyJ: energy.uncertaintyJ,
            baselineW: energy.baselineW,
            ...(energy.baselineUncertaintyW === undefined
              ? {}
              : { baselineUncertaintyW: energy.baselineUncertaintyW }),
            sampleCount: energy.sampleCount,
            provenance: energy.provenance,
            sensor: this.sensor.label,
            modelId: model.id,
            variant: model.variant,
            backend: this.stats.backend,
            batchSize: this.config.batchSize,
            inputBytes: run.inputBytes,
            outputBytes: run.outputBytes,
            correct: label === null ? null : run.argmax === label,
            method,
            windowInferences,
          });
          this.pending.push(record);
          this.stats.inferences++;
          this.stats.totalLatencyUs += durationUs;
          if (this.pending.length >= this.config.batchMax) this.seal();
        }
      }
    } finally {
      inputs.dispose();
      this.seal();
    }
  }

  /** Runs `task` when no window is being measured and no swap is warming up; the next waits for it. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.turn.then(task);
    this.turn = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Runs the warm-up inferences (graph compilation, caches) unmeasured and logs what they took. */
  private async warmUp(
    next: () => { input: Parameters<typeof runInference>[1] },
    signal: AbortSignal,
    model: LoadedModel = this.model,
  ): Promise<number> {
    const result = await warmUp(
      () => {
        const { window } = runInference(model, next().input);
        return Number(window.endNs - window.startNs) / 1000;
      },
      this.config.warmup,
      signal,
    );
    this.stats.warmupInferences += result.count;
    if (result.count === 0) return 0;
    const tail = result.latenciesUs.slice(-WARMUP_GROUP);
    log.info(
      {
        warmup: result.count,
        model: model.id.slice(0, 12),
        requested: this.config.warmup ?? 'until latency settles',
        settled: result.settled,
        firstUs: Math.round(result.latenciesUs[0] ?? 0),
        maxUs: Math.round(Math.max(...result.latenciesUs)),
        lastMedianUs: Math.round(median(tail)),
      },
      result.settled || signal.aborted
        ? 'warm-up done (not published)'
        : 'warm-up stopped at its cap: latency did not settle',
    );
    return result.count;
  }

  /**
   * Loads and verifies another model and runs it from the next inference on. A model that fails
   * loading or verification (unsigned, tampered) is refused with that error, and the agent keeps
   * running the model it had.
   */
  async swapModel(path: string): Promise<LoadedModel> {
    const { tf } = await loadRuntime(this.config.backend);
    const next = await loadModel(tf, path, this.trust).catch((error: unknown) => {
      log.error(
        { path, err: error, keeping: this.model.id.slice(0, 12) },
        'model refused; keeping the current one',
      );
      throw error;
    });
    if (next.inputShape.join(',') !== this.model.inputShape.join(',')) {
      next.dispose();
      throw new ModelLoadError(
        `model ${path} takes input [${next.inputShape.join(', ')}], the running one [${this.model.inputShape.join(', ')}]; keeping the running model`,
      );
    }
    // The new model compiles its graph and fills its caches on its first calls, as at start: it
    // warms up unmeasured, while the loop waits (so no warm-up falls in a window or an idle gap),
    // and its first published record comes after.
    const warmupInferences = await this.exclusive(async () => {
      const inputs = randomInputPool(tf, next.inputShape, this.config.batchSize);
      try {
        const count = await this.warmUp(inputs.next.bind(inputs), this.stopController.signal, next);
        // What ran since the last window was not idle: the sensor must not take it as an idle gap.
        this.sensor.interrupted?.();
        const previous = this.model;
        this.model = next;
        this.stats.modelId = next.id;
        this.stats.variant = next.variant;
        previous.dispose();
        return count;
      } finally {
        inputs.dispose();
      }
    });
    log.info(
      { model: next.id.slice(0, 12), variant: next.variant, signedBy: next.signedBy, warmupInferences },
      'model swapped',
    );
    return next;
  }

  /** Number and persist what is pending, then offer it to the broker. */
  private seal(): void {
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    const batch = this.outbox.seal(records);
    this.publisher.enqueue(batch.firstSeq, batch.count);
    for (const listener of this.batchListeners) listener(batch.records);
  }

  /** Calls `listener` with every batch of records once it is durable, before it is sent. */
  onBatch(listener: (records: readonly InferenceRecord[]) => void): void {
    this.batchListeners.push(listener);
  }

  /**
   * Resolves when the configured count is done (never, for count 0, until stopped); rejects when
   * the agent cannot go on (the broker refused its credentials at start).
   */
  finished(): Promise<void> {
    return Promise.race([this.loop, this.publisher.fatal]);
  }

  get nextSeq(): number {
    return this.outbox.nextSeq;
  }

  /**
   * Graceful stop: finish the current inference, seal, wait for acknowledgements, say offline.
   * Returns the spool's figures at the end (what is still pending, what was dropped).
   */
  async stop(drainTimeoutMs = 10_000): Promise<SpoolStats> {
    this.stopController.abort();
    await this.loop;
    clearInterval(this.flushTimer);
    const drained = await this.publisher.drain(drainTimeoutMs);
    if (!drained)
      log.warn(
        { pending: this.outbox.stats().pendingBatches },
        'stopping with unacknowledged batches on disk',
      );
    await this.publisher.close();
    const spool = this.outbox.stats(); // pending and dropped (oldest first past the byte bound)
    this.outbox.close();
    await this.sensor.close();
    log.info(
      {
        inferences: this.stats.inferences,
        rssBytes: process.memoryUsage().rss,
        sent: this.publisher.stats,
        spool,
      },
      'agent stopped',
    );
    this.model.dispose();
    return spool;
  }

  /** As on power loss: stop now, flush nothing, no offline message. For tests of recovery. */
  async kill(): Promise<void> {
    this.stopController.abort();
    clearInterval(this.flushTimer);
    this.pending = [];
    await this.publisher.kill();
    await this.loop.catch(() => undefined);
    this.outbox.close();
    this.model.dispose();
  }
}
