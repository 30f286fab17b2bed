// Ingest: topic + payload in, records stored once, everything else refused, counted by reason and
// kept in the dead-letter table. Pure of MQTT so it can be tested, fuzzed and benchmarked alone;
// collector.ts wires it to a broker and acknowledges whatever handle() returns for.

import { createHash } from 'node:crypto';
import { logger } from '../../common/logger.js';
import { decodeAs, MAX_PAYLOAD_BYTES, type ProtocolErrorReason, parseTopic } from '../../protocol/index.js';
import type { RecordStore } from '../store/index.js';
import { type DeadLetter, deadLetterEntry, MemoryDeadLetter } from './dead-letter.js';
import { DEFAULT_RATE_LIMIT, DeviceRateLimiter, type RateLimit } from './rate-limit.js';

const log = logger('collector.ingest');

export type RejectReason =
  | ProtocolErrorReason
  | 'device-mismatch'
  | 'unexpected-kind'
  | 'rate-limited'
  /** The store failed on this very message `maxStoreAttempts` times: poison, not an outage. */
  | 'store-failed';

export interface IngestStats {
  /** Messages handed to handle(), whatever became of them. */
  received: number;
  receivedBytes: number;
  batches: number;
  records: number;
  duplicates: number;
  statuses: number;
  /** Feedback messages (labels given after the answer) stored. */
  feedbacks: number;
  /** Status messages with a lower birth than one already seen (late last wills), ignored. */
  staleStatuses: number;
  /**
   * Births whose next seq is not above the highest seq this collector stored for the device: the
   * device lost its counter, and records it sends under used seqs are dropped as duplicates.
   */
  seqRegressions: number;
  /** Store failures (each one leaves its message unacknowledged, to be redelivered). */
  storeErrors: number;
  rejected: Partial<Record<RejectReason, number>>;
  deadLettered: number;
}

export type IngestOutcome =
  | { kind: 'stored'; inserted: number; duplicates: number }
  | { kind: 'status' }
  | { kind: 'feedback' }
  | { kind: 'stale-status' }
  | { kind: 'rejected'; reason: RejectReason; message: string };

export interface IngestOptions {
  /** Where refused messages are kept (default: the newest 1,000 in memory). */
  deadLetter?: DeadLetter;
  /** Largest payload accepted, bytes (default and maximum: the protocol's 256 KiB). */
  maxPayloadBytes?: number;
  rateLimit?: RateLimit;
  /** Store failures on one message before it is dead-lettered and acknowledged (default 5). */
  maxStoreAttempts?: number;
  nowMs?: () => number;
}

/** Devices whose birth and last-seen time are tracked at most (then the least recent are forgotten). */
const MAX_DEVICES = 100_000;
const MAX_TRACKED_FAILURES = 10_000;

export class Ingest {
  readonly stats: IngestStats = {
    received: 0,
    receivedBytes: 0,
    batches: 0,
    records: 0,
    duplicates: 0,
    statuses: 0,
    feedbacks: 0,
    staleStatuses: 0,
    seqRegressions: 0,
    storeErrors: 0,
    rejected: {},
    deadLettered: 0,
  };
  /** Last time each `fleet/device` had a message stored, µs since the epoch. */
  readonly lastSeenUs = new Map<string, number>();
  /**
   * Per `fleet/device`: the lowest and highest seq this collector stored and how many records it
   * stored in between; missing = high − low + 1 − stored: records dropped by the agent's full spool,
   * or not arrived yet. Meaningful for one collector per device (not across a shared group).
   */
  readonly seqSpan = new Map<string, { lowSeq: number; highSeq: number; stored: number }>();
  private readonly births = new Map<string, number>();
  private readonly storeFailures = new Map<string, number>();
  private limiter!: DeviceRateLimiter;
  deadLetter!: DeadLetter;
  private maxPayloadBytes = MAX_PAYLOAD_BYTES;
  private maxStoreAttempts = 5;
  private nowMs: () => number = () => performance.timeOrigin + performance.now();

  constructor(
    private readonly store: RecordStore,
    options: IngestOptions = {},
  ) {
    this.configure(options);
  }

