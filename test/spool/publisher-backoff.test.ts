// The publisher's reconnect schedule on a fake clock: with no broker listening, each refused
// attempt is followed by exactly one more after the back-off delay (never a millisecond early),
// and the delays double up to the cap. Only timers are fake; the refused sockets are real.

import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { Outbox } from '../../agent/publish/outbox.js';
import { Publisher } from '../../agent/publish/publisher.js';
import { DEFAULT_SEQ_ANSWER_TIMEOUT_MS } from '../../agent/publish/seq-recovery.js';
import { freePort } from '../support/ports.js';
import { tempDir, waitFor } from '../support/stack.js';

/** Timers that are not reconnect delays: mqtt.js's connect timeout (the Publisher sets 10 s),
 * the Publisher's guard for a client that never calls back from end() (2 s), and the wait for the
 * collector's seq answer of a spool without a counter (5 s). */
const OTHER_TIMERS_MS = new Set([10_000, 2_000, DEFAULT_SEQ_ANSWER_TIMEOUT_MS]);

let dir: ReturnType<typeof tempDir>;
let publisher: Publisher | undefined;
beforeEach(() => {
  dir = tempDir('edgewatt-backoff-');
});
afterEach(async () => {
  // The spy wraps the fake setTimeout: restored after the clock, it would put the fake back.
  vi.restoreAllMocks();
  vi.useRealTimers();
  await publisher?.close();
  publisher = undefined;
  dir.remove();
});

it('retries a refused connection after 0.75, 1.25, 2.25, 4.25, 4.25 s (min 1 s, cap 8 s, jitter 0.5)', async () => {
  const port = await freePort();
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const fakeSetTimeout = globalThis.setTimeout;
  const delaysMs: number[] = [];
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
    callback: () => void,
    ms?: number,
    ...rest: unknown[]
  ) => {
    if (!OTHER_TIMERS_MS.has(ms ?? 0)) delaysMs.push(ms ?? 0);
    return fakeSetTimeout(callback, ms, ...(rest as []));
  }) as typeof setTimeout);

  const pub = new Publisher(new Outbox(dir.path, 'backoff-dev'), {
    brokerUrl: `mqtt://127.0.0.1:${port}`,
    fleet: 'backoff',
    device: 'backoff-dev',
    describe: { board: 'rpi4', agentVersion: 'test' },
    stateDir: dir.path,
    // Delay before attempt n+1 = 500 + 0.5 × (min(8000, 1000 × 2^n) − 500).
    reconnect: { minMs: 1000, maxMs: 8000, random: () => 0.5 },
  });
  publisher = pub;
  const expectedMs = [750, 1250, 2250, 4250, 4250];
  for (const [i, delayMs] of expectedMs.entries()) {
    await waitFor(`refusal ${i + 1} (real socket)`, () => delaysMs.length === i + 1);
    expect(delaysMs[i]).toBe(delayMs);
    const birth = pub.stats.birth;
    await vi.advanceTimersByTimeAsync(delayMs - 1);
    expect(pub.stats.birth, `no attempt before ${delayMs} ms`).toBe(birth);
    await vi.advanceTimersByTimeAsync(1);
    expect(pub.stats.birth, `attempt ${i + 2} at ${delayMs} ms`).toBe(birth + 1);
  }
  expect(pub.stats.connects).toBe(0);
});
