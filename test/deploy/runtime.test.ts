// The sink runtime with a scripted in-memory sink (the real sinks are tested against real
// servers elsewhere): batches by size and interval, retries what the sink calls retryable in
// order and without loss, drops and counts what it calls bad data.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { SinkRuntime } from '../../collector/sink/runtime.js';
import type { FailureAction, Sink, SinkBatch, SinkWriteResult } from '../../collector/sink/sink.js';
import type { SpoolEntry } from '../../collector/sink/spool.js';
import { tempDir, waitFor } from '../support/stack.js';

class ScriptedSink implements Sink {
  readonly name = 'scripted';
  readonly batches: string[][] = [];
  failures: ('retry' | 'drop')[] = [];
  async connect(): Promise<void> {}
  /** Batches whose line count did not match their entries' weights (must stay 0). */
  miscounted = 0;
  /** Entries whose text starts with this are refused like undecodable data (their lines dropped). */
  refusePrefix = '\0never';
  async write(batch: SinkBatch): Promise<SinkWriteResult> {
    const failure = this.failures.shift();
    if (failure !== undefined) throw Object.assign(new Error(`scripted ${failure}`), { action: failure });
    if (batch.entries.reduce((sum, e) => sum + e.lines, 0) !== batch.lines) this.miscounted++;
    const texts = batch.entries.map((e) => Buffer.from(e.bytes).toString('utf8'));
    const kept = batch.entries.filter((_, i) => !texts[i]?.startsWith(this.refusePrefix));
    this.batches.push(texts.filter((t) => !t.startsWith(this.refusePrefix)));
    const written = kept.reduce((sum, e) => sum + e.lines, 0);
    return { written, dropped: batch.lines - written };
  }
  classify(error: unknown): FailureAction {
    return (error as { action: FailureAction }).action;
  }
  async close(): Promise<void> {}
}

/** Each write takes a scripted time on the (fake) clock, per entry text; later writes are instant. */
class TimedSink implements Sink {
  readonly name = 'timed';
  readonly started: [string, number][] = [];
  readonly finished: string[] = [];
  constructor(private readonly script: Record<string, { ms: number; fail?: 'retry' }[]>) {}
  async connect(): Promise<void> {}
  write(batch: SinkBatch): Promise<SinkWriteResult> {
    const text = batch.entries.map((e) => Buffer.from(e.bytes).toString('utf8')).join(',');
    this.started.push([text, Date.now()]);
    const step = this.script[text]?.shift();
    if (step === undefined) {
      this.finished.push(text);
      return Promise.resolve({ written: batch.lines, dropped: 0 });
    }
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        if (step.fail !== undefined)
          return reject(Object.assign(new Error(`timed ${step.fail}`), { action: step.fail }));
        this.finished.push(text);
        resolve({ written: batch.lines, dropped: 0 });
      }, step.ms);
    });
  }
  classify(error: unknown): FailureAction {
    return (error as { action: FailureAction }).action;
  }
  async close(): Promise<void> {}
}

/** Lets real disk I/O (the spool) finish while the fake clock stands still. */
async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const dirs: { remove(): void }[] = [];
const runtimes: SinkRuntime[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.close(0);
  for (const d of dirs.splice(0)) d.remove();
});

async function start(
  sink: Sink,
  batchLines = 10,
  flushIntervalMs = 50,
  writeConcurrency = 1,
): Promise<SinkRuntime> {
  const dir = tempDir('edgewatt-runtime-');
  dirs.push(dir);
  const runtime = new SinkRuntime(sink, {
    spool: { dir: dir.path, maxBytes: 1 << 20, segmentBytes: 1 << 20, fsync: false },
    batchLines,
    flushIntervalMs,
    retryInitialMs: 5,
    retryMaxMs: 20,
    writeConcurrency,
  });
  await runtime.start();
  runtimes.push(runtime);
  return runtime;
}

const e = (...texts: string[]): SpoolEntry[] => texts.map((t) => ({ bytes: Buffer.from(t), lines: 1 }));

