// Runs comparisons on one long-lived worker thread, one at a time in arrival order, and turns the
// worker's error replies back into the engine's typed errors. The queue is bounded: past
// MAX_QUEUED waiting runs a request is refused (and counted) instead of piling up. A crashed worker
// fails the requests in flight and is replaced on the next request.

import { Worker } from 'node:worker_threads';
import { EdgewattError } from '../../common/errors.js';
import type { Comparison, Scenario } from '../lifecycle/index.js';
import { MeasurementError, ScenarioError } from '../lifecycle/index.js';
import { StoreConfigError } from '../store/index.js';

/** A scenario as it arrived: YAML (or JSON) text, or a JSON body fastify already parsed. */
export type ScenarioSource =
  | { readonly kind: 'text'; readonly text: string; readonly origin: string }
  | { readonly kind: 'object'; readonly value: unknown; readonly origin: string };

/**
 * What `edgewatt compare` takes besides the scenario, as the API passes it on: the first records of
 * each device and model to drop (--skip-first) and the folder whose manifests give trainingJ (--models).
 */
export interface CompareOptions {
  skipFirst?: number | undefined;
  modelsDir?: string | undefined;
}

/** Compare a scenario, or only parse and validate one (off the event loop: issue 12, item 2). */
export type WorkerRequest =
  | {
      id: number;
      task: 'compare';
      scenario: Scenario;
      storeUrl: string | undefined;
      options: CompareOptions;
    }
  | { id: number; task: 'parse'; source: ScenarioSource };

export type WorkerReply =
  | { id: number; ok: true; result: Comparison | Scenario }
  | { id: number; ok: false; name: string; message: string; problems: string[]; stack: string };

/** Runs waiting or running at once; more are refused with RunnerBusyError. */
export const MAX_QUEUED = 8;

export class RunnerBusyError extends EdgewattError {
  override readonly name = 'RunnerBusyError';
}

interface Pending {
  resolve: (result: Comparison | Scenario) => void;
  reject: (error: Error) => void;
}

/** Under tsx or vitest the module is TypeScript: the worker registers tsx before importing it. */
function createWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./compare-worker.js', import.meta.url));
  const entry = new URL('./compare-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}

function toError(reply: Extract<WorkerReply, { ok: false }>): Error {
  switch (reply.name) {
    case 'ScenarioError':
      return new ScenarioError(reply.message, reply.problems);
    case 'MeasurementError':
      return new MeasurementError(reply.message);
    case 'StoreConfigError':
      return new StoreConfigError(reply.message);
    default: {
      const error = new Error(`compare worker: ${reply.message}`);
      error.stack = reply.stack;
      return error;
    }
  }
}

export class CompareRunner {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Requests refused because MAX_QUEUED runs were already waiting. */
  refusedBusy = 0;

  constructor(private readonly maxQueued = MAX_QUEUED) {}

  run(scenario: Scenario, storeUrl: string | undefined, options: CompareOptions = {}): Promise<Comparison> {
    return this.send({
      id: this.nextId++,
      task: 'compare',
      scenario,
      storeUrl,
      options,
    }) as Promise<Comparison>;
  }

  /**
   * Parses and validates a scenario on the worker: a large YAML body takes seconds of CPU (960 KB
   * of small arrays: 4–5 s), which on the event loop stalled MQTT acknowledgements and /metrics.
   */
  parse(source: ScenarioSource): Promise<Scenario> {
    return this.send({ id: this.nextId++, task: 'parse', source }) as Promise<Scenario>;
  }

  private send(request: WorkerRequest): Promise<Comparison | Scenario> {
    if (this.pending.size >= this.maxQueued) {
      this.refusedBusy++;
      return Promise.reject(
        new RunnerBusyError(`${this.pending.size} requests are already queued; retry in a moment`),
      );
    }
    const worker = this.ensureWorker();
    return new Promise<Comparison | Scenario>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      worker.postMessage(request);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = createWorker();
    worker.on('message', (reply: WorkerReply) => {
      const waiting = this.pending.get(reply.id);
      if (waiting === undefined) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiting.resolve(reply.result);
      else waiting.reject(toError(reply));
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`compare worker exited with code ${code}`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }
}
