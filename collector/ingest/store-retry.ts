// Store retry for ingest: a message whose store write fails is written again in this process,
// after a growing back-off, until it is stored or has failed `maxAttempts` times (then it is
// dead-lettered with its bytes and acknowledged). MQTT brokers redeliver an unacknowledged QoS 1
// message only after a reconnect, and stop sending once their in-flight window (20 in mosquitto)
// is full of them: leaving a message unacknowledged is a silent stall, never a retry.

import { setTimeout as sleep } from 'node:timers/promises';

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