describe('sink runtime', () => {
  it('writes a partial batch once the flush interval passes, not a millisecond before', async () => {
    // Fake clock and timers (the spool's disk I/O stays real): the interval is counted on Date.now().
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const sink = new ScriptedSink();
      const runtime = await start(sink, 1000, 80);
      await runtime.append(e('a', 'b'));
      await vi.advanceTimersByTimeAsync(79);
      expect(sink.batches).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      await runtime.drained();
      expect(sink.batches).toEqual([['a', 'b']]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes full batches without waiting for the interval', async () => {
    const sink = new ScriptedSink();
    const runtime = await start(sink, 4, 60_000);
    for (let i = 0; i < 3; i++) await runtime.append(e(`${i}a`, `${i}b`));
    await waitFor('two batches', () => sink.batches.length >= 1, 10_000);
    expect(sink.batches[0]).toEqual(['0a', '0b', '1a', '1b']);
  });

  it('retries retryable failures in order until they succeed, losing nothing', async () => {
    const sink = new ScriptedSink();
    sink.failures = ['retry', 'retry', 'retry'];
    const runtime = await start(sink, 2, 10);
    for (let i = 0; i < 6; i++) await runtime.append(e(`r${i}`));
    await runtime.drained();
    expect(sink.batches.flat()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    expect(runtime.stats).toMatchObject({ retries: 3, dropped: 0, written: 6, pendingLines: 0 });
    expect(sink.miscounted).toBe(0);
  });

  it('with several writes in flight, rewrites what followed a failed batch and still loses nothing', async () => {
    const sink = new ScriptedSink();
    sink.failures = ['retry'];
    const runtime = await start(sink, 2, 10, 3);
    for (let i = 0; i < 6; i++) await runtime.append(e(`c${i}`));
    await runtime.drained();
    const written = sink.batches.flat();
    expect(new Set(written)).toEqual(new Set(['c0', 'c1', 'c2', 'c3', 'c4', 'c5']));
    expect(runtime.stats).toMatchObject({ retries: 1, dropped: 0, pendingLines: 0 });
  });

  it('keeps the window full: when the oldest write completes the next starts while a later one is still in flight', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const t0 = Date.now();
      const sink = new TimedSink({ a: [{ ms: 10 }], b: [{ ms: 100 }], c: [{ ms: 10 }] });
      const runtime = await start(sink, 1, 1000, 2);
      for (const text of ['a', 'b', 'c', 'd']) await runtime.append(e(text));
      await until('a and b on the wire', () => sink.started.length === 2);
      await vi.advanceTimersByTimeAsync(10);
      await until('c started', () => sink.started.length === 3);
      // Rounds would have waited for b (100 ms); the window starts c as soon as a is committed.
      expect(sink.started.map(([text, at]) => [text, at - t0])).toEqual([
        ['a', 0],
        ['b', 0],
        ['c', 10],
      ]);
      expect(sink.finished).toEqual(['a']);
      expect(runtime.stats).toMatchObject({ written: 1, pendingLines: 3 });
      await vi.advanceTimersByTimeAsync(100);
      await until('drained', () => runtime.stats.pendingLines === 0);
      expect(sink.started.map(([text]) => text)).toEqual(['a', 'b', 'c', 'd']);
      expect(runtime.stats).toMatchObject({ written: 4, retries: 0, pendingLines: 0 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('commits only through the completed prefix when a write in the middle of the window fails', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const sink = new TimedSink({
        a: [{ ms: 10 }],
        b: [{ ms: 20, fail: 'retry' }],
        c: [{ ms: 5 }],
      });
      const runtime = await start(sink, 1, 1000, 3);
      for (const text of ['a', 'b', 'c']) await runtime.append(e(text));
      await until('a, b and c on the wire', () => sink.started.length === 3);
      await vi.advanceTimersByTimeAsync(20);
      await until('the failure seen', () => runtime.stats.retries === 1);
      // c succeeded before b failed, but nothing past the failed b is committed or counted.
      expect(sink.finished).toEqual(['c', 'a']);
      expect(runtime.stats).toMatchObject({ written: 1, pendingLines: 2, lastError: 'timed retry' });
      await vi.advanceTimersByTimeAsync(50); // the back-off (at most 6.25 ms here)
      await until('drained', () => runtime.stats.pendingLines === 0);
      expect(sink.started.map(([text]) => text)).toEqual(['a', 'b', 'c', 'b', 'c']);
      expect(runtime.stats).toMatchObject({ written: 3, retries: 1, dropped: 0, pendingLines: 0 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops and counts a batch the sink calls bad data, and goes on', async () => {
    const sink = new ScriptedSink();
    sink.failures = ['drop'];
    const runtime = await start(sink, 1, 10);
    await runtime.append(e('bad'));
    await runtime.append(e('good'));
    await runtime.drained();
    expect(sink.batches.flat()).toEqual(['good']);
    expect(runtime.stats).toMatchObject({ dropped: 1, written: 1, lastError: 'scripted drop' });
  });

  it('counts lines by entry weight, and drops and counts entries the sink could not turn into its format', async () => {
    const sink = new ScriptedSink();
    sink.refusePrefix = 'undecodable';
    const runtime = await start(sink, 100, 10);
    await runtime.append([
      { bytes: Buffer.from('a batch of 50 records'), lines: 51 },
      { bytes: Buffer.from('undecodable bytes'), lines: 7 },
      { bytes: Buffer.from('a status'), lines: 1 },
    ]);
    await runtime.drained();
    expect(sink.batches.flat()).toEqual(['a batch of 50 records', 'a status']);
    expect(runtime.stats).toMatchObject({ spooled: 59, written: 52, dropped: 7, pendingLines: 0 });
    expect(sink.miscounted).toBe(0);
  });
});
