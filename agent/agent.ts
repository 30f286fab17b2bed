// The agent: runs a model at a configured rate, attributes energy to each inference through its
// power sensor, and hands records to the durable outbox and the publisher in batches.

import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../common/logger.js';
import { EDGEWATT_VERSION } from '../common/version.js';
import type { Encoding, InferenceRecord } from '../protocol/index.js';
import { ModelLoadError, type ModelTrust, TRUST_ANY, trustFromKeyFiles } from '../protocol/manifest/index.js';
import { type BackendName, loadRuntime, type Tf } from '../runtime/backend.js';
import { checkBackendFits, loadOptionsOf, type ModelBackend } from '../runtime/backend-choice.js';
import type { DecodedInput } from '../runtime/decode.js';
import { randomInputPool } from '../runtime/inputs.js';
import { loadServedModel, type ServedModel } from '../runtime/served.js';
import {
  type InputSource,
  type InputSourceFactory,
  type InputSourceKind,
  randomSource,
} from './inputs/source.js';
import { median } from './measure/integrate.js';
import { runServed, wallClockUs } from './measure/runner.js';
import { WARMUP_GROUP, warmUp } from './measure/warmup.js';
import { type AttributedInference, type OneInference, WindowPlanner } from './measure/windows.js';
import { OffloadFailedError, type OffloadFigures } from './offload/figures.js';
import type { OffloadConfig } from './offload/offloader.js';
import { Placement } from './offload/placement.js';
import type { OffloadRecordDraft } from './offload/record.js';
import { closeAgentOutbox, killAgentOutbox, openAgentOutbox } from './publish/agent-outbox.js';
import { FeedbackSender } from './publish/feedback-sender.js';
import type { Publisher, PublisherOptions } from './publish/publisher.js';
import { Sealer } from './publish/sealer.js';
import type { Spool, SpoolOptions, SpoolStats } from './publish/spool.js';
import { createSensor, type PowerSensor, parseSensorSpec } from './sensors/index.js';
import { AnswerMemory } from './serve/answers.js';
import { listenForFeedback } from './serve/feedback-command.js';
import { InferenceQueue, isThenable } from './serve/queue.js';
import { answerFigures, answerRowsOf, recordOf } from './serve/record.js';
import { type AgentStatus, EnergyTally } from './serve/summary.js';
import { type CodeWindow, CodeWindows } from './serve/windows.js';

export interface AgentConfig {
  broker: string;
  fleet: string;
  device: string;
  /** `kind[:board]`, e.g. `simulated:rpi4`. */
  sensor: string;
  /** Path to the model: its folder, its model.json (TensorFlow.js) or its .onnx file (ONNX). */
  model: string;
  /** Trusted ed25519 public keys (PEM files): only models signed by one of them run. */
  trustedKeys?: string[];
  /** Experiment fields put on every record of the starting model (from the deployment that installed it). */
  tags?: RecordTags;
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
  /**
   * Where the TensorFlow.js backend search starts, or the ONNX runtime of an ONNX model (onnx-cpu,
   * else onnx-wasm; `onnx-wasm` forces the WebAssembly build). Unset: every default.
   */
  backend?: ModelBackend;
  batchSize: number;
  username?: string;
  password?: string;
  /** Spool kind (`file`, `sqlite`), byte bound and fsync policy; defaults: file, 64 MiB, always. */
  spool?: SpoolOptions & { kind?: string };
  /** CA (and client certificate) PEM text for an mqtts:// broker. */
  tls?: PublisherOptions['tls'];
  /**
   * What the agent's own loop runs on: undefined is the seeded random load generator; null runs
   * no loop (the application's requests are the load: agent.infer(), the local API).
   */
  inputs?: InputSourceFactory | null;
  /** Requests (API, library) that may wait for the model at once; more get QueueFullError. Default 64. */
  queueMax?: number;
  /** Placement (--placement and the offload options); absent: the edge, until a cmd/placement says otherwise. */
  offload?: OffloadConfig;
}

