// Ingest's in-process store retry (issue 12, item 5), in process: the back-off schedule, the
// stall on /metrics while a message waits, a dead-letter table that fails too (the message is
// not answered, so not acknowledged, until one of them takes it), and the two ways to stop.

import { describe, expect, it } from 'vitest';
import { collectorMetricsSource, renderMetrics } from '../../collector/api/metrics.js';
import { type DeadLetter, MemoryDeadLetter } from '../../collector/ingest/dead-letter.js';
import { Ingest, StoreRetryAbandoned } from '../../collector/ingest/ingest.js';
import { DEFAULT_STORE_RETRY, storeRetryDelayMs } from '../../collector/ingest/store-retry.js';
import type { RecordStore } from '../../collector/store/store.js';
import { buildTopic, encodeMessage, type InferenceRecord } from '../../protocol/index.js';
import { collectorRecord } from '../protocol/fixtures.js';
import { waitFor } from '../support/stack.js';

const record = (seq: number): InferenceRecord => collectorRecord(seq);
const topic = buildTopic({ fleet: 'lab', device: 'd1', kind: 'inference' });
const batch = (seq: number) =>
  encodeMessage({ v: 1, type: 'inference', device: 'd1', records: [record(seq)] });

/** A store that fails while `failing()` holds and counts what it stored. */
function switchable(failing: () => boolean): RecordStore & { stored: number[] } {
  const stored: number[] = [];
  return {
    stored,
    connect: async () => {},
    close: async () => {},
    writeStatus: async () => {},
    writeFeedback: async () => {},
    highestSeq: async () => (stored.length === 0 ? null : Math.max(...stored)),
    writeOffload: async () => ({ inserted: 0, duplicates: 0 }),
    writeBatch: async (_fleet, _device, records) => {
      if (failing()) throw new Error('database is locked');
      stored.push(...records.map((r) => r.seq));
      return { inserted: records.length, duplicates: 0 };
    },
  };
}

const gauge = (ingest: Ingest, name: string) => {
  const text = renderMetrics(collectorMetricsSource(ingest, undefined)());
  return Number(
    text
      .split('\n')
      .find((l) => l.startsWith(`${name} `))
      ?.split(' ')[1],
  );
};

