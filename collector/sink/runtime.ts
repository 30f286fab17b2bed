// The sink runtime: owns the write-ahead spool, batching by size and interval, retry with
// exponential back-off and jitter for retryable failures, and drop-and-count for bad data.
// append() resolves once entries are durable locally; they reach the sink later, in order.

import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../../common/logger.js';
import type { Sink, SinkWriteResult } from './sink.js';
import { Spool, type SpoolBatch, type SpoolCursor, type SpoolEntry, type SpoolOptions } from './spool.js';

const log = logger('collector.sink');

const NOTHING_WRITTEN: SinkWriteResult = { written: 0, dropped: 0 };

type Outcome = { ok: true; value: SinkWriteResult } | { ok: false; error: unknown };

/** A write handed to the sink: its batch, and whether its outcome is known yet. */
interface InFlight {
  batch: SpoolBatch;
  outcome: Promise<Outcome>;
  settled: boolean;
}

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

  /**
   * A sliding window: up to `writeConcurrency` writes in flight at all times (while InfluxDB parses
   * one, the next is on the wire). The oldest is awaited first and they are committed in order; a
   * retryable failure lets the others settle, backs off, and writes everything after the last commit
   * again (writes are idempotent).
   */
  private async loop(): Promise<void> {
    const spool = this.spool as Spool;
    const inFlight: InFlight[] = [];
    let sentThrough: SpoolCursor | undefined; // end of the last batch handed to the sink
    let attempt = 0;
    while (!this.stopping || inFlight.length > 0) {
      let waitMs = Number.POSITIVE_INFINITY;
      while (!this.stopping && inFlight.length < this.options.writeConcurrency) {
        waitMs = this.waitMs(spool, inFlight, sentThrough);
        if (waitMs > 0) break;
        const [batch] = spool.peekBatches(this.options.batchLines, 1, sentThrough);
        if (batch === undefined) break;
        inFlight.push(this.send(batch));
        sentThrough = batch.end;
      }
      const head = inFlight[0];
      if (head === undefined || !head.settled) {
        // The oldest write to finish, or new work for a free slot, whichever comes first.
        const full = inFlight.length >= this.options.writeConcurrency || this.stopping;
        await this.waitForWork(full ? Number.POSITIVE_INFINITY : waitMs, head?.outcome);
        continue;
      }
      inFlight.shift();
      const outcome = await head.outcome;
      const batch = head.batch;
      if (outcome.ok) {
        this.counters.written += outcome.value.written;
        this.counters.dropped += outcome.value.dropped;
      } else {
        const message = (outcome.error as Error).message;
        this.lastError = message;
        if (this.sink.classify(outcome.error) === 'drop') {
          this.counters.dropped += batch.lines;
          log.error(
            { sink: this.sink.name, lines: batch.lines, err: message },
            'sink refused a batch as bad data; dropped and counted',
          );
        } else {
          // Batches after the failed one are written again after the back-off: let them settle first.
          await Promise.all(inFlight.splice(0).map((w) => w.outcome));
          sentThrough = undefined;
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
      await spool.commit(batch.end);
      if (spool.pendingLines === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  /** How long until the next batch is due: now when a full one is unsent, else at the flush interval. */
  private waitMs(spool: Spool, inFlight: readonly InFlight[], sentThrough: SpoolCursor | undefined): number {
    const oldest = spool.oldestAtMsAfter(sentThrough);
    if (oldest === undefined) return Number.POSITIVE_INFINITY;
    let unsent = spool.pendingLines;
    for (const w of inFlight) unsent -= w.batch.lines;
    if (unsent >= this.options.batchLines) return 0;
    return oldest + this.options.flushIntervalMs - Date.now();
  }

  /** Starts one write; its outcome never rejects. */
  private send(batch: SpoolBatch): InFlight {
    const write = batch.lines > 0 ? this.sink.write(batch) : Promise.resolve(NOTHING_WRITTEN);
    const w: InFlight = {
      batch,
      settled: false,
      outcome: write.then(
        (value): Outcome => ({ ok: true, value }),
        (error: unknown): Outcome => ({ ok: false, error }),
      ),
    };
    void w.outcome.then(() => {
      w.settled = true;
    });
    return w;
  }

  /** Resolves after `ms`, on append() or stop, or once `settled` settles, whichever comes first. */
  private waitForWork(ms: number, settled?: Promise<unknown>): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        if (this.wakeUp === wake) this.wakeUp = undefined;
        clearTimeout(timer);
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(wake, Math.max(0, ms)) : undefined;
      this.wakeUp = wake;
      void settled?.then(wake);
    });
  }
}
