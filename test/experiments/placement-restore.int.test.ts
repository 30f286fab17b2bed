// Placement arms and stopping, against real Mosquitto and the collector's real MQTT client: each
// assignment goes with a retained cmd/placement command carrying the arm's placement (edge/offload,
// its server) and the experiment/arm tags, which a device connecting later receives; a stopped
// experiment puts every board back — its pre-experiment model through a signed assignment without
// the experiment's tags, its placement command as it was (or none, when it had none).

import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Collector } from '../../collector/collector.js';
import { DeploymentService } from '../../collector/deploy/assign.js';
import { DeployDb } from '../../collector/deploy/deploy-db.js';
import { ModelRegistry } from '../../collector/deploy/registry.js';
import { collectorBoards } from '../../collector/experiments/collector-boards.js';
import { ExperimentDriver, scheduleOfStored } from '../../collector/experiments/driver.js';
import { ExperimentDb, experimentStatus, parseExperiment } from '../../collector/experiments/index.js';
import { PlacementOwner } from '../../collector/placement/owner.js';
import { PlacementDb } from '../../collector/placement/owner-db.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { verifyAssignment } from '../../protocol/deploy/index.js';
import { encodeMessage } from '../../protocol/index.js';
import { loadTrustedKey } from '../../protocol/manifest/index.js';
import { decodePlacementCommand } from '../../protocol/placement.js';
import { writeKeys, writeSignedModel } from '../collector/deploy/support.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

