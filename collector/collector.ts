// The collector process: subscribes to every device's inference and status topics at QoS 1 and
// acknowledges a message only after the store has it, so nothing accepted is ever lost.

import mqtt, { type MqttClient } from 'mqtt';
import { logger } from '../common/logger.js';
import { topicFilter } from '../protocol/index.js';
import { Ingest } from './ingest/ingest.js';
import type { RecordStore } from './store/index.js';

const log = logger('collector');

export interface CollectorConfig {
  broker: string;
  clientId?: string;
  username?: string;
  password?: string;
}

export class Collector {
  readonly ingest: Ingest;
  private client: MqttClient | undefined;
  private inProgress = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: RecordStore,
    private readonly config: CollectorConfig,
  ) {
    this.ingest = new Ingest(store);
  }

  async start(): Promise<void> {
    await this.store.connect();
    const client = await mqtt.connectAsync(this.config.broker, {
      clientId: this.config.clientId ?? `edgewatt-collector-${process.pid}`,
      protocolVersion: 4,
      clean: this.config.clientId === undefined,
      reconnectPeriod: 1000,
      username: this.config.username,
      password: this.config.password,
    });
    client.handleMessage = (packet, done) => {
      this.inProgress++;
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      this.ingest
        .handle(packet.topic, payload)
        .then(() => done())
        .catch((error: Error) => {
          log.error({ topic: packet.topic, err: error.message }, 'store failed; message left unacknowledged');
          done(error);
        })
        .finally(() => {
          this.inProgress--;
          if (this.inProgress === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
        });
    };
    client.on('error', (error) => log.warn({ err: error.message }, 'mqtt error'));
    await client.subscribeAsync([topicFilter('inference'), topicFilter('status')], { qos: 1 });
    this.client = client;
    log.info({ broker: this.config.broker }, 'collector subscribed');
  }

  get stats() {
    return this.ingest.stats;
  }

  /** Resolves once no message is being handled. */
  idle(): Promise<void> {
    if (this.inProgress === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    if (this.client !== undefined) await this.client.endAsync();
    await this.idle();
    await this.store.close();
  }
}
