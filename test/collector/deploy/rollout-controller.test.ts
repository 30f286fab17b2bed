// The rollout controller on a fake clock, with the real deployment service, SQLite file and
// registry, a recording publisher in place of MQTT and device reports injected as they would
// arrive. Each case states the chain of phases and the messages published.

import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeploymentService } from '../../../collector/deploy/assign.js';
import { DeployDb } from '../../../collector/deploy/deploy-db.js';
import type { GateRecord } from '../../../collector/deploy/health-gate.js';
import { ModelRegistry } from '../../../collector/deploy/registry.js';
import type { DeploymentReport } from '../../../collector/deploy/report.js';
import {
  type GateData,
  RolloutController,
  rollbackId,
} from '../../../collector/deploy/rollout-controller.js';
import type { RolloutSpecInput } from '../../../collector/deploy/rollout-plan.js';
import type { DeploymentState } from '../../../protocol/deploy/index.js';
import { verifyAssignment } from '../../../protocol/deploy/index.js';
import { keyIdOf, loadTrustedKey } from '../../../protocol/manifest/index.js';
import { tempDir } from '../../support/stack.js';
import { type TestKeys, writeKeys, writeSignedModel } from './support.js';

interface Published {
  topic: string;
  payload: Uint8Array;
  retain: boolean;
}

const DEVICES = ['pi-1', 'pi-2', 'pi-3', 'pi-4'];