describeWith(['mosquitto'], 'experiment placement commands and stop, through Mosquitto', () => {
  const dir = tempDir('edgewatt-exp-placement-');
  let mosquitto: Mosquitto;
  let collector: Collector;
  let store: SqliteStore;
  // The collector's one writer of cmd/placement (collector/placement/owner.ts), as `edgewatt collector` wires it.
  const owner = new PlacementOwner({
    db: new PlacementDb(':memory:'),
    publish: (topic, payload, options) => collector.publish(topic, payload, options),
    currentModel: async () => null,
    experimentState: () => 'running',
    knownDevices: async () => [],
  });
  const placements = owner.retained;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    store = new SqliteStore(join(dir.path, 'records.sqlite'));
    collector = new Collector(store, {
      broker: mosquitto.url,
      clientId: 'collector-exp',
      onPlacementCommand: (topic, payload) => owner.observe(topic, payload),
    });
    await collector.start();
  }, 60_000);

  afterAll(async () => {
    await collector?.stop();
    await mosquitto?.remove();
    dir.remove();
  });

  /**
   * Everything retained under `edgewatt/v1/lab/+/cmd/+`, as a device connecting now gets it. The
   * barrier (a retained message on another topic, subscribed after) arrives after every retained
   * message of the first subscription, so a topic missing at that point holds nothing.
   */
  async function retainedCommands(): Promise<Map<string, Buffer>> {
    const client = await mqtt.connectAsync(mosquitto.url, { clientId: `late-${Date.now()}` });
    const seen = new Map<string, Buffer>();
    let barrier = false;
    client.on('message', (topic, payload) => {
      if (topic === 'test/barrier') barrier = true;
      else seen.set(topic, payload);
    });
    await client.publishAsync('test/barrier', 'x', { qos: 1, retain: true });
    await client.subscribeAsync('edgewatt/v1/lab/+/cmd/+', { qos: 1 });
    await client.subscribeAsync('test/barrier', { qos: 1 });
    await waitFor('the barrier after the retained commands', () => barrier, 30_000);
    await client.endAsync();
    return seen;
  }

  it('sends each arm’s placement with the experiment tags, and a stop puts every board back', async () => {
    const modelKeys = writeKeys(dir.path, 'model');
    const deployKeys = writeKeys(dir.path, 'deploy');
    const registry = new ModelRegistry(join(dir.path, 'data'));
    const trusted = [loadTrustedKey(modelKeys.publicKeyPath)];
    const add = async (variant: string, seed: number) =>
      registry.add(
        writeSignedModel(join(dir.path, variant), modelKeys, { variant, release: 1, seed }).dir,
        trusted,
      );
    const base = await add('base', 1);
    const dense = await add('dense', 2);
    const pruned = await add('pruned', 3);
    const deployDb = new DeployDb(join(dir.path, 'data', 'deploy.sqlite'));
    const service = new DeploymentService({
      db: deployDb,
      registry,
      deploymentKey: deployKeys.privateKey,
      baseUrl: () => 'https://collector.test:8787',
      publish: (topic, payload, options) => collector.publish(topic, payload, options),
    });
    const operator = await mqtt.connectAsync(mosquitto.url, { clientId: 'operator' });

    // Before: pi-1 was assigned `base` by a rollout and told to run at the edge by its operator;
    // pi-2 runs `base` from its command line (its status says so) and has no placement command.
    await service.publishAssignment({
      fleet: 'lab',
      device: 'pi-1',
      deploymentId: 'rollout-7',
      modelId: base.modelId,
      probationS: 0,
      tags: { placement: 'edge' },
    });
    const operatorPlacement = JSON.stringify({ v: 1, placement: 'edge', reason: 'lab default' });
    await operator.publishAsync('edgewatt/v1/lab/pi-1/cmd/placement', operatorPlacement, {
      qos: 1,
      retain: true,
    });
    await operator.publishAsync(
      'edgewatt/v1/lab/pi-2/status',
      Buffer.from(
        encodeMessage({
          v: 1,
          type: 'status',
          device: 'pi-2',
          state: 'online',
          seq: 0,
          atUs: Date.now() * 1000,
          modelId: base.modelId,
          variant: 'base',
        }),
      ),
      { qos: 1, retain: true },
    );
    await operator.endAsync();
    await waitFor(
      'the operator’s placement seen by the collector',
      () => placements.get('lab', 'pi-1') !== null,
    );
    for (let i = 0; i < 100 && (await store.readDevices({ fleet: 'lab', device: 'pi-2' })).length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect((await store.readDevices({ fleet: 'lab', device: 'pi-2' }))[0]?.modelId).toBe(base.modelId);

    const experiment = parseExperiment(`
id: place-1
fleet: lab
devices: [pi-1, pi-2]
arms:
  - { id: edge-dense, model: ${dense.modelId} }
  - { id: offload-pruned, model: ${pruned.modelId}, placement: offload, server: "https://serve.test:8790" }
periodS: 600
periods: 2
probationS: 5
seed: 4
`);
    const db = new ExperimentDb(join(dir.path, 'data', 'experiments.sqlite'));
    const stored = db.create(experiment, ['pi-1', 'pi-2'], Date.now(), Date.now());
    const driver = new ExperimentDriver({
      db,
      port: service,
      boards: collectorBoards({ service, reader: store, owner }),
    });
    await driver.tick();

    const trustedDeploy = [loadTrustedKey(deployKeys.publicKeyPath)];
    const assignmentOf = (payload: Buffer | undefined, device: string) => {
      if (payload === undefined) throw new Error(`no retained assignment for ${device}`);
      return verifyAssignment(new Uint8Array(payload), trustedDeploy, {
        fleet: 'lab',
        device,
        nowMs: Date.now(),
      });
    };
    const during = await retainedCommands();
    const first = scheduleOfStored(stored).filter((p) => p.period === 0);
    // Seed 4 starts the boards on different arms: both kinds of command are sent at once.
    expect(new Set(first.map((p) => p.arm))).toEqual(new Set(['edge-dense', 'offload-pruned']));
    for (const period of first) {
      const payload = during.get(`edgewatt/v1/lab/${period.device}/cmd/placement`) ?? Buffer.alloc(0);
      // What the agent reads it with (protocol/placement.ts): a valid command, not a cleared one.
      const decoded = decodePlacementCommand(new Uint8Array(payload));
      expect(decoded.ok && decoded.value !== null).toBe(true);
      const command = JSON.parse(String(payload));
      const offload = period.arm === 'offload-pruned';
      expect(command).toEqual({
        v: 1,
        placement: offload ? 'offload' : 'edge',
        ...(offload ? { server: 'https://serve.test:8790' } : {}),
        experiment: 'place-1',
        arm: period.arm,
        reason: 'experiment place-1 period 1',
      });
      const assignment = assignmentOf(
        during.get(`edgewatt/v1/lab/${period.device}/cmd/model`),
        period.device,
      );
      expect(assignment.tags).toEqual({
        experiment: 'place-1',
        arm: period.arm,
        placement: offload ? 'offload' : 'edge',
      });
    }
    // What each board had before was kept at its first assignment.
    expect(db.boardsBefore('place-1').map((b) => [b.device, b.modelId, b.tagsJson, b.placement])).toEqual([
      ['pi-1', base.modelId, JSON.stringify({ placement: 'edge' }), operatorPlacement],
      ['pi-2', base.modelId, null, null],
    ]);

    db.end('place-1', 'stopped', Date.now(), 'stopped by the test');
    await driver.tick();
    const after = await retainedCommands();
    const pi1 = assignmentOf(after.get('edgewatt/v1/lab/pi-1/cmd/model'), 'pi-1');
    expect([pi1.modelId, pi1.deploymentId, pi1.tags]).toEqual([
      base.modelId,
      'place-1.restore',
      { placement: 'edge' },
    ]);
    const pi2 = assignmentOf(after.get('edgewatt/v1/lab/pi-2/cmd/model'), 'pi-2');
    expect([pi2.modelId, pi2.deploymentId, pi2.tags]).toEqual([base.modelId, 'place-1.restore', undefined]);
    expect(String(after.get('edgewatt/v1/lab/pi-1/cmd/placement'))).toBe(operatorPlacement);
    expect(after.has('edgewatt/v1/lab/pi-2/cmd/placement')).toBe(false);
    const status = experimentStatus(db, 'place-1', Date.now());
    expect(status.boards.map((b) => b.restore)).toEqual([
      'model base-id assigned again, experiment tags cleared; placement command put back'.replace(
        'base-id',
        base.modelId.slice(0, 12),
      ),
      `model ${base.modelId.slice(0, 12)} assigned again, experiment tags cleared; placement command cleared (none before)`,
    ]);
    // Restored once: another tick publishes nothing more.
    const assignmentsBefore = deployDb.assignment('lab', 'pi-1')?.issuedAt;
    await driver.tick();
    expect(deployDb.assignment('lab', 'pi-1')?.issuedAt).toBe(assignmentsBefore);
    db.close();
    deployDb.close();
  }, 60_000);
});