/** What one inference through agent.infer() answers. */
export interface InferAnswer {
  /** Sequence number of its record: give it with a label to feedback(). */
  seq: number;
  /** Predicted class of each input (arg max of its outputs). */
  predictedClass: number[];
  /** Its name from the manifest's `labels` (an imported model's --labels), when the model has them. */
  predictedLabel?: (string | null)[];
  /** The model's outputs, one row per input. */
  output: number[][];
  /** Time the model ran, and time the request waited for the queue first, ms. */
  latencyMs: number;
  queuedMs: number;
  energy: {
    /** Gross energy of the device over the inference, and its standard uncertainty (k = 1), J. */
    energyJ: number;
    uncertaintyJ: number;
    /** Above idle: energyJ − baselineW × duration. */
    aboveIdleJ: number;
    baselineW: number;
    sampleCount: number;
    provenance: InferenceRecord['provenance'];
    sensor: string;
  };
  modelId: string;
  variant: string;
  backend: string;
  /** Where the answer came from; absent when placement is off (always the edge). */
  placement?: 'edge' | 'offload';
  /** The offload of this input, when it was offloaded (also when it failed and ran on the edge). */
  offload?: OffloadFigures;
}

/** Experiment fields a deployment puts on every record of its model (protocol/record-fields.ts). */
export type RecordTags = Partial<Pick<InferenceRecord, 'experiment' | 'arm' | 'placement'>>;

/** Time a switched-to model has to answer its first inference before the switch fails. */
export const SWITCH_TIMEOUT_MS = 30_000;

export interface AgentStats {
  inferences: number;
  totalLatencyUs: number;
  /** Backend of the running model: a TF.js backend, or `onnx-cpu` / `onnx-wasm`. */
  backend: string;
  modelId: string;
  variant: string;
  sensor: string;
  startupMs: number;
  /** Warm-up inferences run before the first measured one (not published). */
  warmupInferences: number;
  /** Inputs sent to the inference server (each has an offload record, whatever happened). */
  offloads: number;
}

const log = logger('agent');

export { OffloadFailedError, type OffloadFigures };

export class Agent {
  /** Holds records until they are sealed into the spool, and offers each durable batch to the broker. */
  private readonly sealer: Sealer;
  /** Feedback for answers, sent once their records are durable, under the seq they are stored under. */
  private readonly feedbackSender: FeedbackSender;
  private trust: ModelTrust = TRUST_ANY;
  private readonly stopController = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  /** One model call (or code window) at a time: API, library and loop share it. */
  readonly queue: InferenceQueue;
  /** Inferences answered whose records are not held yet (deferred): their seqs are reserved. */
  private heldLater = 0;
  private readonly answers = new AnswerMemory();
  readonly energy = new EnergyTally();
  private readonly codeWindows: CodeWindows;
  private loopSource: InputSourceKind | null = null;
  private readonly startedAtMs = performance.now();
  /** Put on every record of the running model (set with it by switchModel). */
  private tags: RecordTags = {};
  /** A model whose inference errors are reported here instead of stopping the agent (on probation). */
  private watched: { model: ServedModel; onError: (error: Error) => void } | undefined;
  /** Resolves when a model answered its first inference after a switch. */
  private firstAnswer:
    | { model: ServedModel; resolve: () => void; reject: (error: Error) => void }
    | undefined;
  readonly stats: AgentStats;
  /** Single or batched windows, and the median energy per inference over recent windows. */
  readonly windows: WindowPlanner;
  /** Placement: where each input runs, and the offloading of those that go to the inference server. */
  private readonly placement: Placement;
  /** TF.js of this process (loaded at start), which holds every input tensor. */
  private tf!: Tf;

