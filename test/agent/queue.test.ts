// The inference queue alone: one job at a time in arrival order, a bound that refuses with a
// Retry-After, a waiting job whose caller goes away leaving without running, and when a job
// starts (at once on an idle queue, after an event-loop turn once a job has run), and a job that
// answers synchronously ending in its caller's turn, runNow() handing back a synchronous answer as it
// is, and work deferred past a job's answer done before the next job starts.

import { describe, expect, it } from 'vitest';
import {
  InferenceQueue,
  QueueFullError,
  QueueStateError,
  RequestAbortedError,
} from '../../agent/serve/queue.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('InferenceQueue', () => {
  it('runs one job at a time, in arrival order', async () => {
    const queue = new InferenceQueue(10);
    const log: string[] = [];
    let running = 0;
    const job = (name: string) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all(['a', 'b', 'c'].map((name) => queue.run(job(name))));
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('refuses a bounded job past maxWaiting with QueueFullError and a Retry-After of at least 1 s; unbounded jobs still queue', async () => {
    const queue = new InferenceQueue(2);
    let release!: () => void;
    const blocker = queue.run(() => new Promise<void>((resolve) => (release = resolve)));
    await tick();
    const waiting = [queue.run(async () => 1), queue.run(async () => 2)];
    const refused = queue.run(async () => 3);
    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toMatchObject({ waiting: 2, retryAfterS: expect.any(Number) });
    expect(
      ((await refused.catch((e: QueueFullError) => e)) as QueueFullError).retryAfterS,
    ).toBeGreaterThanOrEqual(1);
    const loop = queue.run(async () => 'loop', { bounded: false });
    release();
    expect(await Promise.all([blocker, ...waiting, loop])).toEqual([undefined, 1, 2, 'loop']);
    expect(queue.stats).toMatchObject({ ran: 4, refused: 1 });
  });

  it('a waiting job whose signal aborts leaves the queue and never runs; a running one finishes', async () => {
    const queue = new InferenceQueue(10);
    let release!: () => void;
    const controller = new AbortController();
    const running = queue.run(() => new Promise<string>((resolve) => (release = () => resolve('ran'))), {
      signal: controller.signal,
    });
    await tick();
    const gone = new AbortController();
    let ranAbandoned = false;
    const abandoned = queue.run(
      async () => {
        ranAbandoned = true;
      },
      { signal: gone.signal },
    );
    gone.abort();
    controller.abort(); // too late: already running
    await expect(abandoned).rejects.toBeInstanceOf(RequestAbortedError);
    release();
    expect(await running).toBe('ran');
    await tick();
    expect(ranAbandoned).toBe(false);
    expect(queue.stats.abandoned).toBe(1);
    await expect(queue.run(async () => 0, { signal: gone.signal })).rejects.toBeInstanceOf(
      RequestAbortedError,
    );
    expect(queue.stats.abandoned).toBe(2);
  });

  it("an idle queue starts a job in the caller's turn; after a job ran, the next waits for an event-loop turn", async () => {
    const queue = new InferenceQueue(10);
    expect(queue.startsAtOnce).toBe(true);
    let started = false;
    const first = queue.run(async () => {
      started = true;
    });
    expect(started).toBe(true); // no hop: nothing was waiting and nothing ran
    expect(queue.startsAtOnce).toBe(false); // running
    await first;
    expect(queue.startsAtOnce).toBe(false); // a job ran on this turn
    // Called from the continuation of the previous job (a tight loop): timers and sockets first.
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    await queue.run(async () => expect(turned).toBe(true));
    // Once the loop has turned, an idle queue starts at once again.
    await tick();
    await tick();
    expect(queue.startsAtOnce).toBe(true);
    started = false;
    const again = queue.run(async () => {
      started = true;
    });
    expect(started).toBe(true);
    await again;
    expect(queue.stats.ran).toBe(3);
  });

  it("a synchronous job started at once ends in the caller's turn: the queue is free before any promise job", async () => {
    const queue = new InferenceQueue(10);
    const answered = queue.run(() => 42);
    // No microtask has run yet, and the job is already over.
    expect(queue.depth).toBe(0);
    expect(queue.stats.ran).toBe(1);
    expect(await answered).toBe(42);
    // A synchronous throw rejects the call and frees the queue the same way.
    await tick();
    await tick();
    const failed = queue.run((): number => {
      throw new Error('model failed');
    });
    expect(queue.depth).toBe(0);
    expect(queue.stats.ran).toBe(2);
    await expect(failed).rejects.toThrow('model failed');
  });

  it('a synchronous job that waited for a turn still runs alone and in order, after an asynchronous one', async () => {
    const queue = new InferenceQueue(10);
    const log: string[] = [];
    let release!: () => void;
    const slow = queue.run(
      () =>
        new Promise<string>((resolve) => {
          log.push('start slow');
          release = () => {
            log.push('end slow');
            resolve('slow');
          };
        }),
    );
    const quick = queue.run(() => {
      log.push('quick');
      return 'quick';
    });
    await tick();
    expect(log).toEqual(['start slow']); // the synchronous job waits for the asynchronous one
    expect(queue.depth).toBe(2);
    release();
    expect(await Promise.all([slow, quick])).toEqual(['slow', 'quick']);
    expect(log).toEqual(['start slow', 'end slow', 'quick']);
    expect(queue.depth).toBe(0);
    expect(queue.stats.ran).toBe(2);
  });

  it('a job answering with a thenable holds the queue until it settles', async () => {
    const queue = new InferenceQueue(10);
    let settle!: (value: string) => void;
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a non-native promise-like is the point of this test
      then(onFulfilled: (value: string) => unknown) {
        settle = (value) => onFulfilled(value);
      },
    };
    const held = queue.run(() => thenable as unknown as Promise<string>);
    await tick();
    expect(queue.depth).toBe(1);
    settle('done');
    expect(await held).toBe('done');
    await tick();
    expect(queue.depth).toBe(0);
  });

  it('runNow hands a synchronous answer back as it is, only on a queue that starts a job at once', async () => {
    const queue = new InferenceQueue(10);
    expect(queue.runNow(() => 'now')).toBe('now');
    expect(queue.depth).toBe(0);
    expect(queue.stats.ran).toBe(1);
    // A job ran on this turn: the next must wait for one, so runNow refuses.
    expect(() => queue.runNow(() => 'again')).toThrow(QueueStateError);
    await tick();
    expect(() =>
      queue.runNow(() => {
        throw new Error('model failed');
      }),
    ).toThrow('model failed');
    expect(queue.depth).toBe(0);
    expect(queue.stats.ran).toBe(2);
    await tick();
    // An asynchronous answer holds the queue until it settles.
    let release!: () => void;
    const held = queue.runNow(() => new Promise<string>((resolve) => (release = () => resolve('later'))));
    expect(held).toBeInstanceOf(Promise);
    expect(queue.depth).toBe(1);
    const waiting = queue.run(() => 'next');
    release();
    expect(await held).toBe('later');
    expect(await waiting).toBe('next');
  });

  it('work deferred by a job runs after its answer, before the next job starts, or at once on settle()', async () => {
    const queue = new InferenceQueue(10);
    const log: string[] = [];
    const first = queue.runNow(() => {
      queue.defer(() => log.push('bookkeeping of first'));
      return 'first';
    });
    expect(first).toBe('first');
    expect(log).toEqual([]); // not in the caller's way
    // The next job waits for a turn; the deferred work is done before it starts.
    const second = queue.run(() => {
      log.push('second');
      queue.defer(() => log.push('bookkeeping of second'));
      return 'second';
    });
    expect(await second).toBe('second');
    expect(log).toEqual(['bookkeeping of first', 'second']);
    // Whatever reads what the work updates settles it first.
    queue.settle();
    expect(log).toEqual(['bookkeeping of first', 'second', 'bookkeeping of second']);
    queue.settle(); // each piece once
    expect(log).toHaveLength(3);
  });

  it('deferred work is done on the next event-loop turn even when no job follows; a throw is reported, not raised', async () => {
    const errors: unknown[] = [];
    const queue = new InferenceQueue(10, (error) => errors.push(error));
    const log: string[] = [];
    const answered = queue.runNow(() => {
      queue.defer(() => {
        throw new Error('bookkeeping failed');
      });
      queue.defer(() => log.push('later piece'));
      return 0;
    });
    expect(answered).toBe(0);
    expect(log).toEqual([]);
    await tick();
    expect(log).toEqual(['later piece']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('bookkeeping failed');
  });
});
