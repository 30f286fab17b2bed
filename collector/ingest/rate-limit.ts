// Per-device rate limit: a token bucket per (fleet, device) in messages per second with a burst.
// A legitimate agent drains its backlog at --max-batches-per-second (default 50), under the
// default limit here (100/s, burst 500); a flood from one device is refused without starving others.

export interface RateLimit {
  /** Sustained messages per second per device; 0 disables the limit. */
  messagesPerS: number;
  /** Messages a device may send at once above the sustained rate. */
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { messagesPerS: 100, burst: 500 };

/** Devices tracked at most; beyond it the least recently seen are forgotten (they start full again). */
const MAX_TRACKED = 100_000;

export class DeviceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(
    private readonly limit: RateLimit = DEFAULT_RATE_LIMIT,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Takes one token for `key`; false when the device is over its limit. */
  allow(key: string): boolean {
    if (this.limit.messagesPerS <= 0) return true;
    const now = this.nowMs();
    const bucket = this.buckets.get(key);
    let tokens = this.limit.burst;
    if (bucket !== undefined) {
      tokens = Math.min(
        this.limit.burst,
        bucket.tokens + ((now - bucket.atMs) / 1000) * this.limit.messagesPerS,
      );
      this.buckets.delete(key); // re-inserted below: the Map's order is least recently seen first
    } else if (this.buckets.size >= MAX_TRACKED) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    const allowed = tokens >= 1;
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, atMs: now });
    return allowed;
  }
}