  private constructor(
    private readonly config: AgentConfig,
    private model: ServedModel,
    private readonly sensor: PowerSensor,
    private readonly outbox: Spool,
    readonly publisher: Publisher,
    /** The TF.js backend of this process: what TF.js models run on. */
    private readonly tfBackend: BackendName,
    startupMs: number,
  ) {
    this.windows = new WindowPlanner(sensor);
    this.sealer = new Sealer(outbox, publisher, config.batchMax, (run, firstSeq) =>
      this.feedbackSender.settle(run, firstSeq),
    );
    this.feedbackSender = new FeedbackSender(publisher, config, (seq, held) =>
      this.sealer.holdFeedback(seq, held),
    );
    this.queue = new InferenceQueue(config.queueMax ?? 64, (error) =>
      log.error({ err: error }, 'recording an answered inference failed'),
    );
    this.codeWindows = new CodeWindows(this.queue, sensor, (record: ReturnType<typeof recordOf>) =>
      this.push(record),
    );
    this.stats = {
      inferences: 0,
      totalLatencyUs: 0,
      backend: model.format === 'onnx' ? model.backend : tfBackend,
      modelId: model.id,
      variant: model.variant,
      sensor: sensor.label,
      startupMs,
      warmupInferences: 0,
      offloads: 0,
    };
    this.placement = new Placement(
      config.offload,
      sensor,
      { device: config.device, brokerUser: config.username, brokerPassword: config.password },
      {
        runningModel: () => this.model,
        sensorLabel: () => this.sensor.label,
        deploymentTags: () => this.tags,
        nextSeq: () => this.sealer.nextSeq + this.heldLater,
        pushOffload: (record) => this.pushOffload(record),
      },
    );
  }

  static async start(config: AgentConfig): Promise<Agent> {
    const startedAt = performance.now();
    const trust = trustFromKeyFiles(config.trustedKeys ?? [], config.allowUnsigned === true);
    const sensor = createSensor(config.sensor);
    // TF.js holds the inputs (sources, requests) whatever runs the model.
    const load = loadOptionsOf(config.backend);
    const runtime = await loadRuntime(load.tfBackend);
    const model = await loadServedModel(config.model, trust, load);
    checkBackendFits(config.backend, model, config.model);
    checkBatch(model, config.batchSize, config.model);
    await sensor.open();
    const board = parseSensorSpec(config.sensor)?.boardId;
    const { outbox, publisher } = openAgentOutbox(config, {
      ...(board === undefined ? {} : { board }),
      sensor: sensor.label,
      backend: model.format === 'onnx' ? model.backend : runtime.backend,
      modelId: model.id,
      variant: model.variant,
      agentVersion: EDGEWATT_VERSION,
    });
    const agent = new Agent(config, model, sensor, outbox, publisher, runtime.backend, 0);
    agent.trust = trust;
    agent.tf = runtime.tf;
    agent.tags = config.tags ?? {};
    agent.placement.listen(publisher);
    listenForFeedback(publisher, (seq, label) => agent.feedback(seq, label));
    agent.loop = agent.run(runtime.tf, startedAt);
    agent.sealer.startFlushing(config.flushMs);
    log.info(
      {
        device: config.device,
        backend: agent.stats.backend,
        model: model.id.slice(0, 12),
        nextSeq: outbox.nextSeq,
      },
      'agent started',
    );
    return agent;
  }

