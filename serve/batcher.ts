// Dynamic batching, as Triton's dynamic batcher and TorchServe's batch_size/max_batch_delay do it:
// requests wait in one bounded FIFO; a batch leaves when the queued inputs reach the max batch size
// or when the oldest request has waited the max queue delay, whichever comes first, and only when
// the model is free (one batch runs at a time, so every batch has its own energy window). A
// request is never split; one larger than the max batch size runs alone. A full queue refuses at
// once (QueueFullError, with a Retry-After estimate); close() refuses new requests and runs what
// waits without further delay.

import { QueueFullError, RequestAbortedError, ServerStoppingError } from './errors.js';

export interface BatcherOptions {
  /** Most inputs in one model call. */
  maxBatchSize: number;
  /** Longest the oldest queued request waits for others before its batch leaves, ms. */
  maxQueueDelayMs: number;
  /** Most requests that may wait (the running batch not counted); more get QueueFullError. */
  maxQueue: number;
  /** Monotonic clock, ms (injectable for tests). */
  now?: () => number;
  /** Runs `fn` after pending I/O has been read (setImmediate; tests on a fake clock pass queueMicrotask). */
  defer?: (fn: () => void) => void;
}

/** What the batcher needs to know of a request: how many inputs it carries. */
export interface Batchable {
  count: number;
}

/** What a request gets back: its own result and where it ran. */
export interface Batched<R> {
  result: R;
  /** Inputs in its batch (all requests). */
  batchSize: number;
  /** Requests in its batch. */
  batchRequests: number;
  /** Time it waited in the queue, ms. */
  queueMs: number;
}

/** Runs one batch: one result per item, in order. */
export type RunBatch<I, R> = (items: readonly I[]) => Promise<R[]>;

export interface BatcherStats {
  batches: number;
  requests: number;
  refused: number;
  abandoned: number;
  failedBatches: number;
}

interface Entry<I, R> {
  item: I;
  arrivedMs: number;
  resolve: (value: Batched<R>) => void;
  reject: (error: Error) => void;
  detach: () => void;
}

export class DynamicBatcher<I extends Batchable, R> {
  private readonly pending: Entry<I, R>[] = [];
  private pendingInputs = 0;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Number.POSITIVE_INFINITY;
  private closing = false;
  private dispatchQueued = false;
  /** Smoothed time one batch holds the model, ms (for Retry-After). */
  private batchMs = 10;
  private readonly now: () => number;
  private readonly defer: (fn: () => void) => void;
  readonly stats: BatcherStats = { batches: 0, requests: 0, refused: 0, abandoned: 0, failedBatches: 0 };

  constructor(
    private readonly options: BatcherOptions,
    private readonly run: RunBatch<I, R>,
  ) {
    if (options.maxBatchSize < 1 || options.maxQueue < 1 || options.maxQueueDelayMs < 0)
      throw new RangeError('maxBatchSize and maxQueue must be ≥ 1, maxQueueDelayMs ≥ 0');
    this.now = options.now ?? (() => performance.now());
    this.defer = options.defer ?? ((fn) => setImmediate(fn));
  }

  /** Requests waiting (not the running batch). */
  get depth(): number {
    return this.pending.length;
  }

