// The model on its own worker thread (compute-worker.ts), so that while a batch computes the HTTP
// thread still reads requests, queues them, refuses them (429) and answers /metrics and /v1/status.
// Loading errors come back as ModelThreadError with the worker's message, code and hint; a batch
// whose worker fails or exits is rejected, and so is every later one.

import { Worker } from 'node:worker_threads';
import { EdgewattError } from '../common/errors.js';
import type { BatchCompute, MarkedOutput } from './compute.js';
import type {
  ComputeWorkerData,
  FromWorker,
  ModelInfo,
  ToWorker,
  WorkerFailure,
} from './compute-protocol.js';
import type { MarkSource } from './energy/meter.js';

/** The model's thread failed: loading, or a batch (the worker's own error message and hint). */
export class ModelThreadError extends EdgewattError {
  override readonly name = 'ModelThreadError';
}

function toError(failure: WorkerFailure): ModelThreadError {
  const error = new ModelThreadError(failure.message, {
    ...(failure.hint === undefined ? {} : { hint: failure.hint }),
    ...(failure.code === undefined ? {} : { code: failure.code }),
  });
  if (failure.stack !== undefined) error.stack = `${failure.name}: ${failure.stack}`;
  return error;
}

/** Under tsx or vitest this module is TypeScript: the worker registers tsx before importing it. */
function createWorker(data: ComputeWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./compute-worker.js', import.meta.url), { workerData: data });
  const entry = new URL('./compute-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

interface Pending {
  resolve: (value: MarkedOutput) => void;
  reject: (error: Error) => void;
}

export class ModelThread implements BatchCompute {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failed: Error | null = null;
  private disposed: Promise<void> | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly info: ModelInfo,
  ) {
    worker.on('message', (message: FromWorker) => {
      if (message.type !== 'result' && message.type !== 'run-failed') return;
      const pending = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.type === 'result') pending?.resolve({ output: message.output, marks: message.marks });
      else pending?.reject(toError(message.error));
    });
    const fail = (error: Error) => {
      this.failed ??= error;
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) => fail(new ModelThreadError(`the model's thread failed: ${error.message}`)));
    worker.on('exit', (code) => fail(new ModelThreadError(`the model's thread exited (code ${code})`)));
  }

  /** Starts the worker; resolves once the model is verified, loaded and warmed up there. */
  static start(data: ComputeWorkerData): Promise<ModelThread> {
    const worker = createWorker(data);
    return new Promise<ModelThread>((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new ModelThreadError(`the model's thread exited (code ${code}) while loading the model`));
      const onError = (error: Error) =>
        reject(new ModelThreadError(`the model's thread failed: ${error.message}`));
      worker.once('exit', onExit);
      worker.once('error', onError);
      worker.once('message', (message: FromWorker) => {
        worker.off('exit', onExit);
        worker.off('error', onError);
        if (message.type === 'ready') resolve(new ModelThread(worker, message.info));
        else {
          reject(
            message.type === 'load-failed'
              ? toError(message.error)
              : new ModelThreadError(`unexpected ${message.type}`),
          );
          void worker.terminate();
        }
      });
    });
  }

  get inputShape(): readonly number[] {
    return this.info.inputShape;
  }

  get outputSize(): number {
    return this.info.outputSize;
  }

  run(values: Float32Array, count: number, source: MarkSource): Promise<MarkedOutput> {
    if (this.failed !== null) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<MarkedOutput>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const message: ToWorker = { type: 'run', id, values, count, source };
      // The engine built `values` for this call alone: hand its memory over instead of copying it.
      this.worker.postMessage(message, [values.buffer as ArrayBuffer]);
    });
  }

  /** Disposes the model on its thread, then ends the thread. */
  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      if (this.failed === null) {
        const done = new Promise<void>((resolve) => {
          const onMessage = (message: FromWorker) => {
            if (message.type !== 'disposed') return;
            this.worker.off('message', onMessage);
            resolve();
          };
          this.worker.on('message', onMessage);
          this.worker.once('exit', () => resolve());
        });
        this.worker.postMessage({ type: 'dispose' } satisfies ToWorker);
        await done;
      }
      await this.worker.terminate();
    })();
    return this.disposed;
  }
}