  private async run(tf: Awaited<ReturnType<typeof loadRuntime>>['tf'], startedAt: number): Promise<void> {
    const signal = this.stopController.signal;
    const periodMs = this.config.rate > 0 ? 1000 / this.config.rate : 0;
    let source: InputSource | undefined;
    try {
      // Warm-up runs on random inputs whatever feeds the loop: its answers are never used.
      const pool = randomInputPool(tf, this.model.inputShape, this.config.batchSize);
      try {
        await this.exclusive(() => this.warmUp(pool.next.bind(pool), signal));
      } finally {
        pool.dispose();
      }
      this.firstInferenceAt = startedAt;
      if (this.config.inputs === null) {
        // No loop: requests are the load; run until stopped.
        if (!signal.aborted)
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        return;
      }
      source = await (this.config.inputs ?? randomSource)({
        tf,
        inputShape: this.model.inputShape,
        batchSize: this.config.batchSize,
        publisher: this.publisher,
        fleet: this.config.fleet,
        device: this.config.device,
      });
      this.loopSource = source.kind;
      const inputs = source;
      const loopStart = performance.now();
      for (let i = 0; !signal.aborted && (this.config.count === 0 || i < this.config.count); i++) {
        const dueMs = loopStart + i * periodMs;
        const waitMs = dueMs - performance.now();
        // Yield to the event loop between inferences even at full speed, so MQTT keeps flowing.
        await sleep(Math.max(0, waitMs), undefined, { signal }).catch(() => undefined);
        if (signal.aborted || !(await inputs.ready(signal))) break;
        const decision = this.placement.decide();
        if (decision.placement === 'offload') {
          // One input per turn: its window is the request's.
          const item = inputs.next();
          try {
            await this.exclusive(() =>
              this.placement.offloadLoopInput(decision, item, inputs.kind, async () =>
                this.edgeAnswer(item.input, item.input.shape[0] ?? 1, item.label, inputs.kind, 0),
              ),
            );
          } finally {
            if (item.owned) item.input.dispose();
          }
          continue;
        }
        // One window of one inference, or of N back to back when one is too short for the sensor.
        const budget = Math.min(
          inputs.windowLimit,
          this.config.count === 0 ? Number.POSITIVE_INFINITY : this.config.count - i,
        );
        const taken: ReturnType<InputSource['next']>[] = [];
        // The model cannot change inside the turn: a swap waits for the window to end. Model and
        // tags are read once per window, so every record names the model that produced it.
        const measured = await this.exclusive(async () => {
          const model = this.model;
          const tags = this.recordTags();
          try {
            const window = await this.windows.measure(() => {
              const item = inputs.next();
              taken.push(item);
              return { run: runServed(model, item.input), label: item.label };
            }, budget);
            return { model, tags, window };
          } catch (error) {
            // A model on probation that fails is reported (the deployment rolls it back), not fatal.
            if (!this.survives(model, error as Error)) throw error;
            return undefined;
          }
        });
        if (measured === undefined) {
          for (const item of taken) if (item.owned) item.input.dispose();
          i--;
          continue;
        }
        const { model, tags, window } = measured;
        if (window.length > 0) this.answered(model);
        i += window.length - 1;
        // A batched window's inferences share one energy: one measurement, counted once.
        if (window[0] !== undefined) this.energy.addWindow(window[0].energy.energyJ, window.length);
        window.forEach((inference, index) => {
          const seq = this.push(recordOf(inference, this.recordContext(inputs.kind, model)), inference, tags);
          const item = taken[index];
          if (item?.owned) item.input.dispose();
          item?.reply?.({
            seq,
            predictedClass: inference.run.argmax,
            output: Array.from(inference.run.output),
            latencyMs: Number(inference.run.window.endNs - inference.run.window.startNs) / 1e6,
            energyJ: inference.energy.energyJ,
            energyUncertaintyJ: inference.energy.uncertaintyJ,
            provenance: inference.energy.provenance,
          });
        });
      }
    } finally {
      source?.close();
      this.sealer.seal();
    }
  }

  private firstInferenceAt = 0;

