// The agent with trusted keys: runs only signed models, reports the model id and variant in every
// record, refuses a tampered or unsigned model at start and on a swap, and keeps running the
// model it had when a swap is refused.

import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentConfig } from '../../agent/agent.js';
import { generateKeys } from '../../models/sign/keys.js';
import type { InferenceRecord } from '../../protocol/index.js';
import { ModelTrustConfigError, ModelVerificationError } from '../../protocol/manifest/index.js';
import { loadRuntime } from '../../runtime/backend.js';
import { type Stack, startStack, tempDir, waitFor } from '../support/stack.js';
import { writeTinyModel } from './support.js';

const dir = tempDir('edgewatt-agent-verify-');
let stack: Stack;
let publicKey = '';
let idA = '';
let idB = '';

beforeAll(async () => {
  const { tf } = await loadRuntime('wasm');
  const keys = await generateKeys(join(dir.path, 'fleet'));
  publicKey = keys.publicKeyPath;
  idA = await writeTinyModel(tf, join(dir.path, 'a'), {
    variant: 'tiny-a',
    privateKeyPath: keys.privateKeyPath,
  });
  idB = await writeTinyModel(tf, join(dir.path, 'b'), {
    variant: 'tiny-b',
    privateKeyPath: keys.privateKeyPath,
    seed: 2,
  });
  await writeTinyModel(tf, join(dir.path, 'unsigned'), { variant: 'tiny-unsigned' });
  cpSync(join(dir.path, 'b'), join(dir.path, 'b-tampered'), { recursive: true });
  const weights = readFileSync(join(dir.path, 'b-tampered', 'weights.bin'));
  weights[7] = (weights[7] ?? 0) ^ 0x80;
  writeFileSync(join(dir.path, 'b-tampered', 'weights.bin'), weights);
  stack = await startStack(join(dir.path, 'store.sqlite'));
});

afterAll(async () => {
  await stack?.stop();
  dir.remove();
});

function config(device: string, model: string): AgentConfig {
  return {
    broker: stack.broker.url,
    fleet: 'test',
    device,
    sensor: 'simulated:rpi4',
    model,
    trustedKeys: [publicKey],
    rate: 200,
    count: 0,
    stateDir: join(dir.path, 'state', device),
    batchMax: 5,
    flushMs: 50,
    encoding: 'cbor',
    backend: 'wasm',
    batchSize: 1,
  };
}

describe('agent model trust policy', () => {
  it('refuses to start without a trusted key unless unsigned models are explicitly allowed', async () => {
    const { trustedKeys: _keys, ...noKeys } = config('pi-nokey', join(dir.path, 'a'));
    const error = await Agent.start(noKeys).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelTrustConfigError);
    expect((error as Error).message).toMatch(/no trusted key.*--trusted-key <pem>.*--allow-unsigned/);

    const agent = await Agent.start({
      ...noKeys,
      device: 'pi-dev',
      model: join(dir.path, 'unsigned'),
      count: 3,
      allowUnsigned: true,
    });
    await agent.finished();
    await agent.stop();
    expect(agent.stats.inferences).toBe(3);
  });

  it('with allowUnsigned and a key, still refuses a tampered model', async () => {
    const error = await Agent.start({
      ...config('pi-dev-tampered', join(dir.path, 'b-tampered')),
      allowUnsigned: true,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelVerificationError);
    expect((error as ModelVerificationError).reason).toBe('hash-mismatch');
  });
});

describe('agent with --trusted-key', () => {
  it('refuses to start with an unsigned model, saying so', async () => {
    const error = await Agent.start(config('pi-unsigned', join(dir.path, 'unsigned'))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelVerificationError);
    expect((error as ModelVerificationError).reason).toBe('unsigned');
  });

  it('refuses to start with a tampered model', async () => {
    const error = await Agent.start(config('pi-tampered', join(dir.path, 'b-tampered'))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelVerificationError);
    expect((error as ModelVerificationError).reason).toBe('hash-mismatch');
  });

  it('warms a swapped-in model up unmeasured, as at start, before its first record', async () => {
    const agent = await Agent.start({ ...config('pi-swap-warm', join(dir.path, 'a')), warmup: 7 });
    const records: InferenceRecord[] = [];
    agent.onBatch((batch) => records.push(...batch));
    try {
      await waitFor('5 records of model A', () => records.length >= 5);
      expect(agent.stats.warmupInferences).toBe(7);
      await agent.swapModel(join(dir.path, 'b'));
      const swappedUs = Date.now() * 1000;
      // Seven more inferences ran, of model B, none of them published.
      expect(agent.stats.warmupInferences).toBe(14);
      await waitFor('3 records of model B', () => records.filter((r) => r.modelId === idB).length >= 3);
      const firstB = records.findIndex((r) => r.modelId === idB);
      expect(records.slice(firstB).every((r) => r.modelId === idB)).toBe(true);
      // B's first record starts after the swap (and so its warm-up) returned; no A record after it.
      expect((records[firstB] as InferenceRecord).startUs).toBeGreaterThanOrEqual(swappedUs - 2000);
      expect(records.filter((r) => r.modelId === idA).every((r) => r.startUs < swappedUs)).toBe(true);
    } finally {
      await agent.stop(5000);
    }
  });

  it('keeps running its model when a swap is refused, and runs the new one after a valid swap', async () => {
    const agent = await Agent.start(config('pi-swap', join(dir.path, 'a')));
    const records: InferenceRecord[] = [];
    agent.onBatch((batch) => records.push(...batch));
    try {
      await waitFor('5 records of model A', () => records.length >= 5);
      await expect(agent.swapModel(join(dir.path, 'b-tampered'))).rejects.toThrow(ModelVerificationError);
      await expect(agent.swapModel(join(dir.path, 'unsigned'))).rejects.toThrow(/unsigned/);
      const afterRefusal = records.length;
      await waitFor('5 more records after the refusals', () => records.length >= afterRefusal + 5);
      expect(new Set(records.map((r) => r.modelId))).toEqual(new Set([idA]));
      expect(agent.stats.modelId).toBe(idA);

      const swapped = await agent.swapModel(join(dir.path, 'b'));
      expect(swapped.id).toBe(idB);
      const afterSwap = records.length;
      await waitFor(
        '5 records of model B',
        () => records.slice(afterSwap).filter((r) => r.modelId === idB).length >= 5,
      );
      const latest = records[records.length - 1];
      expect(latest?.modelId).toBe(idB);
      expect(latest?.variant).toBe('tiny-b');
      // Every record names exactly one of the two verified artifacts, never a refused one.
      expect(records.every((r) => r.modelId === idA || r.modelId === idB)).toBe(true);
    } finally {
      await agent.stop(5000);
    }
  });
});
