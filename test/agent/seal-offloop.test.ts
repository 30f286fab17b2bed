// The agent seals its held records off the event loop: while a batch's write (and fsync) is in
// flight, inferences are still served and the event loop does not stall, the batch is offered to
// the broker only once it is durable, and stop() waits for the seal under way. The write is held on
// an injected gate (a delayed promise); the synchronous writer is made as slow as an SD card's fsync
// (a busy wait), so sealing on the main thread would show as a stall.

import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Agent } from '../../agent/agent.js';
import type { InferenceRecord } from '../../protocol/index.js';
import { agentConfig, demoModel, type Stack, startStack, tempDir } from '../support/stack.js';

/**
 * How long a synchronous durable write takes while `slowSync` is on: a slow SD card. Long, so that
 * the stall bound below (half of it) leaves a loaded machine's own pauses far inside it.
 */
const SLOW_SYNC_MS = 2_000;

const gate = vi.hoisted(() => ({
  hold: false,
  slowSync: false,
  fail: false,
  held: [] as (() => void)[],
}));

vi.mock('../../common/files.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../common/files.js')>();
  return {
    ...actual,
    writeFileAtomic: async (path: string, data: Uint8Array | string, options?: { fsync?: boolean }) => {
      if (gate.hold && path.endsWith('.batch')) {
        await new Promise<void>((release) => gate.held.push(release));
      }
      if (gate.fail && path.endsWith('.batch')) {
        throw Object.assign(new Error('i/o error'), { code: 'EIO' });
      }
      await actual.writeFileAtomic(path, data, options);
    },
    writeFileAtomicSync: (path: string, data: Uint8Array | string, options?: { fsync?: boolean }) => {
      if (gate.slowSync) {
        const until = performance.now() + SLOW_SYNC_MS;
        while (performance.now() < until) {
          // the main thread blocked in a synchronous fsync
        }
      }
      actual.writeFileAtomicSync(path, data, options);
    },
  };
});

const dir = tempDir('edgewatt-seal-offloop-');
let modelPath = '';
let stack: Stack | undefined;
let agent: Agent | undefined;

beforeAll(async () => {
  modelPath = await demoModel(dir.path);
  return () => dir.remove();
});

afterEach(async () => {
  gate.hold = false;
  gate.slowSync = false;
  gate.fail = false;
  for (const release of gate.held.splice(0)) release();
  await agent?.stop().catch(() => undefined);
  agent = undefined;
  await stack?.stop();
  stack = undefined;
});

async function until(condition: () => boolean, timeout = 20_000): Promise<void> {
  await vi.waitFor(() => expect(condition()).toBe(true), { timeout, interval: 5 });
}

describe('agent: sealing off the event loop', () => {
  it('serves inferences while a seal is in flight, offers the batch only once durable, and stop() awaits it', async () => {
    stack = await startStack(join(dir.path, 'seal.sqlite'));
    const running = await Agent.start(
      agentConfig(stack.broker.url, modelPath, join(dir.path, 'state'), {
        device: 'seal-dev',
        rate: 200,
        flushMs: 20,
        batchMax: 50,
      }),
    );
    agent = running;
    const sent: InferenceRecord[] = [];
    running.onBatch((records) => sent.push(...records));
    await until(() => sent.length > 0);

    // A seal whose batch write does not complete until released; any synchronous durable write
    // now blocks the main thread for SLOW_SYNC_MS.
    gate.hold = true;
    gate.slowSync = true;
    await until(() => gate.held.length === 1);
    const servedBefore = running.stats.inferences;
    const offeredBefore = sent.length;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    await until(() => running.stats.inferences >= servedBefore + 40);
    delay.disable();
    // Served meanwhile, and nothing offered before it is durable.
    expect(sent.length).toBe(offeredBefore);
    expect(gate.held).toHaveLength(1); // one seal in flight: the others wait and batch up
    expect(delay.max / 1e6).toBeLessThan(SLOW_SYNC_MS / 2);

    gate.hold = false;
    gate.slowSync = false;
    gate.held.splice(0)[0]?.();
    await until(() => sent.length >= servedBefore + 40);

    // stop() with a seal in flight: it drains only after that seal landed, and every numbered
    // record was offered, in order, once.
    gate.hold = true;
    await until(() => gate.held.length === 1);
    gate.hold = false;
    let released = false;
    const drainedAfterRelease: boolean[] = [];
    const drain = running.publisher.drain.bind(running.publisher);
    vi.spyOn(running.publisher, 'drain').mockImplementation((timeoutMs: number) => {
      drainedAfterRelease.push(released);
      return drain(timeoutMs);
    });
    const release = setTimeout(() => {
      released = true;
      gate.held.splice(0)[0]?.();
    }, 300);
    agent = undefined;
    const spool = await running.stop();
    clearTimeout(release);
    expect(drainedAfterRelease).toEqual([true]);
    expect(sent.map((record) => record.seq)).toEqual(Array.from({ length: sent.length }, (_, i) => i));
    expect(sent.length).toBe(running.nextSeq);
    expect(spool.pendingBatches).toBe(0);
  }, 60_000);

  it('fails the agent (finished() rejects) on a write error other than a full disk', async () => {
    stack = await startStack(join(dir.path, 'fail.sqlite'));
    const running = await Agent.start(
      agentConfig(stack.broker.url, modelPath, join(dir.path, 'state-fail'), {
        device: 'seal-fail',
        rate: 200,
        flushMs: 20,
      }),
    );
    agent = running;
    const sent: InferenceRecord[] = [];
    running.onBatch((records) => sent.push(...records));
    await until(() => sent.length > 0);
    gate.fail = true;
    await expect(running.finished()).rejects.toMatchObject({ code: 'EIO' });
    const offered = sent.length;
    await running.stop(0);
    agent = undefined;
    expect(sent.length).toBe(offered); // nothing after the failure was offered
  }, 60_000);
});