describe('rollout controller', () => {
  let tmp: ReturnType<typeof tempDir>;
  let modelKeys: TestKeys;
  let deployKeys: TestKeys;
  let registry: ModelRegistry;
  let oldModel: string;
  let newModel: string;
  let db: DeployDb;
  let nowMs: number;
  let published: Published[];
  let seq: number;
  /** Energy per inference the fake store gives each model (J). */
  let energyOf: Record<string, number>;

  const gateData: GateData = {
    async records(_fleet, device, modelId, fromUs) {
      const energy = energyOf[modelId ?? oldModel] ?? 0.01;
      const records: GateRecord[] = [];
      let x = device.length * 7919 + (modelId === newModel ? 1 : 0);
      for (let i = 0; i < 120; i++) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        const noise = 1 + 0.05 * ((x / 2 ** 31) * 2 - 1);
        records.push({ startUs: fromUs + i * 1000, durationUs: 5000 * noise, energyJ: energy * noise });
      }
      return records;
    },
  };

  function controller(): { rollouts: RolloutController; service: DeploymentService } {
    const service = new DeploymentService({
      db,
      registry,
      deploymentKey: deployKeys.privateKey,
      baseUrl: () => 'https://collector.test:8787',
      publish: async (topic, payload, options) => {
        published.push({ topic, payload, retain: options.retain });
      },
      nowMs: () => nowMs,
    });
    const rollouts = new RolloutController({
      service,
      db,
      listDevices: async () => DEVICES.map((device) => ({ fleet: 'lab', device, modelId: oldModel })),
      gateData,
      nowMs: () => nowMs,
      tickMs: 0,
    });
    rollouts.start();
    return { rollouts, service };
  }

  beforeEach(async () => {
    tmp = tempDir();
    modelKeys = writeKeys(tmp.path, 'model');
    deployKeys = writeKeys(tmp.path, 'deploy');
    registry = new ModelRegistry(join(tmp.path, 'data'));
    const trusted = [loadTrustedKey(modelKeys.publicKeyPath)];
    oldModel = (
      await registry.add(
        writeSignedModel(join(tmp.path, 'old'), modelKeys, { variant: 'old', release: 1, seed: 1 }).dir,
        trusted,
      )
    ).modelId;
    newModel = (
      await registry.add(
        writeSignedModel(join(tmp.path, 'new'), modelKeys, { variant: 'new', release: 2, seed: 2 }).dir,
        trusted,
      )
    ).modelId;
    db = new DeployDb(join(tmp.path, 'data', 'deploy.sqlite'));
    nowMs = Date.parse('2026-11-28T12:00:00Z');
    published = [];
    seq = 0;
    energyOf = { [oldModel]: 0.01, [newModel]: 0.01 };
  });
  afterEach(() => {
    db.close();
    tmp.remove();
  });

  const spec = (over: Partial<RolloutSpecInput> = {}): RolloutSpecInput => ({
    modelId: newModel,
    devices: 'lab/*',
    canary: '1',
    probationS: 60,
    inProgressTimeoutS: 120,
    gate: { graceS: 2 },
    ...over,
  });

  function report(
    service: DeploymentService,
    device: string,
    deploymentId: string,
    state: DeploymentState,
    extra: Partial<DeploymentReport> = {},
  ) {
    service.handleReport({
      fleet: 'lab',
      device,
      seq: ++seq,
      atUs: nowMs * 1000,
      deploymentId,
      modelId: newModel,
      release: 2,
      state,
      attempt: 1,
      ...extra,
    });
  }

  /** The assignments in publish order: device, model, rollback flag (each verified with the deployment key). */
  function assignments(): { device: string; modelId: string; rollback: boolean; deploymentId: string }[] {
    const trusted = [
      {
        keyId: keyIdOf(createPublicKey(deployKeys.privateKey)),
        key: createPublicKey(deployKeys.privateKey),
        source: 'test',
      },
    ];
    return published
      .filter((p) => p.payload.length > 0)
      .map((p) => {
        const device = p.topic.split('/')[3] ?? '';
        expect(p.topic).toBe(`edgewatt/v1/lab/${device}/cmd/model`);
        expect(p.retain).toBe(true);
        const a = verifyAssignment(p.payload, trusted, { fleet: 'lab', device, nowMs });
        return { device, modelId: a.modelId, rollback: a.rollback, deploymentId: a.deploymentId };
      });
  }
  const cleared = () => published.filter((p) => p.payload.length === 0).map((p) => p.topic.split('/')[3]);

  async function walk(service: DeploymentService, rollouts: RolloutController, device: string, id: string) {
    for (const state of ['downloading', 'verifying', 'loading', 'switching', 'probation'] as const)
      report(service, device, id, state);
    await rollouts.settled();
    nowMs += 60_000;
    report(service, device, id, 'committed');
    await rollouts.settled();
  }

  it('canary passes probation and the gate, then the rest; finished when all committed', async () => {
    const { rollouts, service } = controller();
    const started = await rollouts.create(spec());
    expect(started.groupSizes).toEqual([1, 3]);
    expect(assignments()).toEqual([
      { device: 'pi-1', modelId: newModel, rollback: false, deploymentId: started.id },
    ]);
    await walk(service, rollouts, 'pi-1', started.id);
    expect(rollouts.get(started.id).devices[0]?.phase).toBe('committed');
    nowMs += 1999;
    await rollouts.tick();
    expect(rollouts.get(started.id).devices[0]?.phase).toBe('committed'); // gate due at +2 s
    nowMs += 1;
    await rollouts.tick();
    const afterGate = rollouts.get(started.id);
    expect(afterGate.devices[0]?.phase).toBe('succeeded');
    expect(afterGate.log.some((l) => /health gate lab\/pi-1: pass/.test(l.line))).toBe(true);
    expect(assignments().map((a) => a.device)).toEqual(['pi-1', 'pi-2', 'pi-3', 'pi-4']);
    for (const device of ['pi-2', 'pi-3', 'pi-4']) await walk(service, rollouts, device, started.id);
    const done = rollouts.get(started.id);
    expect(done.state).toBe('finished');
    expect(done.devices.map((d) => d.phase)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(done.note).toBe('every device committed');
  });

  it('does not advance on a download or probation alone (hawkBit #3185): only a commit counts', async () => {
    const { rollouts, service } = controller();
    const { id } = await rollouts.create(spec({ gate: { enabled: false } }));
    for (const state of ['downloading', 'verifying', 'loading', 'switching', 'probation'] as const)
      report(service, 'pi-1', id, state);
    await rollouts.settled();
    await rollouts.tick();
    expect(assignments()).toHaveLength(1);
    expect(rollouts.get(id).devices[0]?.phase).toBe('in-progress');
  });

  it('a canary whose energy regresses is rolled back automatically, with the numbers in the log', async () => {
    energyOf[newModel] = 0.013; // +30 %
    const { rollouts, service } = controller();
    const { id } = await rollouts.create(spec());
    await walk(service, rollouts, 'pi-1', id);
    nowMs += 2000;
    await rollouts.tick();
    const view = rollouts.get(id);
    expect(view.state).toBe('aborted');
    expect(view.devices.map((d) => d.phase)).toEqual(['reverting', 'skipped', 'skipped', 'skipped']);
    expect(assignments()).toEqual([
      { device: 'pi-1', modelId: newModel, rollback: false, deploymentId: id },
      { device: 'pi-1', modelId: oldModel, rollback: true, deploymentId: rollbackId(id) },
    ]);
    const gateLine = view.log.find((l) => l.line.startsWith('health gate lab/pi-1'))?.line ?? '';
    expect(gateLine).toMatch(
      /REGRESSION — Welch t on batch statistics, pre-rollout vs probation; energyPerInferenceJ: \d+\.\d+ mJ → 1[23]\.\d+ mJ \(\+(29|30)\.\d %, 95 % CI \+\d+\.\d % … \+\d+\.\d %, margin \+5\.0 %; n 120\/120\) regressed/,
    );
    expect(view.note).toBe('health gate: lab/pi-1 regressed beyond the margin');
    report(service, 'pi-1', rollbackId(id), 'committed', { modelId: oldModel, release: 1 });
    await rollouts.settled();
    expect(rollouts.get(id).devices[0]?.phase).toBe('reverted');
  });

  it('a device that never reports times out at probation + in-progress timeout (hawkBit #693), not a millisecond before', async () => {
    const { rollouts } = controller();
    const { id } = await rollouts.create(spec({ canary: '4', minExecuted: 4 }));
    nowMs += (60 + 120) * 1000 - 1;
    await rollouts.tick();
    expect(rollouts.get(id).devices.map((d) => d.phase)).toEqual([
      'assigned',
      'assigned',
      'assigned',
      'assigned',
    ]);
    nowMs += 1;
    await rollouts.tick();
    const view = rollouts.get(id);
    expect(view.devices.every((d) => d.phase === 'timed-out' || d.phase === 'reverting')).toBe(true);
    expect(view.state).toBe('aborted');
    expect(
      view.log.some((l) =>
        l.line.includes(
          'timed out — no terminal report within probation 60 s + in-progress timeout 120 s (last state: none)',
        ),
      ),
    ).toBe(true);
  });

  it('aborts at the error threshold only once minExecuted devices are decided; failed devices are cleared, the others rolled back', async () => {
    const { rollouts, service } = controller();
    const { id } = await rollouts.create(
      spec({ canary: '4', minExecuted: 3, errorThreshold: 0.5, gate: { enabled: false } }),
    );
    report(service, 'pi-1', id, 'refused', { reason: 'wrong-board' });
    await rollouts.settled();
    expect(rollouts.get(id).state).toBe('running'); // 1 of 1 failed, but fewer than 3 decided
    await walk(service, rollouts, 'pi-2', id);
    expect(rollouts.get(id).state).toBe('running'); // 1 of 2
    report(service, 'pi-3', id, 'failed', { reason: 'load-failed' });
    await rollouts.settled();
    const view = rollouts.get(id);
    expect(view.state).toBe('aborted'); // 2 of 3 ≥ 50 %
    expect(view.note).toBe('error threshold: 2 of 3 decided devices failed (≥ 50 %, minimum executed 3)');
    expect(view.devices.map((d) => d.phase)).toEqual(['failed', 'reverting', 'failed', 'reverting']);
    expect(cleared()).toEqual(['pi-1', 'pi-3']);
    expect(
      assignments()
        .filter((a) => a.rollback)
        .map((a) => a.device),
    ).toEqual(['pi-2', 'pi-4']);
    expect(view.devices[0]?.reason).toBe('refused: wrong-board');
  });

  it('pause holds the next group; resume starts it', async () => {
    const { rollouts, service } = controller();
    const { id } = await rollouts.create(spec({ gate: { enabled: false } }));
    await rollouts.pause(id);
    await walk(service, rollouts, 'pi-1', id);
    await rollouts.tick();
    expect(assignments()).toHaveLength(1);
    expect(rollouts.get(id).devices[0]?.phase).toBe('succeeded');
    await rollouts.resume(id);
    expect(assignments()).toHaveLength(4);
    await expect(rollouts.resume(id)).rejects.toThrow(/not paused/);
  });

  it('pauses when a group falls short of the success threshold', async () => {
    const { rollouts, service } = controller();
    const { id } = await rollouts.create(
      spec({ canary: '2', minExecuted: 4, gate: { enabled: false }, successThreshold: 1 }),
    );
    await walk(service, rollouts, 'pi-1', id);
    report(service, 'pi-2', id, 'failed', { reason: 'warmup-failed' });
    await rollouts.settled();
    const view = rollouts.get(id);
    expect(view.state).toBe('paused');
    expect(view.note).toBe('group 0: 1 of 2 committed after probation, 2 needed');
  });

  it('carries on after a restart: state and log come back from SQLite', async () => {
    const first = controller();
    const { id } = await first.rollouts.create(spec({ gate: { enabled: false } }));
    first.rollouts.stop();
    const second = controller();
    await walk(second.service, second.rollouts, 'pi-1', id);
    const view = second.rollouts.get(id);
    expect(view.devices.filter((d) => d.phase === 'assigned').map((d) => d.device)).toEqual([
      'pi-2',
      'pi-3',
      'pi-4',
    ]);
    expect(view.log[0]?.line).toMatch(/^started: model /);
  });

  it('a device offline past its timeout converges later: finished, then counted as committed (late)', async () => {
    const { rollouts, service } = controller();
    const { id } = await rollouts.create(spec({ gate: { enabled: false }, minExecuted: 4 }));
    await walk(service, rollouts, 'pi-1', id);
    await rollouts.tick();
    for (const device of ['pi-2', 'pi-3']) await walk(service, rollouts, device, id);
    nowMs += 180_000;
    await rollouts.tick();
    let view = rollouts.get(id);
    expect(view.state).toBe('finished');
    expect(view.note).toBe('1 device(s) did not commit: lab/pi-4 timed-out');
    await walk(service, rollouts, 'pi-4', id);
    view = rollouts.get(id);
    expect(view.devices[3]?.phase).toBe('succeeded');
    expect(
      view.log.some(
        (l) => l.line === 'lab/pi-4: committed after probation (late: it had timed out; it converged)',
      ),
    ).toBe(true);
  });

  it('refuses an overlapping rollout, an unknown selector and an invalid spec', async () => {
    const { rollouts } = controller();
    await rollouts.create(spec());
    await expect(rollouts.create(spec())).rejects.toMatchObject({ status: 409 });
    await expect(rollouts.create(spec({ devices: 'nope/*' }))).rejects.toMatchObject({ status: 400 });
    await expect(rollouts.create(spec({ modelId: 'abc' }))).rejects.toThrow(/modelId/);
  });

  it('awaitTerminal resolves on the device report, or as timed out', async () => {
    const { service } = controller();
    const waiting = service.awaitTerminal('lab', 'pi-1', 'exp-1', 60_000);
    report(service, 'pi-1', 'exp-1', 'probation');
    report(service, 'pi-1', 'exp-1', 'committed');
    await expect(waiting).resolves.toMatchObject({ state: 'committed' });
    await expect(service.awaitTerminal('lab', 'pi-1', 'exp-1', 10)).resolves.toMatchObject({
      state: 'committed',
    });
    await expect(service.awaitTerminal('lab', 'pi-2', 'exp-1', 10)).resolves.toMatchObject({
      state: 'timed-out',
      report: null,
    });
    expect(
      service.handleReport({
        fleet: 'lab',
        device: 'pi-1',
        seq: 1,
        atUs: 0,
        deploymentId: 'exp-1',
        modelId: newModel,
        release: 2,
        state: 'committed',
        attempt: 1,
      }),
    ).toBe(false);
  });
});
