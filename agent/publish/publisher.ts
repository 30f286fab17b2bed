// Sends sealed batches from the spool to the broker at QoS 1, oldest first, a bounded number in
// flight and at a bounded rate, and forgets each once the broker has acknowledged it. One MQTT
// connection at a time: when it is lost, what was in flight goes back to the queue in sequence
// order and a new connection is tried after an exponential back-off with full jitter. Owns the
// device's status: a retained `online` birth on every connect, a retained `offline` last will,
// both carrying the connection's birth counter so that a late will can be told apart. Speaks MQTT 5
// so that a broker's refusal of a publish (PUBACK reason code, e.g. 0x87 not authorized) is seen:
// such a batch stays in the spool and is counted; credentials refused at start are fatal.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { isDiskFull, writeFileAtomicSync } from '../../common/files.js';
import { logger } from '../../common/logger.js';
import {
  buildTopic,
  decodeAs,
  encodeMessage,
  PROTOCOL_VERSION,
  SEQ_COMMAND,
  type StatusMessage,
} from '../../protocol/index.js';
import { wallClockUs } from '../measure/runner.js';
import { type Backoff, backoffDelayMs, DEFAULT_BACKOFF } from './backoff.js';
import {
  credentialsRefused,
  isCredentialsRefusal,
  isProtocolVersionRefusal,
  type Refusal,
  refusalOf,
} from './refusals.js';
import { SeqRecovery } from './seq-recovery.js';
import type { Spool, SpoolEntry, SpooledKind } from './spool.js';

const log = logger('agent.publish');

export interface PublisherOptions {
  brokerUrl: string;
  fleet: string;
  device: string;
  /** Fields of the status message that describe the device. */
  describe: Pick<StatusMessage, 'board' | 'sensor' | 'backend' | 'modelId' | 'variant' | 'agentVersion'>;
  username?: string;
  password?: string;
  /** Batches offered to the broker at once; the rest wait in the spool. */
  maxInFlight?: number;
  /** Batches sent per second at most (a backlog drains at this pace; keep it under the collector's limit). */
  maxBatchesPerSecond?: number;
  /** Where the birth counter is kept across restarts; without it the counter starts from the clock. */
  stateDir?: string;
  reconnect?: Partial<Backoff>;
  keepaliveS?: number;
  /** PEM text for mqtts:// brokers: the CA to trust, and a client certificate if the broker asks. */
  tls?: { ca?: string; cert?: string; key?: string };
  /** How long sealing waits for the collector's answer when the spool found no counter (seq-recovery.ts). */
  seqAnswerTimeoutMs?: number;
}

export interface PublisherStats {
  batchesSent: number;
  recordsSent: number;
  bytesSent: number;
  connects: number;
  connectionLosses: number;
  /** Births published again because a stale last will had replaced the retained status. */
  birthsReasserted: number;
  birth: number;
  /**
   * Publishes (batches and births) the broker answered with a failure reason code; a refused batch
   * stays in the spool and is sent again later.
   */
  publishesRefused: number;
  /** The last refusal: MQTT 5 reason code and its name (135 "Not authorized"), and the topic. */
  lastRefusal?: Refusal & { topic: string };
  /** Side messages (feedback, answers) sent, and dropped from the full in-memory queue while offline. */
  sideSent: number;
  sideDropped: number;
}

/** Side messages kept in memory while the broker is away; past this the oldest are dropped and counted. */
const MAX_SIDE_QUEUE = 1000;

const BIRTH_FILE = 'birth.json';

export class Publisher {
  private client: MqttClient | undefined;
  private generation = 0;
  private connected = false;
  /** Waiting to be sent, ordered by firstSeq. */
  private queue: SpoolEntry[] = [];
  private readonly inFlight = new Map<number, SpoolEntry>();
  private drainWaiters: (() => void)[] = [];
  private closing = false;
  private failedAttempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pumpTimer: NodeJS.Timeout | undefined;
  private tokens: number;
  private tokensAtMs = performance.now();
  private readonly statusTopic: string;
  /** The topic of each record kind the spool holds (batches are published on their kind's topic). */
  private readonly recordTopics: Readonly<Record<SpooledKind, string>>;
  readonly stats: PublisherStats = {
    batchesSent: 0,
    recordsSent: 0,
    bytesSent: 0,
    connects: 0,
    connectionLosses: 0,
    birthsReasserted: 0,
    birth: 0,
    publishesRefused: 0,
    sideSent: 0,
    sideDropped: 0,
  };
  private readonly commandHandlers = new Map<string, (payload: Buffer) => void>();
  private readonly connectListeners: (() => void)[] = [];
  private sideQueue: { topic: string; payload: Uint8Array }[] = [];
  /** Rejects once the broker refuses the credentials before any connection succeeded. */
  readonly fatal: Promise<never>;
  private failFatal: (error: Error) => void = () => undefined;
  /** 5 until a broker refuses it (the embedded aedes broker speaks 3.1.1 only). */
  private protocolVersion: 4 | 5 = 5;
  private reuseBirth = false;
  /** The counter recovered from the collector when the spool had none (cmd/seq). */
  readonly seq: SeqRecovery;

