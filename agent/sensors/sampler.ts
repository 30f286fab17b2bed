// Runs a SampleSource in a worker thread at a fixed period, writing timestamped samples into a
// SampleRing that the agent thread reads without waiting: sampling never blocks inference, and
// inference never delays a sample. The worker opens the source itself from the sensor spec.

import { Worker } from 'node:worker_threads';
import { EdgewattError } from '../../common/errors.js';
import type { SensorAccuracy } from '../measure/uncertainty.js';
import { type RingBufferShared, SampleRing } from './ring-buffer.js';
import type { SampleQuantity } from './sensor.js';

export interface SourceMeta {
  quantity: SampleQuantity;
  counterRangeJ: number;
  accuracy: SensorAccuracy;
  delayNs: number;
  averaging: boolean;
  periodMs: number;
}

/** Where a sampled sensor gets its samples: the worker in production, a hand-fed ring in tests. */
export interface SampleFeed {
  readonly ring: SampleRing;
  start(): Promise<SourceMeta>;
  stop(): Promise<void>;
  /** False once the sampler is gone for good (its worker exited): no sample will come. */
  readonly running?: boolean;
}

export interface WorkerData {
  spec: string;
  periodMs: number | undefined;
  shared: RingBufferShared;
}

export type WorkerMessage =
  | { type: 'ready'; meta: SourceMeta }
  | { type: 'error'; message: string }
  | { type: 'stopped'; samples: number; readErrors: number };

export class SamplerError extends EdgewattError {
  override readonly name = 'SamplerError';
}

/**
 * Under tsx or vitest this file is TypeScript, and a worker does not inherit the loader: it then
 * starts from a two-line bootstrap that registers tsx before importing the worker module.
 */
function createWorker(data: WorkerData): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./sampler-worker.js', import.meta.url), { workerData: data });
  const entry = new URL('./sampler-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

export class WorkerSampler implements SampleFeed {
  readonly ring: SampleRing;
  private worker: Worker | undefined;
  private exited: Promise<void> = Promise.resolve();
  private alive = false;
  stats = { samples: 0, readErrors: 0 };

  constructor(
    private readonly spec: string,
    private readonly periodMs: number | undefined,
    capacity = 1 << 16,
  ) {
    this.ring = SampleRing.create(capacity);
  }

  start(): Promise<SourceMeta> {
    this.ring.clearStop();
    const worker = createWorker({ spec: this.spec, periodMs: this.periodMs, shared: this.ring.shared });
    this.worker = worker;
    this.alive = true;
    this.exited = new Promise((resolve) =>
      worker.once('exit', () => {
        this.alive = false;
        resolve();
      }),
    );
    return new Promise((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        // Once sampling runs, the worker must not keep the agent process alive on its own.
        if (message.type === 'ready') {
          worker.unref();
          resolve(message.meta);
        } else if (message.type === 'error')
          reject(new SamplerError(`sensor ${JSON.stringify(this.spec)}: ${message.message}`));
        else this.stats = { samples: message.samples, readErrors: message.readErrors };
      });
      worker.once('error', (error) =>
        reject(new SamplerError(`sampling worker for ${JSON.stringify(this.spec)} failed: ${error.message}`)),
      );
      worker.once('exit', (code) =>
        reject(new SamplerError(`sampling worker for ${JSON.stringify(this.spec)} exited (code ${code})`)),
      );
    });
  }

  get running(): boolean {
    return this.alive;
  }

  async stop(): Promise<void> {
    if (this.worker === undefined) return;
    // Held until it has exited, or an otherwise idle process would end before the worker does.
    this.worker.ref();
    this.ring.requestStop();
    await this.exited;
    this.worker = undefined;
  }
}
