// Where the bridge's records go: the agent's own durable spool and MQTT publisher, so a
// microcontroller's records are numbered, persisted, retried and acknowledged exactly like an
// agent's (docs/reliability.md). Records are sealed in batches of batchMax or every flushMs.

import { openAgentOutbox } from '../../agent/publish/agent-outbox.js';
import type { UnsequencedRecord } from '../../agent/publish/outbox.js';
import type { Publisher, PublisherOptions } from '../../agent/publish/publisher.js';
import type { Spool, SpoolOptions, SpoolStats } from '../../agent/publish/spool.js';
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
    const { outbox, publisher } = openAgentOutbox(config, {
      ...config.describe,
      agentVersion: EDGEWATT_VERSION,
    });
    this.spool = outbox;
    this.publisher = publisher;
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