describe('store retry back-off', () => {
  it('doubles from the first delay up to the cap, with ±25 % jitter', () => {
    const policy = { maxAttempts: 9, initialDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((a) => storeRetryDelayMs(policy, a, 0.5))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(storeRetryDelayMs(policy, 1, 0)).toBe(75);
    expect(storeRetryDelayMs(policy, 1, 0.999_999)).toBe(125);
    // The default gives up after 5 attempts and about 15 s of waiting.
    const waitedMs = [1, 2, 3, 4].reduce((sum, a) => sum + storeRetryDelayMs(DEFAULT_STORE_RETRY, a, 0.5), 0);
    expect({ attempts: DEFAULT_STORE_RETRY.maxAttempts, waitedMs }).toEqual({
      attempts: 5,
      waitedMs: 15_000,
    });
  });
});

describe('a message waiting for the store', () => {
  it('shows on /metrics as pending with its age, and clears when stored', async () => {
    let failing = true;
    let nowMs = 1_000_000;
    const ingest = new Ingest(
      switchable(() => failing),
      { storeRetry: { initialDelayMs: 5, maxDelayMs: 5 }, maxStoreAttempts: 1000, nowMs: () => nowMs },
    );
    const handled = ingest.handle(topic, batch(1));
    await waitFor('a retry pending', () => ingest.unacked.retryPending === 1);
    nowMs += 7_500;
    expect(gauge(ingest, 'edgewatt_store_retry_pending')).toBe(1);
    expect(gauge(ingest, 'edgewatt_unacked_messages')).toBe(1);
    expect(gauge(ingest, 'edgewatt_oldest_unacked_age_seconds')).toBe(7.5);
    expect(gauge(ingest, 'edgewatt_store_write_errors_total')).toBeGreaterThanOrEqual(1);
    failing = false;
    expect(await handled).toMatchObject({ kind: 'stored' });
    expect(gauge(ingest, 'edgewatt_store_retry_pending')).toBe(0);
    expect(gauge(ingest, 'edgewatt_oldest_unacked_age_seconds')).toBe(0);
    expect(gauge(ingest, 'edgewatt_store_recoveries_total')).toBe(1);
  });

  it('is handed to the store again on a retry with the same records (decoded again from its bytes), and its span counted once', async () => {
    const attempts: InferenceRecord[][] = [];
    const store = switchable(() => attempts.length < 3);
    const writeBatch = store.writeBatch.bind(store);
    store.writeBatch = async (fleet, device, records, received) => {
      attempts.push([...records]);
      return writeBatch(fleet, device, records, received);
    };
    const ingest = new Ingest(store, {
      storeRetry: { initialDelayMs: 1, maxDelayMs: 1 },
      maxStoreAttempts: 10,
    });
    const payload = encodeMessage({ v: 1, type: 'inference', device: 'd1', records: [record(7), record(8)] });
    expect(await ingest.handle(topic, payload)).toMatchObject({ kind: 'stored', inserted: 2 });
    expect(attempts).toHaveLength(3);
    expect(attempts[1]).toEqual(attempts[0]);
    expect(attempts[2]).toEqual(attempts[0]);
    expect(attempts[0]?.map((r) => r.seq)).toEqual([7, 8]);
    expect(store.stored).toEqual([7, 8]);
    expect(ingest.seqSpan.get('lab/d1')).toEqual({ lowSeq: 7, highSeq: 8, stored: 2 });
    expect(ingest.stats.records).toBe(2);
  });

  it('is not answered while neither the store nor the dead-letter table takes it', async () => {
    let deadLetterDown = true;
    const memory = new MemoryDeadLetter();
    const flakyDeadLetter: DeadLetter = {
      add: (entry) => {
        if (deadLetterDown) throw new Error('SQLITE_FULL: database or disk is full');
        memory.add(entry);
      },
      size: () => memory.size(),
      recent: (n) => memory.recent(n),
      close: () => {},
    };
    const ingest = new Ingest(
      switchable(() => true),
      { deadLetter: flakyDeadLetter, maxStoreAttempts: 2, storeRetry: { initialDelayMs: 1, maxDelayMs: 2 } },
    );
    let answered = false;
    const handled = ingest.handle(topic, batch(2)).then((outcome) => {
      answered = true;
      return outcome;
    });
    await waitFor('several rounds past the last attempt', () => ingest.stats.storeErrors >= 6);
    expect(answered).toBe(false);
    expect(ingest.stats.deadLettered).toBe(0);
    deadLetterDown = false;
    expect(await handled).toMatchObject({ kind: 'rejected', reason: 'store-failed' });
    expect(memory.recent(1)[0]?.payloadBytes).toBe(batch(2).length);
  });

  it("stopRetrying('abandon') leaves it unanswered (thrown), 'dead-letter' dead-letters it at once", async () => {
    const slow = { initialDelayMs: 60_000, maxDelayMs: 60_000 };
    const abandoning = new Ingest(
      switchable(() => true),
      { storeRetry: slow },
    );
    const abandoned = abandoning.handle(topic, batch(3));
    await waitFor('a retry pending', () => abandoning.unacked.retryPending === 1);
    abandoning.stopRetrying('abandon');
    await expect(abandoned).rejects.toBeInstanceOf(StoreRetryAbandoned);
    expect(abandoning.stats.deadLettered).toBe(0);

    const deadLettering = new Ingest(
      switchable(() => true),
      { storeRetry: slow },
    );
    const handled = deadLettering.handle(topic, batch(4));
    await waitFor('a retry pending', () => deadLettering.unacked.retryPending === 1);
    deadLettering.stopRetrying('dead-letter');
    expect(await handled).toMatchObject({ kind: 'rejected', reason: 'store-failed' });
    expect(deadLettering.deadLetter.recent(1)[0]?.payloadBytes).toBe(batch(4).length);
  });
});
