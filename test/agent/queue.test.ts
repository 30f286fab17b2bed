// The inference queue alone: one job at a time in arrival order, a bound that refuses with a
// Retry-After, a waiting job whose caller goes away leaving without running, and when a job
// starts (at once on an idle queue, after an event-loop turn once a job has run).

import { describe, expect, it } from 'vitest';
import { InferenceQueue, QueueFullError, RequestAbortedError } from '../../agent/serve/queue.js';

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
});
