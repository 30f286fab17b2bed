// Ingest: topic + payload in, records stored once, rejections counted by reason. Pure of MQTT so
// it can be tested and benchmarked alone; collector.ts wires it to a broker.

import { logger } from '../../common/logger.js';
import { decodeAs, type ProtocolErrorReason, parseTopic } from '../../protocol/index.js';
import type { RecordStore } from '../store/index.js';

const log = logger('collector.ingest');

export type RejectReason = ProtocolErrorReason | 'device-mismatch' | 'unexpected-kind';

export interface IngestStats {
  batches: number;
  records: number;
  duplicates: number;
  statuses: number;
  rejected: Partial<Record<RejectReason, number>>;
}

export type IngestOutcome =
  | { kind: 'stored'; inserted: number; duplicates: number }
  | { kind: 'status' }
  | { kind: 'rejected'; reason: RejectReason; message: string };

export class Ingest {
  readonly stats: IngestStats = { batches: 0, records: 0, duplicates: 0, statuses: 0, rejected: {} };

  constructor(private readonly store: RecordStore) {}

  private reject(reason: RejectReason, message: string, topic: string): IngestOutcome {
    const count = (this.stats.rejected[reason] ?? 0) + 1;
    this.stats.rejected[reason] = count;
    // Loud for the first few of a kind, then sparse: a broken publisher must not flood the log.
    if (count <= 10 || count % 1000 === 0) log.warn({ topic, reason, count }, `rejected: ${message}`);
    return { kind: 'rejected', reason, message };
  }

  /**
   * Handles one message. Bad input is counted and returned as `rejected`; a store failure throws,
   * so the caller does not acknowledge the message and the broker delivers it again.
   */
  async handle(topic: string, payload: Uint8Array): Promise<IngestOutcome> {
    const address = parseTopic(topic);
    if (!address.ok) return this.reject(address.error.reason, address.error.message, topic);
    const { fleet, device, kind } = address.value;
    if (kind !== 'inference' && kind !== 'status') {
      return this.reject('unexpected-kind', `kind ${kind} is not ingested by this collector`, topic);
    }
    const decoded = decodeAs(kind, payload);
    if (!decoded.ok) return this.reject(decoded.error.reason, decoded.error.message, topic);
    const message = decoded.value;
    if (message.device !== device) {
      return this.reject(
        'device-mismatch',
        `payload says device ${JSON.stringify(message.device)} but was published on ${JSON.stringify(device)}'s topic`,
        topic,
      );
    }
    if (message.type === 'status') {
      await this.store.writeStatus(fleet, message);
      this.stats.statuses++;
      return { kind: 'status' };
    }
    const result = await this.store.writeBatch(fleet, device, message.records);
    this.stats.batches++;
    this.stats.records += result.inserted;
    this.stats.duplicates += result.duplicates;
    return { kind: 'stored', ...result };
  }
}
