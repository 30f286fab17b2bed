// Store retry for ingest: a message whose store write fails is written again in this process,
// after a growing back-off, until it is stored or has failed `maxAttempts` times (then it is
// dead-lettered with its bytes and acknowledged). MQTT brokers redeliver an unacknowledged QoS 1
// message only after a reconnect, and stop sending once their in-flight window (20 in mosquitto)
// is full of them: leaving a message unacknowledged is a silent stall, never a retry.

import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../../common/logger.js';

const log = logger('collector.ingest');

export interface StoreRetryPolicy {
  /** Store failures on one message before it is dead-lettered and acknowledged. */
  maxAttempts: number;
  /** Back-off before the second attempt, ms; doubled each time up to maxDelayMs, ±25 % jitter. */
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * 5 attempts over about 1 + 2 + 4 + 8 = 15 s: a locked SQLite file (a backup), a full disk being
 * cleaned or a short I/O hiccup passes within it; a message that still fails is poison or the
 * outage is long. Meanwhile the broker keeps everything behind it queued (one message per
 * connection at a time), so a long outage dead-letters about one message per 15 s, not all.
 */
export const DEFAULT_STORE_RETRY: StoreRetryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 1000,
  maxDelayMs: 8000,
};

/** Back-off after failed attempt `attempt` (1-based); `random` in [0, 1) gives the jitter. */
export function storeRetryDelayMs(policy: StoreRetryPolicy, attempt: number, random = Math.random()): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(base * (0.75 + random * 0.5));
}

/** Waits `ms`; resolves early (false) when `signal` aborts. */
export async function backOff(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * Messages handed to ingest and not yet answered (so not acknowledged), with when each arrived
 * and whether it is waiting for a store retry: the figures that show a stall on /metrics.
 */
export class UnackedMessages {
  private next = 0;
  private readonly since = new Map<number, { atMs: number; retrying: boolean }>();

  /** `nowMs`: the owner's clock (ingest's, fake in tests). */
  constructor(private readonly nowMs: () => number) {}

  begin(): number {
    const id = this.next++;
    this.since.set(id, { atMs: this.nowMs(), retrying: false });
    return id;
  }

  retrying(id: number, value: boolean): void {
    const entry = this.since.get(id);
    if (entry !== undefined) entry.retrying = value;
  }

  end(id: number): void {
    this.since.delete(id);
  }

  get count(): number {
    return this.since.size;
  }

  /** Messages waiting for a store retry now. */
  get retryPending(): number {
    let n = 0;
    for (const entry of this.since.values()) if (entry.retrying) n++;
    return n;
  }

  /** Age of the oldest unanswered message, ms (0 when none). Map order is arrival order. */
  oldestAgeMs(): number {
    const first = this.since.values().next().value;
    return first === undefined ? 0 : Math.max(0, this.nowMs() - first.atMs);
  }
}

/** Thrown for a message given up while stopping: the caller must not acknowledge it. */
export class StoreRetryAbandoned extends Error {
  override readonly name = 'StoreRetryAbandoned';
}

/** What a message's retry needs from its owner: the write, and what to do when it is given up. */
export interface RetriedWrite<T> {
  topic: string;
  /** From UnackedMessages.begin(): marked as retrying while it waits. */
  id: number;
  write: () => Promise<T>;
  /** For an error the store will never get past (not an outage): an answer now, or undefined to retry. */
  refused: (error: unknown) => T | undefined;
  /** After the last attempt: an answer (dead-lettered), or undefined when that failed too (retry on). */
  giveUp: (attempts: number, lastError: string) => T | undefined;
}

/**
 * Runs store writes until they succeed, with a back-off between attempts, counting failures and
 * recoveries into `counts` and logging an outage's start, every 100th failure and its end.
 */
export class StoreRetry {
  private readonly stopController = new AbortController();
  private onStop: 'dead-letter' | 'abandon' = 'dead-letter';
  /** Consecutive failed writes (any message), for the log. */
  private failingSince: { atMs: number; failures: number } | undefined;

  constructor(
    private readonly policy: () => StoreRetryPolicy,
    private readonly nowMs: () => number,
    private readonly unacked: UnackedMessages,
    private readonly counts: { storeErrors: number; storeRecoveries: number },
  ) {}

  /**
   * Ends every back-off now, for good. `dead-letter`: a message still failing is given up at once
   * (giveUp); `abandon`: it throws StoreRetryAbandoned, to be left unacknowledged.
   */
  stop(mode: 'dead-letter' | 'abandon'): void {
    this.onStop = mode;
    this.stopController.abort();
  }

  /**
   * The write's answer once it succeeds; after maxAttempts failures (or once stopped in
   * `dead-letter` mode), giveUp's answer. When giveUp fails too (no answer), the write is tried
   * again at the longest back-off, then giveUp again, until one of them answers.
   */
  async run<T>(job: RetriedWrite<T>): Promise<T> {
    const signal = this.stopController.signal;
    const startedMs = this.nowMs();
    let lastError = '';
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await job.write();
        if (attempt > 1) this.recovered(job.topic, attempt, startedMs);
        return answer;
      } catch (error) {
        lastError = (error as Error).message;
        const refused = job.refused(error);
        if (refused !== undefined) return refused;
        this.counts.storeErrors++;
        this.failed(job.topic, attempt, lastError);
      }
      if (signal.aborted && this.onStop === 'abandon')
        throw new StoreRetryAbandoned(`stopping: left unacknowledged after ${attempt} store failures`);
      if (attempt >= this.policy().maxAttempts || signal.aborted) {
        const answer = job.giveUp(attempt, lastError);
        if (answer !== undefined) return answer;
      }
      this.unacked.retrying(job.id, true);
      await backOff(storeRetryDelayMs(this.policy(), attempt), signal);
      this.unacked.retrying(job.id, false);
      if (signal.aborted && this.onStop === 'abandon')
        throw new StoreRetryAbandoned(`stopping: left unacknowledged after ${attempt} store failures`);
    }
  }

  private failed(topic: string, attempt: number, message: string): void {
    this.failingSince ??= { atMs: this.nowMs(), failures: 0 };
    const failures = ++this.failingSince.failures;
    // The first failures and then every 100th: a long outage must show without flooding the log.
    if (failures <= 5 || failures % 100 === 0)
      log.warn(
        {
          topic,
          attempt,
          maxAttempts: this.policy().maxAttempts,
          failingForMs: Math.round(this.nowMs() - this.failingSince.atMs),
          unacked: this.unacked.count,
          err: message,
        },
        'store write failed; retrying in process (the message stays unacknowledged meanwhile)',
      );
  }

  private recovered(topic: string, attempts: number, startedMs: number): void {
    this.counts.storeRecoveries++;
    if (this.failingSince === undefined) return;
    log.info(
      {
        topic,
        attempts,
        stalledMs: Math.round(this.nowMs() - startedMs),
        failures: this.failingSince.failures,
      },
      'store write succeeded again after failures',
    );
    this.failingSince = undefined;
  }
}
