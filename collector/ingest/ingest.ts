// Ingest: topic + payload in, records stored once, everything else refused, counted by reason and
// kept in the dead-letter table. Pure of MQTT so it can be tested, fuzzed and benchmarked alone;
// collector.ts wires it to a broker and acknowledges whatever handle() returns for.

import { logger } from '../../common/logger.js';
import {
  type DecodeDetail,
  decodeAs,
  MAX_PAYLOAD_BYTES,
  type ProtocolErrorReason,
  parseTopic,
  type TopicPayloads,
} from '../../protocol/index.js';
import {
  type ReceivedPayload,
  type RecordStore,
  type RefusedData,
  StoreRefusedError,
} from '../store/index.js';
import { type DeadLetter, deadLetterEntry, MemoryDeadLetter } from './dead-letter.js';
import { DEFAULT_RATE_LIMIT, DeviceRateLimiter, type RateLimit } from './rate-limit.js';
import { DEFAULT_STORE_RETRY, StoreRetry, type StoreRetryPolicy, UnackedMessages } from './store-retry.js';

const log = logger('collector.ingest');

export type RejectReason =
  | ProtocolErrorReason
  | 'device-mismatch'
  | 'unexpected-kind'
  | 'rate-limited'
  /** The store failed on this message `maxStoreAttempts` times in a row (retried in process): dead-lettered with its bytes. */
  | 'store-failed'
  /** The store refuses this data for what it is (an InfluxDB tag value it cannot hold): dead-lettered with its bytes. */
  | 'store-refused'
  /**
   * Some records' (device, seq) already name a record of the other kind (inference vs offload:
   * one seq space); the others were stored, the message is dead-lettered whole (SQLite checks it).
   */
  | 'seq-conflict';

export interface IngestStats {
  /** Messages handed to handle(), whatever became of them. */
  received: number;
  receivedBytes: number;
  batches: number;
  records: number;
  /** Offload records newly stored (their batches count in `batches`, their redeliveries in `duplicates`). */
  offloadRecords: number;
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
  /** Records refused because their (device, seq) names a stored record of the other kind (SQLite). */
  seqConflicts: number;
  /** Failed store writes (each one is retried in process after a back-off, up to maxStoreAttempts). */
  storeErrors: number;
  /** Store writes that succeeded after one or more failures. */
  storeRecoveries: number;
  /** Points the store's server refused after the message was acknowledged (InfluxDB 400), dead-lettered. */
  refusedByServer: number;
  rejected: Partial<Record<RejectReason, number>>;
  deadLettered: number;
}

export type IngestOutcome =
  | { kind: 'stored'; inserted: number; duplicates: number }
  /**
   * `highestSeq` on an `online` birth: the highest seq stored for the device (null: none), what
   * the collector answers on cmd/seq; undefined when the store could not say.
   */
  | { kind: 'status'; highestSeq?: number | null }
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
  /** Back-off between store attempts on one message (default DEFAULT_STORE_RETRY). */
  storeRetry?: Partial<Omit<StoreRetryPolicy, 'maxAttempts'>>;
  nowMs?: () => number;
}

/** Devices whose birth and last-seen time are tracked at most (then the least recent are forgotten). */
const MAX_DEVICES = 100_000;

export { StoreRetryAbandoned } from './store-retry.js';

