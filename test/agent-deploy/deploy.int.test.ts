// Model deployment on a real agent (in this process) with a real HTTP registry and an MQTT
// broker: a deployment that commits and a rollback assignment, with every inference record kept
// exactly once across both switches and tagged with its model's experiment fields; and the
// refusals (tampered artifact, older release, expired assignment, oversized artifact, manifest for
// another board, untrusted deployment key), each reported with its reason while the running model
// keeps serving untouched. Crash and kill -9 cases are in faults.int.test.ts.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { Deployer, type DeployerConfig } from '../../agent/deploy/deployer.js';
import { JournalStore } from '../../agent/deploy/journal.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../collector/broker/embedded.js';
import { signAssignment } from '../../protocol/deploy/index.js';
import type { InferenceRecord } from '../../protocol/index.js';
import { loadTrustedKey, trustFromKeyFiles } from '../../protocol/manifest/index.js';
import { loadRuntime } from '../../runtime/backend.js';
import { tempDir, waitFor } from '../support/stack.js';
import {
  assignmentFor,
  type Control,
  FLEET,
  type Keys,
  makeKeys,
  type Registry,
  startControl,
  startRegistry,
  writeModel,
} from './support.js';

const CREDENTIALS = { username: 'pi-user', password: 'pi-secret-password' };

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let registry: Registry;
let control: Control;
let keys: Keys;
type Model = Awaited<ReturnType<typeof writeModel>>;
const models: Record<string, Model> = {};
let devices = 0;

beforeAll(async () => {
  dir = tempDir('edgewatt-deploy-');
  const { tf } = await loadRuntime('wasm');
  keys = await makeKeys(dir.path);
  const specs = {
    a: { variant: 'tiny', seed: 1, release: 1 },
    b: { variant: 'tiny', seed: 2, release: 2 },
    older: { variant: 'tiny', seed: 3, release: 1 },
    jetson: { variant: 'tiny', seed: 4, release: 3, boards: ['jetson-nano'] },
    big: { variant: 'tiny', seed: 5, release: 4, wide: true },
    tampered: { variant: 'tiny', seed: 6, release: 5 },
    stale: { variant: 'tiny', seed: 7, release: 6, expires: '2020-01-01T00:00:00Z' },
  };
  for (const [name, spec] of Object.entries(specs)) {
    models[name] = await writeModel(tf, join(dir.path, name), keys, spec);
  }
  broker = await startEmbeddedBroker();
  registry = await startRegistry(dir.path, CREDENTIALS);
  for (const model of Object.values(models)) registry.add(model.id, model.dir);
  // The registry's copy of `tampered` gets a flipped weight byte after signing.
  const weights = join(dir.path, 'registry', models.tampered?.id ?? '', 'weights.bin');
  const bytes = readFileSync(weights);
  bytes[10] = (bytes[10] ?? 0) ^ 0xff;
  writeFileSync(weights, bytes);
  control = await startControl(broker.url);
});

afterAll(async () => {
  await control?.close();
  await registry?.close();
  await broker?.close();
  dir?.remove();
});

function model(name: string): Model {
  const found = models[name];
  if (found === undefined) throw new Error(`no model ${name}`);
  return found;
}

interface Device {
  agent: Agent;
  deployer: Deployer;
  records: InferenceRecord[];
  stop(): Promise<void>;
}

async function startDevice(device: string, overrides: Partial<DeployerConfig> = {}): Promise<Device> {
  const stateDir = join(dir.path, 'devices', device);
  const journal = new JournalStore(stateDir);
  const agent = await Agent.start({
    broker: broker.url,
    fleet: FLEET,
    device,
    sensor: 'simulated:rpi4',
    model: model('a').dir,
    trustedKeys: [keys.modelPublicPath],
    rate: 100,
    count: 0,
    warmup: 0,
    stateDir,
    batchMax: 10,
    flushMs: 100,
    encoding: 'cbor',
    backend: 'wasm',
    batchSize: 1,
  });
  const records: InferenceRecord[] = [];
  agent.onBatch((batch) => records.push(...batch));
  const deployer = new Deployer(agent, journal, {
    fleet: FLEET,
    device,
    board: 'rpi4',
    modelTrust: trustFromKeyFiles([keys.modelPublicPath]),
    deploymentKeys: [loadTrustedKey(keys.deploymentPublicPath)],
    maxArtifactBytes: 10 * 1024 * 1024,
    maxAttempts: 3,
    warmupInferences: 3,
    registry: CREDENTIALS,
    startModelDir: model('a').dir,
    retryMinMs: 20,
    ...overrides,
  });
  return {
    agent,
    deployer,
    records,
    stop: async () => {
      await deployer.close();
      await agent.stop(2_000);
    },
  };
}

/** The records' seqs are consecutive from the first, each once: nothing lost, nothing twice. */
function expectEveryRecordOnce(records: readonly InferenceRecord[]): void {
  const seqs = records.map((r) => r.seq);
  const first = seqs[0] ?? 0;
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(seqs).toEqual(seqs.map((_, i) => first + i));
}

const terminal = (chain: string[]) => chain.some((s) => /^(committed|rolled-back|failed|refused)/.test(s));

