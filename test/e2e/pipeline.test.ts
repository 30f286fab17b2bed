// End to end through the embedded broker: records leave real agents (real inferences) and arrive
// in the SQLite file with exactly the same values, once each; restarts lose and duplicate nothing.

import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentConfig } from '../../agent/agent.js';
import type { InferenceRecord } from '../../protocol/index.js';
import {
  demoModel,
  type Stack,
  startStack,
  tempDir,
  agentConfig as testAgentConfig,
  waitFor,
} from '../support/stack.js';

const dir = tempDir();
let modelPath = '';
let stack: Stack | undefined;

beforeAll(async () => {
  modelPath = await demoModel(dir.path);
  return () => dir.remove();
});

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

function agentConfig(brokerUrl: string, overrides: Partial<AgentConfig> = {}): AgentConfig {
  return testAgentConfig(brokerUrl, modelPath, join(dir.path, 'state'), {
    fleet: 'test',
    device: 'pi4-a',
    ...overrides,
  });
}

function storedSeqs(s: Stack, device: string): number[] {
  return [...s.store.records()].filter((r) => r.device === device).map((r) => r.seq);
}

describe('agent → broker → collector → SQLite', () => {
  it.each(['cbor', 'json'] as const)(
    'stores every record the agent made, with the same values, once (%s)',
    async (encoding) => {
      stack = await startStack(join(dir.path, `pipeline-${encoding}.sqlite`));
      const device = `pi5-${encoding}`;
      const agent = await Agent.start(
        agentConfig(stack.broker.url, { device, sensor: 'simulated:rpi5', count: 37, encoding }),
      );
      const sent: InferenceRecord[] = [];
      agent.onBatch((records) => sent.push(...records));
      await agent.finished();
      await agent.stop();
      await stack.collector.idle();

      expect(sent).toHaveLength(37);
      const stored = [...stack.store.records()].filter((r) => r.device === device);
      expect(stored).toHaveLength(37);
      const withoutStoreFields = stored.map(({ fleet: _f, device: _d, receivedUs: _r, ...record }) => record);
      expect(withoutStoreFields).toEqual(sent);
      expect(sent.map((r) => r.seq)).toEqual(Array.from({ length: 37 }, (_, i) => i));
      expect(
        sent.every(
          (r) => r.provenance === 'estimated' && r.sensor === 'simulated:rpi5' && r.backend === 'wasm',
        ),
      ).toBe(true);
    },
  );

  it('keeps the device status: online while running, offline after a graceful stop', async () => {
    stack = await startStack(join(dir.path, 'status.sqlite'));
    const agent = await Agent.start(
      agentConfig(stack.broker.url, { device: 'orin-s', sensor: 'simulated:jetson-orin-nano' }),
    );
    const current = stack;
    const state = () => current.store.devices().find((d) => d.device === 'orin-s')?.state;
    await waitFor('online status', () => state() === 'online');
    const online = current.store.devices().find((d) => d.device === 'orin-s');
    expect(online).toMatchObject({
      fleet: 'test',
      board: 'jetson-orin-nano',
      backend: 'wasm',
      sensor: 'simulated:jetson-orin-nano',
    });
    await agent.stop();
    await waitFor('offline status', () => state() === 'offline');
  });

  it('has the broker mark a device offline through its last will when the agent dies', async () => {
    stack = await startStack(join(dir.path, 'will.sqlite'));
    const current = stack;
    const state = () => current.store.devices().find((d) => d.device === 'pi4-w')?.state;
    const agent = await Agent.start(agentConfig(current.broker.url, { device: 'pi4-w' }));
    await waitFor('online status', () => state() === 'online');
    await agent.kill();
    await waitFor('offline status from the last will', () => state() === 'offline');
  });

  it('loses and duplicates nothing when the agent is killed mid-stream and restarted', async () => {
    stack = await startStack(join(dir.path, 'restart.sqlite'));
    const current = stack;
    // The broker withholds acknowledgements for a while, so that batches are in flight (sealed
    // on disk, not acknowledged) at the moment the agent dies; the restart must send them again.
    let holding = false;
    const held: ((error?: Error | null) => void)[] = [];
    current.broker.aedes.authorizePublish = (_client, packet, callback) => {
      if (holding && packet.topic.endsWith('/inference')) held.push(callback);
      else callback(null);
    };
    const first = await Agent.start(agentConfig(current.broker.url, { device: 'pi4-r' }));
    const sealedByFirst: number[] = [];
    first.onBatch((records) => sealedByFirst.push(...records.map((r) => r.seq)));
    await waitFor('some records stored', () => current.store.count() >= 30);
    holding = true;
    await waitFor('batches in flight', () => held.length >= 3);
    await first.kill();
    for (const refuse of held.splice(0)) refuse(new Error('agent died before this was acknowledged'));
    holding = false;
    const storedBeforeRestart = current.store.count();
    expect(storedBeforeRestart).toBeLessThan(sealedByFirst.length);

    const second = await Agent.start(agentConfig(current.broker.url, { device: 'pi4-r', count: 40 }));
    await second.finished();
    await second.stop();
    await current.collector.idle();

    const seqs = storedSeqs(current, 'pi4-r');
    // Every sequence number ever handed out is stored, exactly once, and none was skipped.
    expect(seqs).toEqual(Array.from({ length: second.nextSeq }, (_, i) => i));
    expect(sealedByFirst.every((seq) => seqs.includes(seq))).toBe(true);
    // The second agent numbers its 40 records after every record of the first. A seal in flight
    // when the first died lands on disk without being offered (agent/publish/sealer.ts kill()),
    // so the first may have numbered more than it reported; the second sends those too (above).
    const numberedByFirst = second.nextSeq - 40;
    expect(numberedByFirst).toBeGreaterThanOrEqual(sealedByFirst.length);
    expect(Math.max(...sealedByFirst)).toBeLessThan(numberedByFirst);
  });

  it('continues the sequence after a graceful restart', async () => {
    stack = await startStack(join(dir.path, 'graceful.sqlite'));
    const current = stack;
    for (let run = 0; run < 3; run++) {
      const agent = await Agent.start(agentConfig(current.broker.url, { device: 'pi5-g', count: 15 }));
      await agent.finished();
      await agent.stop();
    }
    await current.collector.idle();
    expect(storedSeqs(current, 'pi5-g')).toEqual(Array.from({ length: 45 }, (_, i) => i));
  });
});
