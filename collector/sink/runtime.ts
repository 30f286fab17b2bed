// The sink runtime: owns the write-ahead spool, batching by size and interval, retry with
// exponential back-off and jitter for retryable failures, and drop-and-count for bad data.
// append() resolves once entries are durable locally; they reach the sink later, in order.

import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../../common/logger.js';
import type { Sink, SinkWriteResult } from './sink.js';
import { Spool, type SpoolEntry, type SpoolOptions } from './spool.js';

const log = logger('collector.sink');

const NOTHING_WRITTEN: SinkWriteResult = { written: 0, dropped: 0 };

export interface RuntimeOptions {
  spool: SpoolOptions;
  /** Lines per write, at most (whole spool chunks, so a write may hold a few less). */
  batchLines: number;
  /** Longest an entry waits for a full batch, ms. */
  flushIntervalMs: number;
  /** Back-off after a failed write: first delay, doubled each time up to the cap, ±25 % jitter. */
  retryInitialMs: number;
  retryMaxMs: number;
  /** Batches written at the same time (committed in order). */
  writeConcurrency: number;
}

export const DEFAULT_RUNTIME = {
  batchLines: 5000,
  flushIntervalMs: 1000,
  retryInitialMs: 200,
  retryMaxMs: 30_000,
  writeConcurrency: 4,
  spoolMaxBytes: 256 * 2 ** 20,
  segmentBytes: 16 * 2 ** 20,
} as const;

/** Counted in lines: the destination points that spooled entries stand for. */
export interface SinkStats {
  /** Lines made durable in the spool (accepted from MQTT). */
  spooled: number;
  /** Lines the sink confirmed. */
  written: number;
  /** Lines the sink refused as bad data (dropped, counted). */
  dropped: number;
  /** Failed write attempts that will be retried. */
  retries: number;
  /** Lines read back from the spool at start (left by a previous run). */
  recovered: number;
  pendingLines: number;
  pendingBytes: number;
  lastError: string | null;
}

export class SinkRuntime {
  private spool: Spool | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | undefined;
  private stopping = false;
  private readonly stopController = new AbortController();
  private readonly drainWaiters: (() => void)[] = [];
  private readonly counters = { spooled: 0, written: 0, dropped: 0, retries: 0, recovered: 0 };
  private lastError: string | null = null;

  constructor(
    readonly sink: Sink,
    private readonly options: RuntimeOptions,
  ) {}

  async start(): Promise<void> {
    this.spool = await Spool.open(this.options.spool);
    this.counters.recovered = this.spool.recoveredLines;
    if (this.spool.recoveredLines > 0) {
      log.info(
        { sink: this.sink.name, lines: this.spool.recoveredLines, dir: this.options.spool.dir },
        'spool holds entries from a previous run; writing them first',
      );
    }
    await this.sink.connect();
    this.loopDone = this.loop();
  }

  get stats(): SinkStats {
    return {
      ...this.counters,
      pendingLines: this.spool?.pendingLines ?? 0,
      pendingBytes: this.spool?.pendingBytes ?? 0,
      lastError: this.lastError,
    };
  }

  /** Resolves once the entries are durable in the local spool. */
  async append(entries: readonly SpoolEntry[]): Promise<void> {
    if (this.spool === undefined) throw new Error('SinkRuntime used before start()');
    await this.spool.append(entries);
    for (const entry of entries) this.counters.spooled += entry.lines;
    this.wakeUp?.();
  }

  /** Resolves once everything appended so far has reached the sink (or was dropped). */
  drained(): Promise<void> {
    if ((this.spool?.pendingLines ?? 0) === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Stops: keeps writing for up to `flushTimeoutMs` while the sink accepts, then closes the spool.
   * Whatever is still pending stays on disk and is written on the next start.
   */
  async close(flushTimeoutMs = 5000): Promise<void> {
    const deadline = sleep(flushTimeoutMs, undefined, { ref: false });
    await Promise.race([this.drained(), deadline]);
    this.stopping = true;
    this.stopController.abort();
    this.wakeUp?.();
    await this.loopDone;
    await this.spool?.close();
    await this.sink.close();
    const pending = this.spool?.pendingLines ?? 0;
    if (pending > 0)
      log.warn(
        { sink: this.sink.name, pending },
        'stopped with entries in the spool; they are written on the next start',
      );
  }

  private async loop(): Promise<void> {
    const spool = this.spool as Spool;
    let attempt = 0;
    while (!this.stopping) {
      const oldest = spool.oldestAtMs;
      const waitMs =
        oldest === undefined
          ? Number.POSITIVE_INFINITY
          : spool.pendingLines >= this.options.batchLines
            ? 0
            : oldest + this.options.flushIntervalMs - Date.now();
      if (waitMs > 0) {
        await this.waitForWork(waitMs);
        continue;
      }
      // Several batches in flight: while InfluxDB parses one, the next is on the wire. They are
      // committed in order; a batch after a failed one is simply written again (idempotent).
      const batches = spool.peekBatches(this.options.batchLines, this.options.writeConcurrency);
      const outcomes = await Promise.allSettled(
        batches.map((b) => (b.lines > 0 ? this.sink.write(b) : Promise.resolve(NOTHING_WRITTEN))),
      );
      const failedAt = outcomes.findIndex((o) => o.status === 'rejected');
      const done = failedAt < 0 ? batches.length : failedAt;
      for (let i = 0; i < done; i++) {
        const outcome = outcomes[i];
        if (outcome?.status !== 'fulfilled') continue;
        this.counters.written += outcome.value.written;
        this.counters.dropped += outcome.value.dropped;
      }
      let commitThrough = done - 1;
      const failed = outcomes[failedAt];
      if (failed !== undefined && failed.status === 'rejected') {
        const error: unknown = failed.reason;
        const message = (error as Error).message;
        const batch = batches[failedAt] as (typeof batches)[number];
        this.lastError = message;
        if (this.sink.classify(error) === 'drop') {
          this.counters.dropped += batch.lines;
          commitThrough = failedAt;
          log.error(
            { sink: this.sink.name, lines: batch.lines, err: message },
            'sink refused a batch as bad data; dropped and counted',
          );
        } else {
          if (commitThrough >= 0)
            await spool.commit((batches[commitThrough] as (typeof batches)[number]).end);
          this.counters.retries++;
          const delayMs =
            Math.min(this.options.retryMaxMs, this.options.retryInitialMs * 2 ** attempt) *
            (0.75 + Math.random() * 0.5);
          attempt++;
          if (attempt <= 3 || attempt % 10 === 0)
            log.warn(
              { sink: this.sink.name, attempt, retryInMs: Math.round(delayMs), err: message },
              'sink write failed; will retry (data is safe in the spool)',
            );
          await sleep(delayMs, undefined, { signal: this.stopController.signal }).catch(() => undefined);
          continue;
        }
      }
      attempt = 0;
      if (commitThrough >= 0) await spool.commit((batches[commitThrough] as (typeof batches)[number]).end);
      if (spool.pendingLines === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  private waitForWork(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }
}