  /**
   * Sets the limits and the dead-letter table (what is not given gets its default). Callable
   * after construction, so a collector's owner configures its ingest without reaching inside.
   */
  configure(options: IngestOptions): void {
    if (options.nowMs !== undefined) this.nowMs = options.nowMs;
    this.deadLetter = options.deadLetter ?? new MemoryDeadLetter();
    this.maxPayloadBytes = Math.min(options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES);
    this.maxStoreAttempts = options.maxStoreAttempts ?? 5;
    this.limiter = new DeviceRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, () => this.nowMs());
  }

  private reject(reason: RejectReason, message: string, topic: string, payload: Uint8Array): IngestOutcome {
    const count = (this.stats.rejected[reason] ?? 0) + 1;
    this.stats.rejected[reason] = count;
    // Loud for the first few of a kind, then sparse: a broken publisher must not flood the log.
    if (count <= 10 || count % 1000 === 0) log.warn({ topic, reason, count }, `rejected: ${message}`);
    try {
      this.deadLetter.add(deadLetterEntry(topic, reason, message, payload, Math.round(this.nowMs() * 1000)));
      this.stats.deadLettered++;
    } catch (error) {
      log.error(
        { err: (error as Error).message },
        'dead-letter table not written; the rejection is still counted',
      );
    }
    return { kind: 'rejected', reason, message };
  }

  /**
   * A new connection's birth says which seq the device numbers next; at or below one already
   * stored, its counter went backwards (state directory lost). Only the first `online` of each
   * birth is checked: a will, or a retained birth delivered again, carries an older moment's seq.
   */
  private checkSeq(key: string, nextSeq: number): void {
    const highSeq = this.seqSpan.get(key)?.highSeq;
    if (highSeq === undefined || nextSeq > highSeq) return;
    this.stats.seqRegressions++;
    log.warn(
      { device: key, nextSeq, highestStored: highSeq, regressions: this.stats.seqRegressions },
      'device sequence went backwards (its counter was lost): records under seqs already stored are dropped as duplicates',
    );
  }

  /**
   * Handles one message. Bad input is counted, dead-lettered and returned as `rejected` (the
   * caller acknowledges it); a store failure throws, so the caller does not acknowledge the
   * message and the broker delivers it again, until the same message has failed
   * maxStoreAttempts times: then it is poison, dead-lettered and returned as `rejected`.
   */
  async handle(topic: string, payload: Uint8Array): Promise<IngestOutcome> {
    this.stats.received++;
    this.stats.receivedBytes += payload.length;
    if (payload.length > this.maxPayloadBytes) {
      return this.reject(
        'too-large',
        `payload is ${payload.length} bytes; this collector accepts at most ${this.maxPayloadBytes}: send smaller batches`,
        topic,
        payload,
      );
    }
    const address = parseTopic(topic);
    if (!address.ok) return this.reject(address.error.reason, address.error.message, topic, payload);
    const { fleet, device, kind } = address.value;
    if (kind !== 'inference' && kind !== 'status' && kind !== 'feedback') {
      return this.reject('unexpected-kind', `kind ${kind} is not ingested by this collector`, topic, payload);
    }
    const key = `${fleet}/${device}`;
    if (!this.limiter.allow(key)) {
      return this.reject('rate-limited', `device ${key} is over its message rate limit`, topic, payload);
    }
    const decoded = decodeAs(kind, payload);
    if (!decoded.ok) return this.reject(decoded.error.reason, decoded.error.message, topic, payload);
    const message = decoded.value;
    if (message.device !== device) {
      return this.reject(
        'device-mismatch',
        `payload says device ${JSON.stringify(message.device)} but was published on ${JSON.stringify(device)}'s topic`,
        topic,
        payload,
      );
    }
    if (message.type === 'status' && message.birth !== undefined) {
      const seen = this.births.get(key) ?? -1;
      if (message.state === 'online' && message.birth > seen) this.checkSeq(key, message.seq);
      if (message.birth < seen) {
        this.stats.staleStatuses++;
        if (this.stats.staleStatuses <= 10 || this.stats.staleStatuses % 1000 === 0)
          log.info(
            { device: key, birth: message.birth, current: seen },
            'stale status (late last will) ignored',
          );
        return { kind: 'stale-status' };
      }
      remember(this.births, key, message.birth);
    }
    // The bytes as received go to the store with the records, for a store that spools them (InfluxDB).
    const received = { payload, receivedUs: Math.round(this.nowMs() * 1000) };
    try {
      if (message.type === 'status') {
        await this.store.writeStatus(fleet, message, received);
        this.stats.statuses++;
        remember(this.lastSeenUs, key, Math.round(this.nowMs() * 1000));
        return { kind: 'status' };
      }
      if (message.type === 'feedback') {
        await this.store.writeFeedback(fleet, message, received);
        this.stats.feedbacks++;
        remember(this.lastSeenUs, key, Math.round(this.nowMs() * 1000));
        return { kind: 'feedback' };
      }
      const result = await this.store.writeBatch(fleet, device, message.records, received);
      this.stats.batches++;
      this.stats.records += result.inserted;
      this.stats.duplicates += result.duplicates;
      remember(this.lastSeenUs, key, Math.round(this.nowMs() * 1000));
      const first = message.records[0]?.seq ?? 0;
      const last = first + message.records.length - 1;
      const span = this.seqSpan.get(key);
      remember(this.seqSpan, key, {
        lowSeq: Math.min(span?.lowSeq ?? first, first),
        highSeq: Math.max(span?.highSeq ?? last, last),
        stored: (span?.stored ?? 0) + result.inserted,
      });
      return { kind: 'stored', ...result };
    } catch (error) {
      this.stats.storeErrors++;
      const id = createHash('sha256').update(topic).update(payload).digest('hex');
      const attempts = (this.storeFailures.get(id) ?? 0) + 1;
      remember(this.storeFailures, id, attempts, MAX_TRACKED_FAILURES);
      if (attempts < this.maxStoreAttempts) throw error;
      this.storeFailures.delete(id);
      return this.reject(
        'store-failed',
        `the store failed ${attempts} times on this message (last: ${(error as Error).message}); dead-lettered so it is not redelivered forever`,
        topic,
        payload,
      );
    }
  }
}

/** Sets `key` in a Map used as a bounded least-recently-set cache. */
function remember<V>(map: Map<string, V>, key: string, value: V, max = MAX_DEVICES): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
