// The dynamic batcher on a fake clock: a batch leaves when the queued inputs reach the max batch
// size (at once) or when the oldest request has waited the max queue delay (not 1 ms before), one
// batch runs at a time, requests are never split, the queue bound refuses with a Retry-After, a
// request whose client went away leaves the queue, and close() runs what waits without delay.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamicBatcher } from '../../serve/batcher.js';
import { QueueFullError, RequestAbortedError, ServerStoppingError } from '../../serve/errors.js';

interface Item {
  id: number;
  count: number;
}

function deferred() {
  let release = () => {};
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

/** A runner that records its batches and, when `gate` is set, holds each batch until released. */
function recorder(gate?: { promise: Promise<void> }) {
  const batches: number[][] = [];
  const run = async (items: readonly Item[]) => {
    batches.push(items.map((item) => item.id));
    if (gate !== undefined) await gate.promise;
    return items.map((item) => `answer-${item.id}`);
  };
  return { batches, run };
}

const item = (id: number, count = 1): Item => ({ id, count });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const clock = () => Date.now();
// Batches form after pending I/O in the server (setImmediate); here there is no I/O to wait for.
const queueMicrotask = (fn: () => void) => globalThis.queueMicrotask(fn);

describe('DynamicBatcher', () => {
  it('sends a batch as soon as the queued inputs reach the max batch size', async () => {
    const { batches, run } = recorder();
    const batcher = new DynamicBatcher(
      { maxBatchSize: 4, maxQueueDelayMs: 1000, maxQueue: 100, now: clock, defer: queueMicrotask },
      run,
    );
    const answers = [1, 2, 3, 4].map((id) => batcher.submit(item(id)));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3, 4]]);
    const results = await Promise.all(answers);
    expect(results.map((r) => r.result)).toEqual(['answer-1', 'answer-2', 'answer-3', 'answer-4']);
    expect(results.every((r) => r.batchSize === 4 && r.batchRequests === 4)).toBe(true);
  });

  it('sends a partial batch when the oldest request has waited the max queue delay, not before', async () => {
    const { batches, run } = recorder();
    const batcher = new DynamicBatcher(
      { maxBatchSize: 16, maxQueueDelayMs: 10, maxQueue: 100, now: clock, defer: queueMicrotask },
      run,
    );
    const first = batcher.submit(item(1));
    await vi.advanceTimersByTimeAsync(4);
    const second = batcher.submit(item(2));
    await vi.advanceTimersByTimeAsync(5); // t = 9 ms after the first
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1); // t = 10 ms
    expect(batches).toEqual([[1, 2]]);
    const [a, b] = await Promise.all([first, second]);
    expect(a.queueMs).toBe(10);
    expect(b.queueMs).toBe(6);
    expect(a.batchSize).toBe(2);
  });

  it('runs one batch at a time; what arrives meanwhile forms the next batch', async () => {
    const gate = deferred();
    const { batches, run } = recorder(gate);
    const batcher = new DynamicBatcher(
      { maxBatchSize: 2, maxQueueDelayMs: 0, maxQueue: 100, now: clock, defer: queueMicrotask },
      run,
    );
    const answers = [batcher.submit(item(1))];
    await vi.advanceTimersByTimeAsync(0);
    answers.push(batcher.submit(item(2)), batcher.submit(item(3)), batcher.submit(item(4)));
    await vi.advanceTimersByTimeAsync(50);
    expect(batches).toEqual([[1]]);
    expect(batcher.depth).toBe(3);
    gate.release();
    await Promise.all(answers);
    expect(batches).toEqual([[1], [2, 3], [4]]);
  });

  it('never splits a request: inputs fill a batch up to the max, a larger request runs alone', async () => {
    const { batches, run } = recorder();
    const batcher = new DynamicBatcher(
      { maxBatchSize: 4, maxQueueDelayMs: 5, maxQueue: 100, now: clock, defer: queueMicrotask },
      run,
    );
    const answers = [batcher.submit(item(1, 3)), batcher.submit(item(2, 2)), batcher.submit(item(3, 9))];
    await vi.advanceTimersByTimeAsync(100);
    const results = await Promise.all(answers);
    expect(batches).toEqual([[1], [2], [3]]);
    expect(results.map((r) => r.batchSize)).toEqual([3, 2, 9]);
  });

  it('refuses beyond the queue bound with QueueFullError and a Retry-After of at least 1 s', async () => {
    const gate = deferred();
    const { run } = recorder(gate);
    const batcher = new DynamicBatcher(
      { maxBatchSize: 1, maxQueueDelayMs: 0, maxQueue: 2, now: clock, defer: queueMicrotask },
      run,
    );
    const running = batcher.submit(item(1));
    await vi.advanceTimersByTimeAsync(0);
    const waiting = [batcher.submit(item(2)), batcher.submit(item(3))];
    const refused = batcher.submit(item(4));
    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toMatchObject({ waiting: 2, retryAfterS: expect.any(Number) });
    expect(((await refused.catch((e: unknown) => e)) as QueueFullError).retryAfterS).toBeGreaterThanOrEqual(
      1,
    );
    expect(batcher.stats.refused).toBe(1);
    gate.release();
    await Promise.all([running, ...waiting]);
    // Room again once the queue drained.
    await expect(batcher.submit(item(5))).resolves.toMatchObject({ result: 'answer-5' });
  });

  it('takes a waiting request whose client went away out of the queue', async () => {
    const { batches, run } = recorder();
    const batcher = new DynamicBatcher(
      { maxBatchSize: 8, maxQueueDelayMs: 10, maxQueue: 100, now: clock, defer: queueMicrotask },
      run,
    );
    const gone = new AbortController();
    const leaving = batcher.submit(item(1), gone.signal);
    const staying = batcher.submit(item(2));
    gone.abort();
    await expect(leaving).rejects.toBeInstanceOf(RequestAbortedError);
    await vi.advanceTimersByTimeAsync(10);
    await staying;
    expect(batches).toEqual([[2]]);
    expect(batcher.stats.abandoned).toBe(1);
  });

  it('close() refuses new requests and runs the waiting ones without waiting for the delay', async () => {
    const { batches, run } = recorder();
    const batcher = new DynamicBatcher(
      { maxBatchSize: 8, maxQueueDelayMs: 60_000, maxQueue: 100, now: clock, defer: queueMicrotask },
      run,
    );
    const waiting = [batcher.submit(item(1)), batcher.submit(item(2))];
    const closed = batcher.close();
    await expect(batcher.submit(item(3))).rejects.toBeInstanceOf(ServerStoppingError);
    await closed;
    expect(batches).toEqual([[1, 2]]);
    await expect(Promise.all(waiting)).resolves.toHaveLength(2);
  });

  it('a failing batch rejects its own requests and the next batch still runs', async () => {
    let calls = 0;
    const batcher = new DynamicBatcher<Item, string>(
      { maxBatchSize: 1, maxQueueDelayMs: 0, maxQueue: 10, now: clock, defer: queueMicrotask },
      async (items) => {
        calls++;
        if (calls === 1) throw new Error('model failed');
        return items.map((i) => `ok-${i.id}`);
      },
    );
    const failing = batcher.submit(item(1));
    const next = batcher.submit(item(2));
    await expect(failing).rejects.toThrow('model failed');
    await expect(next).resolves.toMatchObject({ result: 'ok-2' });
    expect(batcher.stats.failedBatches).toBe(1);
  });
});