export class Ingest {
  readonly stats: IngestStats = {
    received: 0,
    receivedBytes: 0,
    batches: 0,
    records: 0,
    offloadRecords: 0,
    duplicates: 0,
    statuses: 0,
    feedbacks: 0,
    staleStatuses: 0,
    seqRegressions: 0,
    seqConflicts: 0,
    storeErrors: 0,
    storeRecoveries: 0,
    refusedByServer: 0,
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
  /** Messages handed to handle() and not answered yet: what /metrics shows of a stall. */
  readonly unacked = new UnackedMessages(() => this.nowMs());
  private readonly births = new Map<string, number>();
  private limiter!: DeviceRateLimiter;
  deadLetter!: DeadLetter;
  private maxPayloadBytes = MAX_PAYLOAD_BYTES;
  private retry: StoreRetryPolicy = DEFAULT_STORE_RETRY;
  private readonly retries = new StoreRetry(
    () => this.retry,
    () => this.nowMs(),
    this.unacked,
    this.stats,
  );
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
    this.retry = {
      ...DEFAULT_STORE_RETRY,
      ...options.storeRetry,
      maxAttempts: options.maxStoreAttempts ?? DEFAULT_STORE_RETRY.maxAttempts,
    };
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
   * The highest seq stored for the device: the store's answer (it outlives this process) or what
   * this ingest stored since it started, whichever is higher (a buffering store's spool is not in
   * the store's answer yet). When the store cannot say, only what this ingest stored, if anything:
   * undefined means nothing is known (which is not the same as none stored).
   */
  async highestSeq(fleet: string, device: string): Promise<number | null | undefined> {
    const here = this.seqSpan.get(`${fleet}/${device}`)?.highSeq ?? null;
    try {
      const stored = await this.store.highestSeq(fleet, device);
      return stored === null ? here : Math.max(stored, here ?? stored);
    } catch (error) {
      log.warn(
        { device: `${fleet}/${device}`, err: (error as Error).message },
        'the store could not say the highest seq stored for the device',
      );
      return here ?? undefined;
    }
  }

  /**
   * A new connection's birth says which seq the device numbers next; at or below one already
   * stored, its counter went backwards (state directory lost). Only the first `online` of each
   * birth is checked: a will, or a retained birth delivered again, carries an older moment's seq.
   */
  private checkSeq(key: string, nextSeq: number, highSeq: number | null | undefined): void {
    if (highSeq === undefined || highSeq === null || nextSeq > highSeq) return;
    this.stats.seqRegressions++;
    log.warn(
      { device: key, nextSeq, highestStored: highSeq, regressions: this.stats.seqRegressions },
      'device sequence went backwards (its counter was lost): records under seqs already stored are dropped as duplicates',
    );
  }

  /**
   * Handles one message. Bad input is counted, dead-lettered and returned as `rejected` (the
   * caller acknowledges it). A store failure is retried here, after a back-off, until the write
   * succeeds or has failed maxStoreAttempts times; then the message is dead-lettered with all its
   * bytes and returned as `rejected` (reason `store-failed`). It throws only when neither the store
   * nor the dead-letter table took the message and stopRetrying('abandon') ended the wait: then
   * the caller must not acknowledge it (a persistent session gets it again).
   */
  async handle(topic: string, payload: Uint8Array): Promise<IngestOutcome> {
    const id = this.unacked.begin();
    try {
      return await this.handleOnce(topic, payload, id);
    } finally {
      this.unacked.end(id);
    }
  }

  /**
   * Ends every back-off now. `dead-letter`: messages still failing are dead-lettered at once and
   * acknowledged (a clean session would lose them); `abandon`: they are left unacknowledged for
   * the broker to deliver again (a persistent session). So are later failures: this is for stopping.
   */
  stopRetrying(mode: 'dead-letter' | 'abandon'): void {
    this.retries.stop(mode);
  }

  private async handleOnce(topic: string, payload: Uint8Array, id: number): Promise<IngestOutcome> {
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
    if (kind !== 'inference' && kind !== 'offload' && kind !== 'status' && kind !== 'feedback') {
      return this.reject('unexpected-kind', `kind ${kind} is not ingested by this collector`, topic, payload);
    }
    const key = `${fleet}/${device}`;
    if (!this.limiter.allow(key)) {
      return this.reject('rate-limited', `device ${key} is over its message rate limit`, topic, payload);
    }
    // An inference batch's checked columns come back too: the InfluxDB store keeps them (compact)
    // until the batch is written, instead of its records.
    const detail: DecodeDetail = {};
    const decoded = decodeAs(kind, payload, detail);
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
    let highestSeq: number | null | undefined;
    if (message.type === 'status' && message.birth !== undefined) {
      const seen = this.births.get(key) ?? -1;
      // A birth (online): the device may have lost its counter; the collector answers with this.
      if (message.state === 'online') highestSeq = await this.highestSeq(fleet, device);
      if (message.state === 'online' && message.birth > seen) this.checkSeq(key, message.seq, highestSeq);
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
    const received: ReceivedPayload = { payload, receivedUs: Math.round(this.nowMs() * 1000) };
    if (detail.columns !== undefined) received.columns = detail.columns;
    // A batch is handed to the store once and then let go: a store that waits for a durable write
    // (the InfluxDB spool's fsync) would otherwise keep the records of every waiting message
    // alive through the wait, and copying them from one heap space to the next was most of the
    // collector's garbage collection (bench:ingest). A retry decodes the same bytes again.
    let held: typeof message | undefined = message;
    const write = async (): Promise<IngestOutcome> => {
      const current = held ?? this.decodeAgain(kind, payload);
      held = undefined;
      if (current.type === 'status') {
        await this.store.writeStatus(fleet, current, received);
        this.stats.statuses++;
        remember(this.lastSeenUs, key, Math.round(this.nowMs() * 1000));
        return current.state === 'online' && current.birth !== undefined
          ? { kind: 'status', highestSeq }
          : { kind: 'status' };
      }
      if (current.type === 'feedback') {
        await this.store.writeFeedback(fleet, current, received);
        this.stats.feedbacks++;
        remember(this.lastSeenUs, key, Math.round(this.nowMs() * 1000));
        return { kind: 'feedback' };
      }
      // What is needed after the store's write, taken now: the records are not kept through it.
      const type = current.type;
      const count = current.records.length;
      const first = current.records[0]?.seq ?? 0;
      const result =
        current.type === 'offload'
          ? await this.store.writeOffload(fleet, device, current.records, received)
          : await this.store.writeBatch(fleet, device, current.records, received);
      this.stats.batches++;
      if (type === 'offload') this.stats.offloadRecords += result.inserted;
      else this.stats.records += result.inserted;
      this.stats.duplicates += result.duplicates;
      if (result.seqConflicts !== undefined && result.seqConflicts.length > 0)
        this.seqConflict(type, result.seqConflicts, key, topic, payload);
      remember(this.lastSeenUs, key, Math.round(this.nowMs() * 1000));
      // Offload records share the device's seq space: they fill the span as records do.
      const last = first + count - 1;
      const span = this.seqSpan.get(key);
      remember(this.seqSpan, key, {
        lowSeq: Math.min(span?.lowSeq ?? first, first),
        highSeq: Math.max(span?.highSeq ?? last, last),
        stored: (span?.stored ?? 0) + result.inserted,
      });
      return { kind: 'stored', ...result };
    };
    return this.retries.run({
      topic,
      id,
      write,
      // Not an outage: the store will never take it. Dead-letter it whole now, no retry.
      refused: (error) =>
        error instanceof StoreRefusedError
          ? this.deadLetterWhole('store-refused', error.message, topic, payload)
          : undefined,
      giveUp: (attempts, lastError) =>
        this.deadLetterWhole(
          'store-failed',
          `the store failed ${attempts} times on this message (last: ${lastError}); dead-lettered with its ${payload.length} bytes, not stored`,
          topic,
          payload,
        ),
    });
  }

  /** A message decoded again for a retried store write: the bytes decoded before, so they decode the same. */
  private decodeAgain<K extends 'inference' | 'offload' | 'status' | 'feedback'>(
    kind: K,
    payload: Uint8Array,
  ): TopicPayloads[K] {
    const decoded = decodeAs(kind, payload);
    if (!decoded.ok) throw new Error(`a payload decoded before no longer decodes: ${decoded.error.message}`);
    return decoded.value;
  }

  /**
   * Records the store refused because their seqs already name records of the other kind: counted,
   * logged, and the message dead-lettered whole with the reason (the rest of it was stored).
   */
  private seqConflict(
    kind: 'inference' | 'offload',
    seqs: readonly number[],
    key: string,
    topic: string,
    payload: Uint8Array,
  ): void {
    const other = kind === 'offload' ? 'inference' : 'offload';
    const shown = seqs.slice(0, 5).join(', ') + (seqs.length > 5 ? ', …' : '');
    const detail = `${seqs.length} ${kind} records of ${key} not stored: seqs ${shown} already name ${other} records (one seq space: a counter lost without the collector's answer, or two boards with one device id); the other records of the message were stored`;
    this.stats.seqConflicts += seqs.length;
    this.stats.rejected['seq-conflict'] = (this.stats.rejected['seq-conflict'] ?? 0) + 1;
    try {
      this.deadLetter.add(
        deadLetterEntry(topic, 'seq-conflict', detail, payload, Math.round(this.nowMs() * 1000), {
          whole: true,
        }),
      );
      this.stats.deadLettered++;
    } catch (error) {
      log.error(
        { topic, err: (error as Error).message },
        'seq conflict could not be dead-lettered; counted only',
      );
    }
    if (this.stats.rejected['seq-conflict'] <= 10 || this.stats.rejected['seq-conflict'] % 1000 === 0)
      log.warn({ topic, seqs: seqs.length }, detail);
  }

  /** Dead-letters a message whole (synced); undefined when the dead-letter table failed too. */
  private deadLetterWhole(
    reason: 'store-failed' | 'store-refused',
    message: string,
    topic: string,
    payload: Uint8Array,
  ): IngestOutcome | undefined {
    try {
      this.deadLetter.add(
        deadLetterEntry(topic, reason, message, payload, Math.round(this.nowMs() * 1000), { whole: true }),
      );
    } catch (error) {
      log.error(
        { topic, err: (error as Error).message },
        'neither the store nor the dead-letter table took the message; it stays unacknowledged and is retried',
      );
      return undefined;
    }
    this.stats.deadLettered++;
    const count = (this.stats.rejected[reason] ?? 0) + 1;
    this.stats.rejected[reason] = count;
    if (count <= 10 || count % 1000 === 0)
      log.error({ topic, reason, count, err: message }, 'message not stored: dead-lettered with its bytes');
    return { kind: 'rejected', reason, message };
  }

  /**
   * Data a buffering store accepted and its server later refused (InfluxDB 400): its message was
   * acknowledged long ago, so the data itself goes to the dead-letter table, whole, and is counted.
   */
  deadLetterRefused(refused: RefusedData): void {
    this.stats.refusedByServer += refused.lines;
    try {
      this.deadLetter.add(
        deadLetterEntry(
          refused.where,
          'refused-by-server',
          `${refused.lines} points refused: ${refused.reason}`,
          refused.bytes,
          Math.round(this.nowMs() * 1000),
          { whole: true },
        ),
      );
      this.stats.deadLettered++;
    } catch (error) {
      log.error(
        { where: refused.where, lines: refused.lines, err: (error as Error).message },
        'refused points could not be dead-lettered; they are counted only',
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