describe('model deployment on a running agent', () => {
  it('deploys a newer release, then rolls back to the previous model on a signed rollback: no record lost or repeated', async () => {
    const device = await startDevice('pi-switch');
    try {
      await waitFor('first records', () => device.records.length > 20);
      const b = model('b');
      await control.assign(
        assignmentFor('pi-switch', b, registry, {
          deploymentId: 'rollout-b',
          tags: { experiment: 'exp-1', arm: 'b-edge', placement: 'edge' },
        }),
        keys.deploymentKey,
      );
      await waitFor('committed', () => control.chain('pi-switch').includes('committed#1'));
      expect(control.chain('pi-switch')).toEqual([
        'downloading#1',
        'verifying#1',
        'loading#1',
        'switching#1',
        'probation#1',
        'committed#1',
      ]);
      expect(device.agent.runningModel.id).toBe(b.id);
      const committed = control.messages.find((m) => m.device === 'pi-switch' && m.state === 'committed');
      expect(committed).toMatchObject({
        deploymentId: 'rollout-b',
        modelId: b.id,
        release: 2,
        previousModelId: model('a').id,
        bytes: b.manifest.artifactBytes,
      });
      const switchedAt = device.records.length;
      await waitFor('records of b', () => device.records.length > switchedAt + 20);

      // The collector sends the device back to its previous model (rollback: true, older release).
      await control.assign(
        assignmentFor('pi-switch', model('a'), registry, { deploymentId: 'rollback-a', rollback: true }),
        keys.deploymentKey,
      );
      await waitFor('back on a and committed', () => control.chain('pi-switch').length >= 12);
      // The previous model is on disk: `downloading` passes at once, with every byte there.
      expect(control.chain('pi-switch').slice(6)).toEqual([
        'downloading#1',
        'verifying#1',
        'loading#1',
        'switching#1',
        'probation#1',
        'committed#1',
      ]);
      expect(registry.requests.filter((r) => r.startsWith(model('a').id))).toEqual([]);
      expect(registry.requests.filter((r) => r.startsWith(model('b').id)).length).toBeGreaterThan(0);
      expect(device.agent.runningModel.id).toBe(model('a').id);
      const back = device.records.length;
      await waitFor('records of a again', () => device.records.length > back + 20);
    } finally {
      await device.stop();
    }
    const byModel = (id: string) => device.records.filter((r) => r.modelId === id);
    expect(byModel(model('b').id).length).toBeGreaterThan(20);
    expect(
      byModel(model('b').id).every(
        (r) => r.experiment === 'exp-1' && r.arm === 'b-edge' && r.placement === 'edge',
      ),
    ).toBe(true);
    expect(byModel(model('a').id).every((r) => r.experiment === undefined && r.arm === undefined)).toBe(true);
    // Records name a, then b, then a: each switch happens between two records.
    const runs = device.records.map((r) => r.modelId).filter((id, i, all) => i === 0 || all[i - 1] !== id);
    expect(runs).toEqual([model('a').id, model('b').id, model('a').id]);
    expectEveryRecordOnce(device.records);
  });

  it.each([
    ['a tampered artifact', 'tampered', {}, {}, 'hash-mismatch'],
    ['an older release than the one committed', 'older', {}, {}, 'old-release'],
    ['an expired assignment', 'b', { expires: '2020-01-01T00:00:00.000Z' }, {}, 'expired'],
    ['an expired manifest', 'stale', {}, {}, 'expired'],
    ['an artifact larger than the device accepts', 'big', {}, { maxArtifactBytes: 20_000 }, 'too-large'],
    ['an artifact larger than the assignment says', 'big', { artifactBytes: 20_000 }, {}, 'too-large'],
    ['a manifest for another board', 'jetson', {}, {}, 'wrong-board'],
    ['an assignment for another device', 'b', { device: 'pi-other' }, {}, 'wrong-device'],
  ] as const)(
    'refuses %s, reports why, and keeps serving the running model',
    async (_name, which, overrides, config, reason) => {
      const name = `pi-${++devices}-${which}-${reason}`.slice(0, 60);
      const device = await startDevice(name, config);
      try {
        await waitFor('first records', () => device.records.length > 5);
        const target = model(which);
        const assignment = assignmentFor(name, target, registry, overrides);
        // An assignment for another device is published on this device's topic (a replay).
        await control.publishRaw(name, Buffer.from(signAssignment(assignment, keys.deploymentKey)));
        await waitFor(`refused(${reason})`, () => terminal(control.chain(name)));
        expect(control.chain(name).at(-1)).toBe(`refused(${reason})#1`);
        const refused = control.messages.find((m) => m.device === name && m.state === 'refused');
        expect(refused?.detail?.length ?? 0).toBeGreaterThan(10);
        expect(device.agent.runningModel.id).toBe(model('a').id);
        const before = device.records.length;
        await waitFor('records go on', () => device.records.length > before + 10);
      } finally {
        await device.stop();
      }
      expect(device.records.every((r) => r.modelId === model('a').id)).toBe(true);
      expectEveryRecordOnce(device.records);
    },
  );

  it('refuses an assignment signed by a key it does not trust, and a bad signature', async () => {
    const device = await startDevice('pi-keys');
    try {
      await waitFor('first records', () => device.records.length > 5);
      const { createPrivateKey, generateKeyPairSync } = await import('node:crypto');
      const stranger = createPrivateKey(
        generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
      );
      await control.assign(assignmentFor('pi-keys', model('b'), registry), stranger);
      await waitFor('refused', () => terminal(control.chain('pi-keys')));
      expect(control.chain('pi-keys')).toEqual(['refused(untrusted-key)#1']);
      const payload = JSON.parse(
        new TextDecoder().decode(
          signAssignment(assignmentFor('pi-keys', model('b'), registry), keys.deploymentKey),
        ),
      ) as Record<string, string>;
      payload.assignment = (payload.assignment ?? '').replace('"probationS":0.5', '"probationS":0');
      await control.publishRaw('pi-keys', JSON.stringify(payload));
      await waitFor('refused twice', () => control.chain('pi-keys').length === 2);
      expect(control.chain('pi-keys')[1]).toBe('refused(bad-signature)#1');
      expect(device.agent.runningModel.id).toBe(model('a').id);
    } finally {
      await device.stop();
    }
  });
});