  constructor(
    private readonly spool: Spool,
    private readonly options: PublisherOptions,
  ) {
    this.statusTopic = buildTopic({ fleet: options.fleet, device: options.device, kind: 'status' });
    const topicOf = (kind: SpooledKind) => buildTopic({ fleet: options.fleet, device: options.device, kind });
    this.recordTopics = { inference: topicOf('inference'), offload: topicOf('offload') };
    this.fatal = new Promise<never>((_resolve, reject) => {
      this.failFatal = reject;
    });
    // Observed by whoever awaits it; without this, a process that never asks would crash on it.
    this.fatal.catch(() => undefined);
    this.tokens = this.ratePerS;
    this.seq = new SeqRecovery(spool, options, options.seqAnswerTimeoutMs);
    // Subscribed after the birth (mosquitto closes the connection on a subscription its ACL denies:
    // the birth's refusal is the clearer message); the collector's answer is retained when it knows
    // the device, so a subscription that comes after the answer still gets it.
    this.onCommand(SEQ_COMMAND, (payload) => this.seq.onAnswer(payload, this.stats.birth));
    this.queue = spool
      .list()
      .map(({ firstSeq, count, kind }) =>
        kind === undefined ? { firstSeq, count } : { firstSeq, count, kind },
      );
    if (this.queue.length > 0)
      log.info({ batches: this.queue.length }, 'resending batches left from a previous run');
    this.stats.birth = this.readBirth();
    this.connect();
  }

  private get ratePerS(): number {
    return this.options.maxBatchesPerSecond ?? 50;
  }

  private readBirth(): number {
    if (this.options.stateDir === undefined) return Math.floor(Date.now() / 1000);
    try {
      const parsed = JSON.parse(readFileSync(join(this.options.stateDir, BIRTH_FILE), 'utf8')) as {
        birth?: unknown;
      };
      return typeof parsed.birth === 'number' && Number.isSafeInteger(parsed.birth) ? parsed.birth : 0;
    } catch {
      return 0;
    }
  }

  /**
   * Every connection attempt gets a larger birth, made durable before the broker hears of it. On a
   * full disk it is kept in memory only: connecting is what lets the spool drain and free room.
   */
  private nextBirth(): number {
    if (this.reuseBirth) {
      this.reuseBirth = false;
      return this.stats.birth;
    }
    this.stats.birth++;
    if (this.options.stateDir !== undefined) {
      try {
        writeFileAtomicSync(
          join(this.options.stateDir, BIRTH_FILE),
          JSON.stringify({ birth: this.stats.birth }),
        );
      } catch (error) {
        if (!isDiskFull(error)) throw error;
        log.warn({ birth: this.stats.birth }, 'disk full: birth counter not saved; connecting anyway');
      }
    }
    return this.stats.birth;
  }

  private status(state: StatusMessage['state'], birth: number): Buffer {
    return Buffer.from(
      encodeMessage({
        v: PROTOCOL_VERSION,
        type: 'status',
        device: this.options.device,
        state,
        seq: this.spool.nextSeq,
        atUs: wallClockUs(),
        ...this.options.describe,
        birth,
      }),
    );
  }

