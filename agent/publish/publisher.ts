// Sends sealed batches from the outbox to the broker at QoS 1, a bounded number in flight, and
// deletes each from disk once acknowledged. Owns the device's status: a retained `online` birth
// message on every connect and a retained `offline` last will.

import mqtt, { type MqttClient } from 'mqtt';
import { logger } from '../../common/logger.js';
import { buildTopic, encodeMessage, PROTOCOL_VERSION, type StatusMessage } from '../../protocol/index.js';
import { wallClockUs } from '../measure/runner.js';
import type { Outbox } from './outbox.js';

const log = logger('agent.publish');

export interface PublisherOptions {
  brokerUrl: string;
  fleet: string;
  device: string;
  /** Fields of the status message that describe the device. */
  describe: Pick<StatusMessage, 'board' | 'sensor' | 'backend' | 'modelId' | 'variant' | 'agentVersion'>;
  username?: string;
  password?: string;
  /** Batches offered to the broker at once; the rest wait on disk. */
  maxInFlight?: number;
}

export class Publisher {
  private readonly client: MqttClient;
  private readonly queue: { firstSeq: number; count: number }[] = [];
  private inFlight = 0;
  private drainWaiters: (() => void)[] = [];
  private closing = false;
  readonly stats = { batchesSent: 0, recordsSent: 0, bytesSent: 0 };

  constructor(
    private readonly outbox: Outbox,
    private readonly options: PublisherOptions,
  ) {
    const statusTopic = buildTopic({ fleet: options.fleet, device: options.device, kind: 'status' });
    this.client = mqtt.connect(options.brokerUrl, {
      clientId: `edgewatt-agent-${options.fleet}-${options.device}`,
      protocolVersion: 4,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      username: options.username,
      password: options.password,
      will: { topic: statusTopic, payload: Buffer.from(this.status('offline')), qos: 1, retain: true },
    });
    this.client.on('connect', () => {
      log.info({ broker: options.brokerUrl }, 'connected');
      this.client
        .publishAsync(statusTopic, Buffer.from(this.status('online')), { qos: 1, retain: true })
        .catch((error: Error) => {
          log.warn({ err: error.message }, 'birth message not sent');
        });
    });
    this.client.on('error', (error) => log.warn({ err: error.message }, 'mqtt error'));
    for (const pending of outbox.list()) this.queue.push(pending);
    if (this.queue.length > 0)
      log.info({ batches: this.queue.length }, 'resending batches left from a previous run');
    this.pump();
  }

  private status(state: StatusMessage['state']): Uint8Array {
    return encodeMessage({
      v: PROTOCOL_VERSION,
      type: 'status',
      device: this.options.device,
      state,
      seq: this.outbox.nextSeq,
      atUs: wallClockUs(),
      ...this.options.describe,
    });
  }

  /** Queue a batch that the outbox has just made durable. */
  enqueue(firstSeq: number, count: number): void {
    this.queue.push({ firstSeq, count });
    this.pump();
  }

  private pump(): void {
    const limit = this.options.maxInFlight ?? 16;
    const topic = buildTopic({ fleet: this.options.fleet, device: this.options.device, kind: 'inference' });
    while (!this.closing && this.inFlight < limit) {
      const next = this.queue.shift();
      if (next === undefined) break;
      const batch = this.outbox.read(next.firstSeq, next.count);
      this.inFlight++;
      this.client
        .publishAsync(topic, Buffer.from(batch.payload), { qos: 1 })
        .then(() => {
          this.outbox.acknowledge(batch.firstSeq, batch.count);
          this.stats.batchesSent++;
          this.stats.recordsSent += batch.count;
          this.stats.bytesSent += batch.payload.length;
        })
        .catch((error: Error) => {
          // Still on disk: the next start sends it again.
          log.warn(
            { firstSeq: batch.firstSeq, err: error.message },
            'batch not acknowledged; kept in the outbox',
          );
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
          this.notifyIfDrained();
        });
    }
    this.notifyIfDrained();
  }

  private notifyIfDrained(): void {
    if (this.inFlight === 0 && (this.queue.length === 0 || this.closing)) {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  /** Resolves when every queued batch is acknowledged, or after timeoutMs (then they stay on disk). */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0 && this.queue.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => this.drainWaiters.push(() => resolve(true)));
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** Graceful: announce `offline` and disconnect. */
  async close(): Promise<void> {
    this.closing = true;
    const statusTopic = buildTopic({
      fleet: this.options.fleet,
      device: this.options.device,
      kind: 'status',
    });
    if (this.client.connected) {
      await this.client
        .publishAsync(statusTopic, Buffer.from(this.status('offline')), { qos: 1, retain: true })
        .catch(() => undefined);
    }
    await this.client.endAsync();
  }

  /** Abrupt, as on power loss: no offline message, nothing flushed (the broker sends the will). */
  async kill(): Promise<void> {
    this.closing = true;
    this.client.stream?.destroy();
    await this.client.endAsync(true);
  }
}
