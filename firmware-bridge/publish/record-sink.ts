// Where the bridge's records go: the agent's own durable spool and MQTT publisher, so a
// microcontroller's records are numbered, persisted, retried and acknowledged exactly like an
// agent's (docs/reliability.md). Records are sealed in batches of batchMax or every flushMs.

import type { UnsequencedRecord } from '../../agent/publish/outbox.js';
import { Publisher, type PublisherOptions } from '../../agent/publish/publisher.js';
import type { Spool, SpoolOptions, SpoolStats } from '../../agent/publish/spool.js';
import { openSpool } from '../../agent/publish/spools.js';
import { logger } from '../../common/logger.js';
import { EDGEWATT_VERSION } from '../../common/version.js';
import type { Encoding } from '../../protocol/index.js';

const log = logger('bridge.publish');

export interface RecordSinkConfig {
  broker: string;
  fleet: string;
  device: string;
  stateDir: string;
  encoding: Encoding;
  batchMax: number;
  flushMs: number;
  username?: string | undefined;
  password?: string | undefined;
  tls?: PublisherOptions['tls'];
  spool?: SpoolOptions & { kind?: string };
  describe: PublisherOptions['describe'];
}

export class RecordSink {
  private pending: UnsequencedRecord[] = [];
  private readonly spool: Spool;
  readonly publisher: Publisher;
  private readonly timer: NodeJS.Timeout;
  records = 0;

  constructor(private readonly config: RecordSinkConfig) {
    this.spool = openSpool(
      config.spool?.kind ?? 'file',
      config.stateDir,
      config.device,
      config.encoding,
      config.spool,
    );
    this.publisher = new Publisher(this.spool, {
      brokerUrl: config.broker,
      fleet: config.fleet,
      device: config.device,
      username: config.username,
      password: config.password,
      stateDir: config.stateDir,
      tls: config.tls,
      describe: { ...config.describe, agentVersion: EDGEWATT_VERSION },
    });
    this.timer = setInterval(() => this.seal(), config.flushMs);
  }

  add(record: UnsequencedRecord): void {
    this.pending.push(record);
    this.records++;
    if (this.pending.length >= this.config.batchMax) this.seal();
  }

  private seal(): void {
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    const batch = this.spool.seal(records);
    this.publisher.enqueue(batch.firstSeq, batch.count);
  }

  get nextSeq(): number {
    return this.spool.nextSeq;
  }

  /** Seals what is pending, waits for acknowledgements (up to drainTimeoutMs), says offline. */
  async close(drainTimeoutMs = 10_000): Promise<SpoolStats> {
    clearInterval(this.timer);
    this.seal();
    if (!(await this.publisher.drain(drainTimeoutMs))) {
      log.warn(
        { pending: this.spool.stats().pendingBatches },
        'stopping with unacknowledged batches on disk',
      );
    }
    await this.publisher.close();
    const stats = this.spool.stats();
    this.spool.close();
    return stats;
  }
}