  private connect(): void {
    if (this.closing) return;
    const birth = this.nextBirth();
    const generation = ++this.generation;
    const client = mqtt.connect(this.options.brokerUrl, {
      clientId: `edgewatt-agent-${this.options.fleet}-${this.options.device}`,
      protocolVersion: this.protocolVersion,
      clean: true,
      // Reconnection is ours (back-off, jitter, in-order requeue), not mqtt.js's fixed period.
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: this.options.keepaliveS ?? 30,
      username: this.options.username,
      password: this.options.password,
      ...this.options.tls,
      will: { topic: this.statusTopic, payload: this.status('offline', birth), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => {
      if (generation !== this.generation) return;
      this.connected = true;
      // The back-off restarts only once the connection proves useful (an acknowledged batch, or
      // nothing to send): a broker that accepts the connection and then drops it on every batch
      // (an ACL that denies the topic, with mosquitto 2.0.11 and MQTT 3.1.1) is not hammered.
      if (this.queue.length === 0) this.failedAttempts = 0;
      this.stats.connects++;
      log.info({ broker: this.options.brokerUrl, birth, pending: this.queue.length }, 'connected');
      this.publishBirth(client, birth);
      // QoS 0: watching needs no acknowledgement, and our own `offline` echoed back while the client
      // ends would otherwise be PUBACKed after the end ("write after end").
      client.subscribe(this.statusTopic, { qos: 0 }, (error) => {
        if (error) log.warn({ err: error.message }, 'cannot watch own status topic; a late will stays');
      });
      for (const topic of this.commandHandlers.keys()) this.subscribeCommand(client, topic);
      this.flushSide(client);
      this.pump();
      for (const listener of this.connectListeners) listener();
    });
    client.on('message', (topic, payload) => {
      if (generation !== this.generation) return;
      const handler = this.commandHandlers.get(topic);
      if (handler !== undefined) handler(payload);
      else if (topic === this.statusTopic) this.onOwnStatus(client, payload, birth);
    });
    client.on('error', (error) => {
      if (generation === this.generation && isCredentialsRefusal(error)) {
        this.onCredentialsRefused(error);
        return;
      }
      if (generation === this.generation && this.protocolVersion === 5 && isProtocolVersionRefusal(error)) {
        // Said once: under 3.1.1 a broker acknowledges a publish it refuses (ACL), unseen by us.
        log.warn(
          { broker: this.options.brokerUrl },
          'broker does not speak MQTT 5; using 3.1.1, where a publish the broker refuses cannot be detected',
        );
        this.protocolVersion = 4;
        this.failedAttempts = 0;
        // Refused at CONNACK, that connection registered no last will: its birth can be used again.
        this.reuseBirth = true;
        return;
      }
      log.warn({ err: error.message }, 'mqtt error');
    });
    client.on('close', () => {
      if (generation === this.generation) this.onConnectionLost(client);
    });
  }

  /**
   * Calls `handler` with every message on the device's `cmd/{name}` topic, from this connection on
   * and after every reconnection. A handler must not throw (it gets untrusted bytes).
   */
  onCommand(name: string, handler: (payload: Buffer) => void): void {
    const topic = buildTopic({
      fleet: this.options.fleet,
      device: this.options.device,
      kind: 'cmd',
      command: name,
    });
    this.commandHandlers.set(topic, handler);
    if (this.connected && this.client !== undefined) this.subscribeCommand(this.client, topic);
  }

  /** Called after every (re)connection, once commands are subscribed again. */
  onConnected(listener: () => void): void {
    this.connectListeners.push(listener);
  }

  /**
   * Publishes at QoS 1 on this device's one connection and resolves on the broker's PUBACK; rejects
   * when not connected or refused. For callers that keep their own durable outbox (the
   * deployment journal) and resend after a reconnect. One connection per device matters: the
   * shipped broker config binds client ids to user names, so a second connection under the same
   * user would take this one over.
   */
  publishAcked(topic: string, payload: Uint8Array): Promise<void> {
    const client = this.client;
    if (!this.connected || client === undefined)
      return Promise.reject(new Error('not connected to the broker'));
    return new Promise((resolve, reject) => {
      client.publish(topic, Buffer.from(payload), { qos: 1 }, (error) => (error ? reject(error) : resolve()));
    });
  }

  private subscribeCommand(client: MqttClient, topic: string): void {
    client.subscribe(topic, { qos: 1 }, (error) => {
      if (error) log.warn({ topic, err: error.message }, 'cannot subscribe to a command topic');
    });
  }

  /**
   * Sends a message that is not an inference batch (feedback, answers to cmd/infer) at QoS 1.
   * While the broker is away these wait in memory, bounded: the oldest past MAX_SIDE_QUEUE are
   * dropped and counted (they are small and rare next to records, which the spool keeps on disk).
   */
  publishSide(topic: string, payload: Uint8Array): void {
    this.sideQueue.push({ topic, payload });
    if (this.sideQueue.length > MAX_SIDE_QUEUE) {
      this.sideQueue.shift();
      this.stats.sideDropped++;
      if (this.stats.sideDropped <= 10 || this.stats.sideDropped % 1000 === 0)
        log.warn(
          { dropped: this.stats.sideDropped },
          'side message queue full while offline; oldest dropped',
        );
    }
    if (this.connected && this.client !== undefined) this.flushSide(this.client);
  }

  private flushSide(client: MqttClient): void {
    const queued = this.sideQueue;
    this.sideQueue = [];
    for (const { topic, payload } of queued) {
      client.publish(topic, Buffer.from(payload), { qos: 1 }, (error) => {
        if (error === undefined || error === null) this.stats.sideSent++;
        else log.warn({ topic, err: error.message }, 'side message not sent');
      });
    }
  }

  private publishBirth(client: MqttClient, birth: number): void {
    client.publish(this.statusTopic, this.status('online', birth), { qos: 1, retain: true }, (error) => {
      const refusal = refusalOf(error);
      if (refusal !== undefined) this.countRefusal(refusal, this.statusTopic);
      else if (error) log.warn({ err: error.message }, 'birth message not sent');
    });
  }

  /** A stale `offline` (a late will of an older connection) replaced our retained birth: say it again. */
  private onOwnStatus(client: MqttClient, payload: Buffer, birth: number): void {
    const decoded = decodeAs('status', payload);
    if (!decoded.ok || this.closing || !this.connected) return;
    const status = decoded.value;
    if (status.state === 'offline' && (status.birth === undefined || status.birth < birth)) {
      this.stats.birthsReasserted++;
      log.info(
        { staleBirth: status.birth, birth },
        'stale last will on our status topic; publishing birth again',
      );
      this.publishBirth(client, birth);
    }
  }

  /**
   * Wrong user name or password: before any connection succeeded it is a configuration error, and
   * retrying would only hide it, so the publisher stops and `fatal` rejects. After one succeeded
   * (credentials revoked, a broker restarted with an incomplete password file) it is retried.
   */
  private onCredentialsRefused(error: Error): void {
    const refusal = credentialsRefused(this.options.brokerUrl, this.options.username, error);
    if (this.stats.connects > 0) {
      log.error({ err: refusal.message }, 'credentials refused; retrying with back-off');
      return;
    }
    // Not logged here: the command prints it as its one-line error.
    this.stopTimers();
    this.failFatal(refusal);
  }

  private onConnectionLost(client: MqttClient): void {
    const wasConnected = this.connected;
    this.connected = false;
    this.generation++;
    void endClient(client, true);
    // What was in flight may or may not have reached the broker: send it again, in order (the
    // collector stores each (device, seq) once).
    this.requeue([...this.inFlight.values()]);
    this.inFlight.clear();
    if (this.closing) {
      this.notifyIfDrained();
      return;
    }
    if (wasConnected) this.stats.connectionLosses++;
    const delayMs = backoffDelayMs(this.failedAttempts++, { ...DEFAULT_BACKOFF, ...this.options.reconnect });
    log.warn(
      { broker: this.options.brokerUrl, retryInMs: Math.round(delayMs), pending: this.queue.length },
      wasConnected ? 'connection lost' : 'cannot connect',
    );
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  private requeue(entries: SpoolEntry[]): void {
    if (entries.length === 0) return;
    this.queue = [...entries, ...this.queue].sort((a, b) => a.firstSeq - b.firstSeq);
  }

  /** The running model changed (a deployment): the retained birth says so from now on. */
  describeModel(
    model: Pick<StatusMessage, 'modelId' | 'variant'> & Partial<Pick<StatusMessage, 'backend'>>,
  ): void {
    this.options.describe = { ...this.options.describe, ...model };
    const client = this.client;
    if (this.connected && client !== undefined && !this.closing) this.publishBirth(client, this.stats.birth);
  }

  /**
   * Queue a batch that the spool has just made durable (seal() or sealBatch()); `kind` is the
   * batch's record kind, which picks its topic (`offload` batches go to the device's offload topic).
   */
  enqueue(firstSeq: number, count: number, kind: SpooledKind = 'inference'): void {
    this.queue.push(kind === 'inference' ? { firstSeq, count } : { firstSeq, count, kind });
    this.pump();
  }

  private takeToken(): number {
    const nowMs = performance.now();
    this.tokens = Math.min(this.ratePerS, this.tokens + ((nowMs - this.tokensAtMs) / 1000) * this.ratePerS);
    this.tokensAtMs = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return ((1 - this.tokens) / this.ratePerS) * 1000;
  }

  private pump(): void {
    const client = this.client;
    const limit = this.options.maxInFlight ?? 16;
    while (!this.closing && this.connected && client !== undefined && this.inFlight.size < limit) {
      const next = this.queue[0];
      if (next === undefined) break;
      const waitMs = this.takeToken();
      if (waitMs > 0) {
        if (this.pumpTimer === undefined) {
          this.pumpTimer = setTimeout(() => {
            this.pumpTimer = undefined;
            this.pump();
          }, waitMs);
        }
        break;
      }
      this.queue.shift();
      const batch = this.spool.load(next.firstSeq, next.count);
      if (batch === undefined) continue; // dropped by the spool's bound meanwhile (counted there)
      this.inFlight.set(next.firstSeq, next);
      const generation = this.generation;
      client.publish(this.topicOf(next), Buffer.from(batch.payload), { qos: 1 }, (error) => {
        // A callback of a connection already given up: its batch was requeued then.
        if (generation !== this.generation) return;
        this.inFlight.delete(next.firstSeq);
        const refusal = refusalOf(error);
        if (refusal !== undefined) {
          this.onRefused(client, next, refusal);
          return;
        }
        if (error) {
          log.warn({ firstSeq: next.firstSeq, err: error.message }, 'batch not acknowledged; will retry');
          this.requeue([next]);
        } else {
          this.spool.acknowledge(next.firstSeq, next.count);
          this.failedAttempts = 0;
          this.stats.batchesSent++;
          this.stats.recordsSent += next.count;
          this.stats.bytesSent += batch.payload.length;
        }
        this.pump();
      });
    }
    this.notifyIfDrained();
  }

  /**
   * The broker answered the publish with a failure reason code: it did not take the batch (an ACL
   * that denies this topic to this user, a quota). The batch stays in the spool; the connection is
   * dropped so that the next try comes after the reconnect back-off, not in a tight loop.
   */
  private onRefused(client: MqttClient, entry: SpoolEntry, refusal: Refusal): void {
    this.requeue([entry]);
    this.countRefusal(refusal, this.topicOf(entry), entry);
    if (client.connected) void endClient(client, true);
  }

  private topicOf(entry: SpoolEntry): string {
    return this.recordTopics[entry.kind ?? 'inference'];
  }

  private countRefusal(refusal: Refusal, topic: string, entry?: SpoolEntry): void {
    this.stats.publishesRefused++;
    this.stats.lastRefusal = { ...refusal, topic };
    log.error(
      {
        topic,
        reasonCode: refusal.reasonCode,
        ...(entry === undefined ? {} : { firstSeq: entry.firstSeq, records: entry.count }),
        username: this.options.username,
        refused: this.stats.publishesRefused,
      },
      `broker refused a publish (${refusal.reason})${entry === undefined ? '' : '; the batch stays in the spool'}. Does user ${JSON.stringify(this.options.username ?? '')} own device ${JSON.stringify(this.options.device)} in the broker's ACL?`,
    );
  }

  get pending(): number {
    return this.queue.length + this.inFlight.size;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  private notifyIfDrained(): void {
    if (this.inFlight.size === 0 && (this.queue.length === 0 || this.closing)) {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  /** Resolves when every queued batch is acknowledged, or after timeoutMs (then they stay in the spool). */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.inFlight.size === 0 && this.queue.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => this.drainWaiters.push(() => resolve(true)));
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    return result;
  }

  private stopTimers(): void {
    this.closing = true;
    this.seq.close();
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.pumpTimer);
  }

  /** Graceful: announce `offline` (with this connection's birth) and disconnect. */
  async close(): Promise<void> {
    this.stopTimers();
    const client = this.client;
    if (client === undefined) return;
    if (this.connected) {
      await client
        .publishAsync(this.statusTopic, this.status('offline', this.stats.birth), { qos: 1, retain: true })
        .catch(() => undefined);
    }
    this.generation++;
    await endClient(client, !this.connected);
    this.connected = false;
    this.notifyIfDrained();
  }

  /** Abrupt, as on power loss: no offline message, nothing flushed (the broker sends the will). */
  async kill(): Promise<void> {
    this.stopTimers();
    this.generation++;
    this.connected = false;
    this.client?.stream?.destroy();
    if (this.client !== undefined) await endClient(this.client, true);
    this.notifyIfDrained();
  }
}

/**
 * Ends a client once. mqtt.js never calls back when `end()` is called on a client whose stream is
 * already closed (its cleanup waits for a 'close' event that came before), hence the guard.
 */
async function endClient(client: MqttClient, force: boolean): Promise<void> {
  const ended = client as MqttClient & { edgewattEnded?: Promise<void> };
  ended.edgewattEnded ??= new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    client.end(force, () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await ended.edgewattEnded;
}