  /** Inputs waiting. */
  get depthInputs(): number {
    return this.pendingInputs;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /**
   * Queues `item` for the next batch. Rejects at once with QueueFullError when the queue is full,
   * ServerStoppingError after close(), RequestAbortedError when `signal` aborts while it waits.
   */
  submit(item: I, signal?: AbortSignal): Promise<Batched<R>> {
    if (this.closing)
      return Promise.reject(new ServerStoppingError('the server is stopping and takes no new requests'));
    if (this.pending.length >= this.options.maxQueue) {
      this.stats.refused++;
      return Promise.reject(new QueueFullError(this.pending.length, this.retryAfterS()));
    }
    if (signal?.aborted) return Promise.reject(new RequestAbortedError('the client went away'));
    return new Promise<Batched<R>>((resolve, reject) => {
      const entry: Entry<I, R> = { item, arrivedMs: this.now(), resolve, reject, detach: () => undefined };
      if (signal !== undefined) {
        const onAbort = () => {
          const at = this.pending.indexOf(entry);
          if (at < 0) return; // already in a batch: it runs to its end
          this.pending.splice(at, 1);
          this.pendingInputs -= item.count;
          this.stats.abandoned++;
          reject(new RequestAbortedError('the client went away while its request waited'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        entry.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.pending.push(entry);
      this.pendingInputs += item.count;
      this.schedule();
    });
  }

  /** Refuses new requests, runs every waiting one without further delay, resolves when idle. */
  async close(): Promise<void> {
    this.closing = true;
    this.schedule();
    while (this.running !== null) await this.running;
  }

  /** Seconds until the queue likely has room: the batches ahead × the smoothed batch time. */
  private retryAfterS(): number {
    const batchesAhead = Math.ceil(this.pendingInputs / this.options.maxBatchSize) + 1;
    return Math.max(1, Math.ceil((batchesAhead * this.batchMs) / 1000));
  }

  private schedule(): void {
    if (this.running !== null || this.pending.length === 0) return;
    const oldest = this.pending[0] as Entry<I, R>;
    const dueMs = oldest.arrivedMs + this.options.maxQueueDelayMs;
    if (this.closing || this.pendingInputs >= this.options.maxBatchSize || this.now() >= dueMs) {
      this.dispatchSoon();
      return;
    }
    if (this.timer !== undefined && this.timerAtMs === dueMs) return;
    clearTimeout(this.timer);
    this.timerAtMs = dueMs;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAtMs = Number.POSITIVE_INFINITY;
        // A timer may fire a hair early by the clock we read: the batch is due by then anyway.
        this.dispatchSoon();
      },
      Math.max(0, dueMs - this.now()),
    );
  }

  /**
   * Forms the batch after the event loop's I/O phase, not now: whatever held this thread (a model
   * run in-thread — TF.js on WASM or CPU is synchronous —, decoding, a burst of answers) holds
   * back requests that arrived meanwhile, and those must reach the queue — to join this batch, or
   * to be refused — before it is formed. (`edgewatt serve` runs its model on another thread.)
   */
  private dispatchSoon(): void {
    if (this.dispatchQueued) return;
    this.dispatchQueued = true;
    this.defer(() => {
      this.dispatchQueued = false;
      if (this.running === null && this.pending.length > 0) this.dispatch();
    });
  }

  /** Takes the oldest requests that fit in one batch (at least one) and runs them. */
  private dispatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAtMs = Number.POSITIVE_INFINITY;
    const batch: Entry<I, R>[] = [];
    let inputs = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0] as Entry<I, R>;
      if (batch.length > 0 && inputs + next.item.count > this.options.maxBatchSize) break;
      this.pending.shift();
      batch.push(next);
      inputs += next.item.count;
    }
    this.pendingInputs -= inputs;
    const startedMs = this.now();
    for (const entry of batch) entry.detach();
    this.running = this.execute(batch, inputs, startedMs).finally(() => {
      this.running = null;
      this.schedule();
    });
  }

  private async execute(batch: Entry<I, R>[], inputs: number, startedMs: number): Promise<void> {
    this.stats.batches++;
    this.stats.requests += batch.length;
    try {
      const results = await this.run(batch.map((entry) => entry.item));
      if (results.length !== batch.length)
        throw new Error(`the batch runner returned ${results.length} results for ${batch.length} requests`);
      batch.forEach((entry, i) => {
        entry.resolve({
          result: results[i] as R,
          batchSize: inputs,
          batchRequests: batch.length,
          queueMs: startedMs - entry.arrivedMs,
        });
      });
    } catch (error) {
      this.stats.failedBatches++;
      for (const entry of batch) entry.reject(error as Error);
    } finally {
      this.batchMs = 0.8 * this.batchMs + 0.2 * (this.now() - startedMs);
    }
  }
}