  /**
   * Runs `task` when no window is being measured and no swap is warming up; the next waits for it.
   * The turn is the inference queue's (API, library and loop share it), unbounded for our own tasks.
   */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run(task, { bounded: false });
  }

  /** What a record of `model`'s window says besides the measurement (the model of that window, not the one serving now). */
  private recordContext(inputSource: InputSourceKind, model: ServedModel) {
    return {
      model,
      sensorLabel: this.sensor.label,
      backend: this.backendOf(model),
      batchSize: this.config.batchSize,
      inputSource,
    };
  }

  /** Queues a record for the next batch; returns the seq it will be sealed under. */
  private push(
    record: ReturnType<typeof recordOf>,
    inference?: AttributedInference<number | null>,
    tags: RecordTags = {},
    /** The seq an answer already gave it (reserved by edgeAnswerOf); else the next one. */
    givenSeq?: number,
  ): number {
    // Records answered earlier are held first, so that seqs stay in order.
    if (givenSeq === undefined) this.queue.settle();
    if (this.stats.inferences === 0) {
      this.stats.startupMs = performance.now() - this.firstInferenceAt;
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
    const seq = this.sealer.hold({ kind: 'inference', record: { ...record, ...tags } }, givenSeq);
    this.stats.inferences++;
    this.stats.totalLatencyUs += record.durationUs;
    if (inference !== undefined) this.answers.remember(seq, inference.run.argmax);
    return seq;
  }

  /** Queues an offload record (same seq space as inference records); returns its seq. */
  private pushOffload(record: OffloadRecordDraft): number {
    this.queue.settle();
    const seq = this.sealer.hold({ kind: 'offload', record });
    this.stats.offloads++;
    if (record.prediction !== undefined) this.answers.remember(seq, record.prediction);
    return seq;
  }

  /** Tags of the edge records made now (the deployment's, with placement's on top while it is on). */
  private recordTags(): RecordTags {
    return this.placement.recordTags(this.tags);
  }

  /**
   * Runs the model on an application's input (decoded by runtime/decode.ts) in its own measured
   * window, through the queue shared with the loop; the record goes through the spool like any
   * other. `signal` takes a request that is still waiting out of the queue (client gone). On an
   * idle queue with a synchronous model call and a sensor that knows the energy at the window's
   * end, the whole turn runs in the caller's turn, without a promise job (issue 14).
   */
  async infer(
    input: DecodedInput,
    options: { source?: InputSourceKind; signal?: AbortSignal; label?: number } = {},
  ): Promise<InferAnswer> {
    this.codeWindows.assertNoneOpen();
    // A swap keeps the input shape, so the tensor fits whichever model runs it.
    const tensor = this.tf.tensor(input.values, [input.count, ...this.model.inputShape]);
    try {
      // An idle queue runs the turn here, and a synchronous answer is returned as it is. A caller
      // already gone (aborted signal) goes through run(), which refuses it without running. A
      // call that starts at once waits for nothing: its queuedMs is 0, without reading the clock
      // (performance.now() took ~0.56 µs a call on the 2-core VM, issue 14). The turns are
      // anonymous arrows calling a method: a named closure costs a defineProperty per call where
      // the code runs through tsx/esbuild's keepNames (the benches, the tests).
      if (this.queue.startsAtOnce && options.signal?.aborted !== true) {
        const answer = this.queue.runNow(() => this.inferTurn(tensor, input, options, 0));
        return isThenable(answer) ? await answer : answer;
      }
      const queuedAt = performance.now();
      return await this.queue.run(
        () => this.inferTurn(tensor, input, options, performance.now() - queuedAt),
        options.signal === undefined ? {} : { signal: options.signal },
      );
    } finally {
      tensor.dispose();
    }
  }

  /** agent.infer()'s turn of the queue: on the edge, or offloaded where placement says so. */
  private inferTurn(
    tensor: Parameters<typeof runServed>[1],
    input: DecodedInput,
    options: { source?: InputSourceKind; label?: number },
    queuedMs: number,
  ): InferAnswer | Promise<InferAnswer> {
    const source = options.source ?? 'library';
    const label = options.label ?? null;
    const decision = this.placement.decide();
    if (decision.placement === 'edge') return this.edgeAnswer(tensor, input.count, label, source, queuedMs);
    return this.placement.infer(
      decision,
      { values: input.values, shape: [input.count, ...this.model.inputShape] },
      source,
      queuedMs,
      async () => this.edgeAnswer(tensor, input.count, label, source, queuedMs),
      label,
    );
  }

  /**
   * Runs an application's input on the edge in its own window (the caller holds the turn): a
   * value when the window was measured synchronously, else a promise.
   */
  private edgeAnswer(
    tensor: Parameters<typeof runServed>[1],
    count: number,
    label: number | null,
    source: InputSourceKind,
    queuedMs: number,
  ): InferAnswer | Promise<InferAnswer> {
    // Taken inside the turn: a swap cannot dispose it under us.
    const model = this.model;
    const tags = this.recordTags();
    let measured: OneInference<number | null> | Promise<OneInference<number | null>>;
    try {
      measured = this.windows.measureOne(runServed(model, tensor), label);
    } catch (error) {
      return this.edgeFailed(model, error);
    }
    if (measured instanceof Promise)
      return measured.then(
        (inference) => this.edgeAnswerOf(inference, model, tags, count, source, queuedMs),
        (error: unknown) => this.edgeFailed(model, error),
      );
    return this.edgeAnswerOf(measured, model, tags, count, source, queuedMs);
  }

  /** An edge inference failed: reported to a deployment on probation; the caller gets the error too. */
  private edgeFailed(model: ServedModel, error: unknown): never {
    this.survives(model, error as Error);
    throw error;
  }

  /**
   * Answers the window's inference at once and leaves its record, tallies, the window planner's
   * bookkeeping and the switch's first answer to the queue's deferred work (done before the next
   * turn starts, or when something reads them: feedback, status, stop). The seq is reserved now,
   * so the answer names the record's seq.
   */
  private edgeAnswerOf(
    inference: OneInference<number | null>,
    model: ServedModel,
    tags: RecordTags,
    count: number,
    source: InputSourceKind,
    queuedMs: number,
  ): InferAnswer {
    const seq = this.sealer.nextSeq + this.heldLater;
    this.heldLater++;
    this.queue.defer(() => {
      this.heldLater--;
      this.windows.settle();
      this.answered(model);
      const record = recordOf(inference, { ...this.recordContext(source, model), batchSize: count });
      this.push(record, inference, tags, seq);
      this.energy.addWindow(record.energyJ, 1);
    });
    const figures = answerFigures(inference);
    const { output, predictedClass } = answerRowsOf(inference.run.output, count);
    const energy = {
      energyJ: figures.energyJ,
      uncertaintyJ: figures.energyUncertaintyJ,
      aboveIdleJ: figures.energyJ - (figures.baselineW * figures.durationUs) / 1e6,
      baselineW: figures.baselineW,
      sampleCount: inference.energy.sampleCount,
      provenance: inference.energy.provenance,
      sensor: this.sensor.label,
    };
    const latencyMs = figures.durationUs / 1000;
    const backend = this.backendOf(model);
    const labels = model.manifest?.labels;
    // Two literals rather than spreads of optional parts (no object copies), keys in the same order.
    const answer: InferAnswer =
      labels === undefined
        ? {
            seq,
            predictedClass,
            output,
            latencyMs,
            queuedMs,
            energy,
            modelId: model.id,
            variant: model.variant,
            backend,
          }
        : {
            seq,
            predictedClass,
            predictedLabel: predictedClass.map((k) => labels[k] ?? null),
            output,
            latencyMs,
            queuedMs,
            energy,
            modelId: model.id,
            variant: model.variant,
            backend,
          };
    if (tags.placement === 'edge') answer.placement = 'edge'; // the last key, as before
    return answer;
  }

  /**
   * Ground truth for the answer `seq`: judged against the answer this agent gave and sent as a
   * `feedback` message, which the collector joins to the record. Throws UnknownRecordError for a
   * seq this process did not answer (or no longer remembers). `seq` is the one the answer gave:
   * if its record was stored under another (answered while the collector's cmd/seq answer was
   * awaited, then the counter was raised), the message names the stored one; for a record not
   * sealed yet the message waits for its seal.
   */
  feedback(seq: number, label: number): { seq: number; label: number; correct: boolean } {
    this.queue.settle(); // the answer's record is held (and its answer remembered) first
    const correct = this.answers.judge(seq, label);
    this.feedbackSender.send(seq, { label, correct, atUs: wallClockUs() });
    return { seq, label, correct };
  }

  /** Opens a named energy window over any code (closed by endWindow); see agent/serve/windows.ts. */
  beginWindow(name: string): Promise<CodeWindow> {
    return this.codeWindows.begin(name);
  }

  endWindow(name: string): Promise<CodeWindow> {
    return this.codeWindows.end(name);
  }

  /** Runs `fn` inside a window named `name` and returns its result with the window's energy. */
  async measure<T>(name: string, fn: () => T | Promise<T>): Promise<{ result: T; window: CodeWindow }> {
    await this.codeWindows.begin(name);
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      await this.codeWindows.end(name);
      throw error;
    }
    return { result, window: await this.codeWindows.end(name) };
  }

  /** The summary `GET /v1/status` and SIGUSR2 give (agent/serve/summary.ts). */
  status(): AgentStatus {
    this.queue.settle();
    const spool = this.outbox.stats();
    return {
      device: this.config.device,
      modelId: this.model.id,
      variant: this.model.variant,
      backend: this.stats.backend,
      sensor: this.sensor.label,
      provenance: this.sensor.label.startsWith('simulated') ? 'estimated' : 'measured',
      inputSource: this.loopSource,
      inferences: this.stats.inferences,
      offloads: this.stats.offloads,
      energy: this.energy.soFar,
      queueDepth: this.queue.depth,
      queue: { ...this.queue.stats },
      spool: { pendingBatches: spool.pendingBatches, pendingRecords: spool.pendingRecords },
      uptimeS: (performance.now() - this.startedAtMs) / 1000,
    };
  }

  /** Runs the warm-up inferences (graph compilation, caches) unmeasured and logs what they took. */
  private async warmUp(
    next: () => { input: Parameters<typeof runServed>[1] },
    signal: AbortSignal,
    model: ServedModel = this.model,
  ): Promise<number> {
    const latencyUs = ({ window }: { window: { startNs: bigint; endNs: bigint } }) =>
      Number(window.endNs - window.startNs) / 1000;
    const result = await warmUp(
      () => {
        const run = runServed(model, next().input);
        return run instanceof Promise ? run.then(latencyUs) : latencyUs(run);
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
  async swapModel(path: string): Promise<ServedModel> {
    const { tf } = await loadRuntime(loadOptionsOf(this.config.backend).tfBackend);
    const next = await this.loadNext(path).catch((error: unknown) => {
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
        this.stats.backend = this.backendOf(next);
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

  /** Loads and verifies a model to swap or stage, with this agent's trust and batch size. */
  private async loadNext(path: string): Promise<ServedModel> {
    // An ONNX --backend governs the ONNX models a deployment sends; a TF.js one still runs (the
    // deployment chooses the model; only the starting one is refused, at start).
    const next = await loadServedModel(path, this.trust, loadOptionsOf(this.config.backend));
    try {
      checkBatch(next, this.config.batchSize, path);
    } catch (error) {
      next.dispose();
      throw error;
    }
    return next;
  }

  private backendOf(model: ServedModel): string {
    return model.format === 'onnx' ? model.backend : this.tfBackend;
  }

  /** The model serving now. */
  get runningModel(): ServedModel {
    return this.model;
  }

  /**
   * Loads and verifies a model next to the running one, which keeps serving, and warms it up with
   * `warmupInferences` unmeasured inferences, one per turn between two measured windows (so none
   * falls in a window or an idle gap, and serving pauses for one inference at a time, not for all).
   * Refused (and disposed) when it fails, or takes another input shape than the running model.
   * Between the steps it yields to the timers, so a window that falls due is served first.
   */
  async stageModel(path: string, warmupInferences: number): Promise<ServedModel> {
    const { tf } = await loadRuntime(loadOptionsOf(this.config.backend).tfBackend);
    const next = await this.loadNext(path).catch((error: unknown) => {
      log.error(
        { path, err: error, keeping: this.model.id.slice(0, 12) },
        'model refused; keeping the current one',
      );
      throw error;
    });
    try {
      // Loading ran synchronously in parts (graph build, weights): let a due window run now.
      await sleep(0);
      if (next.inputShape.join(',') !== this.model.inputShape.join(',')) {
        throw new ModelLoadError(
          `model ${path} takes input [${next.inputShape.join(', ')}], the running one [${this.model.inputShape.join(', ')}]; keeping the running model`,
        );
      }
      if (warmupInferences > 0) {
        const inputs = randomInputPool(tf, next.inputShape, this.config.batchSize);
        try {
          for (let i = 0; i < warmupInferences; i++) {
            // A turn of the queue is handed on at once: without a timer turn in between, the
            // warm-ups would take every turn and the serving loop (woken by a timer) none.
            if (i > 0) await sleep(0);
            await this.exclusive(async () => {
              await runServed(next, inputs.next().input);
              // What ran since the last window was not idle: the sensor must not take it as an idle gap.
              this.sensor.interrupted?.();
            });
          }
        } finally {
          inputs.dispose();
        }
      }
    } catch (error) {
      next.dispose();
      throw error;
    }
    return next;
  }

  /** Makes `next` serve from the next window on, with `tags` on its records; returns the model it replaced (still loaded). */
  private installModel(next: ServedModel, tags: RecordTags): ServedModel {
    const previous = this.model;
    this.model = next;
    this.tags = tags;
    this.stats.modelId = next.id;
    this.stats.variant = next.variant;
    this.stats.backend = this.backendOf(next);
    this.publisher.describeModel({ modelId: next.id, variant: next.variant, backend: this.stats.backend });
    log.info(
      { model: next.id.slice(0, 12), variant: next.variant, signedBy: next.signedBy, ...tags },
      'model switched',
    );
    return previous;
  }

  /**
   * Switches to a staged model: the running one serves until the window that starts after this
   * call, then `next` does. Resolves with the replaced model (still loaded, for an instant switch
   * back) once `next` has answered an inference (at once without a loop: its warm-up answered);
   * rejects when its first inference fails or none comes within `timeoutMs` — the caller then
   * switches back. Errors of `next` are reported to `onError` (not fatal) until `unwatch()`.
   */
  async switchModel(
    next: ServedModel,
    tags: RecordTags,
    onError: (error: Error) => void,
    timeoutMs = SWITCH_TIMEOUT_MS,
  ): Promise<ServedModel> {
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<void>((resolve, reject) => {
      this.firstAnswer = { model: next, resolve, reject };
      timer = setTimeout(
        () =>
          reject(
            new ModelLoadError(`model ${next.id.slice(0, 12)} answered no inference within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
    });
    this.watched = { model: next, onError };
    // Installed inside a turn: no window (loop or request) is measured with half a switch.
    const previous = await this.exclusive(async () => this.installModel(next, tags));
    if (this.config.inputs === null) this.answered(next);
    try {
      await answered;
    } finally {
      clearTimeout(timer);
      this.firstAnswer = undefined;
    }
    return previous;
  }

  /** Serves `model` again (a rollback), with its tags; returns the model it replaced (still loaded). */
  async restoreModel(model: ServedModel, tags: RecordTags): Promise<ServedModel> {
    if (this.watched?.model !== model) this.watched = undefined;
    return this.exclusive(async () => this.installModel(model, tags));
  }

  /** Errors of the watched model stop the agent again (after commit or rollback). */
  unwatch(): void {
    this.watched = undefined;
  }

  private answered(model: ServedModel): void {
    if (this.firstAnswer?.model !== model) return;
    this.firstAnswer.resolve();
    this.firstAnswer = undefined;
  }

  /** Whether an inference error of `model` is survivable: only for a watched model (on probation). */
  private survives(model: ServedModel, error: Error): boolean {
    if (this.watched?.model !== model) return false;
    log.warn({ model: model.id.slice(0, 12), err: error.message }, 'inference failed on the new model');
    if (this.firstAnswer?.model === model) {
      this.firstAnswer.reject(error);
      this.firstAnswer = undefined;
    }
    this.watched.onError(error);
    return true;
  }

  /** Calls `listener` with every batch of records once it is durable, before it is sent. */
  onBatch(listener: (records: readonly InferenceRecord[]) => void): void {
    this.sealer.onBatch(listener);
  }

  /**
   * Resolves when the configured count is done (never, for count 0, until stopped); rejects when
   * the agent cannot go on (the broker refused its credentials at start).
   */
  finished(): Promise<void> {
    return Promise.race([this.loop, this.publisher.fatal, this.sealer.failure]);
  }

  /** Shape of one input of the running model (without the batch dimension). */
  get inputShape(): readonly number[] {
    return this.model.inputShape;
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
    this.sealer.stopFlushing();
    this.placement.close();
    this.queue.settle(); // answered inferences' records are held before the last seal
    const spool = await closeAgentOutbox(this.sealer, this.publisher, this.outbox, drainTimeoutMs);
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
    this.sealer.stopFlushing();
    this.placement.close();
    this.sealer.kill();
    await killAgentOutbox(this.publisher, this.outbox, this.loop);
    this.model.dispose();
  }
}

/** Refuses an ONNX graph whose batch dimension is fixed to another size than the agent's calls. */
function checkBatch(model: ServedModel, batchSize: number, path: string): void {
  if (model.format !== 'onnx') return;
  const fixed = model.onnx.fixedBatch;
  if (fixed !== undefined && fixed !== batchSize) {
    throw new ModelLoadError(
      `${path}: the ONNX graph fixes the batch dimension to ${fixed}, the agent runs batches of ${batchSize}; ` +
        `run it with --batch-size ${fixed}, or export the model with a dynamic batch dimension`,
    );
  }
}
