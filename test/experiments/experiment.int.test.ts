// An experiment end to end against the real servers: the driver assigns arms through the collector's
// deployment service and real Mosquitto (signed, retained, tagged assignments that verify with the
// deployment key), and a simulated fleet's records travel through Mosquitto into SQLite and
// InfluxDB, tagged by the experiment, and are analysed from each store to the same answer as from
// the records themselves.

import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Collector } from '../../collector/collector.js';
import { DeploymentService } from '../../collector/deploy/assign.js';
import { DeployDb } from '../../collector/deploy/deploy-db.js';
import { ModelRegistry } from '../../collector/deploy/registry.js';
import { analyseRecords } from '../../collector/experiments/analyse.js';
import { ExperimentDriver, scheduleOfStored } from '../../collector/experiments/driver.js';
import { analyseExperiment, ExperimentDb, parseExperiment } from '../../collector/experiments/index.js';
import { defaultFleetSpec, experimentOf, simulateFleet } from '../../collector/experiments/simulate.js';
import { capability, createStore } from '../../collector/store/index.js';
import type { StoredRecord } from '../../collector/store/store.js';
import { verifyAssignment } from '../../protocol/deploy/index.js';
import { encodeMessage, PROTOCOL_VERSION, quantizeRecord } from '../../protocol/index.js';
import { loadTrustedKey } from '../../protocol/manifest/index.js';
import { writeKeys, writeSignedModel } from '../collector/deploy/support.js';
import { type MosquittoInfluxStack, startMosquittoStack } from '../support/mosquitto-stack.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

describeWith(['mosquitto', 'influxd'], 'experiment through Mosquitto, SQLite and InfluxDB', () => {
  const dir = tempDir('edgewatt-experiment-');
  let stack: MosquittoInfluxStack;

  beforeAll(async () => {
    stack = await startMosquittoStack(dir.path, { influx: true });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    dir.remove();
  });

  it('the driver publishes each board’s arm as a signed, retained, tagged assignment', async () => {
    const modelKeys = writeKeys(dir.path, 'model');
    const deployKeys = writeKeys(dir.path, 'deploy');
    const registry = new ModelRegistry(join(dir.path, 'data'));
    const trusted = [loadTrustedKey(modelKeys.publicKeyPath)];
    const dense = await registry.add(
      writeSignedModel(join(dir.path, 'dense'), modelKeys, { variant: 'dense', release: 1, seed: 1 }).dir,
      trusted,
    );
    const pruned = await registry.add(
      writeSignedModel(join(dir.path, 'pruned'), modelKeys, { variant: 'pruned', release: 1, seed: 2 }).dir,
      trusted,
    );
    const deployDb = new DeployDb(join(dir.path, 'data', 'deploy.sqlite'));
    const collector = stack.collectors[0] as Collector;
    const service = new DeploymentService({
      db: deployDb,
      registry,
      deploymentKey: deployKeys.privateKey,
      baseUrl: () => 'https://collector.test:8787',
      publish: (topic, payload, options) => collector.publish(topic, payload, options),
    });
    const experiment = parseExperiment(`
id: live-1
fleet: lab
devices: [pi-1, pi-2, pi-3]
arms:
  - { id: dense, model: ${dense.modelId} }
  - { id: pruned, model: ${pruned.modelId}, placement: edge }
periodS: 600
periods: 2
probationS: 10
`);
    const startMs = Date.now();
    const db = new ExperimentDb(join(dir.path, 'data', 'experiments.sqlite'));
    const stored = db.create(experiment, ['pi-1', 'pi-2', 'pi-3'], startMs, startMs);
    await new ExperimentDriver({ db, port: service }).tick();
    expect(db.assignments('live-1')).toHaveLength(3);

    // A device connecting later finds its assignment retained on cmd/model.
    const client = await mqtt.connectAsync(stack.mosquitto.url, { clientId: 'late-device' });
    const received = new Map<string, Buffer>();
    client.on('message', (topic, payload) => received.set(topic, payload));
    await client.subscribeAsync('edgewatt/v1/lab/+/cmd/model', { qos: 1 });
    await waitFor('three retained assignments', () => received.size === 3, 30_000);
    await client.endAsync();
    const trustedDeploy = [loadTrustedKey(deployKeys.publicKeyPath)];
    for (const period of scheduleOfStored(stored).filter((p) => p.period === 0)) {
      const payload = received.get(`edgewatt/v1/lab/${period.device}/cmd/model`);
      if (payload === undefined) throw new Error(`no assignment for ${period.device}`);
      const assignment = verifyAssignment(new Uint8Array(payload), trustedDeploy, {
        fleet: 'lab',
        device: period.device,
        nowMs: Date.now(),
      });
      expect(assignment.modelId).toBe(period.arm === 'dense' ? dense.modelId : pruned.modelId);
      expect(assignment.tags).toEqual({ experiment: 'live-1', arm: period.arm, placement: 'edge' });
      expect(assignment.deploymentId).toBe('live-1.p0');
      expect(assignment.probationS).toBe(10);
    }
    db.close();
    deployDb.close();
  }, 60_000);

  it('records tagged by the experiment, stored by both collectors, analyse as from the records themselves', async () => {
    const spec = defaultFleetSpec({ boards: 6, ratePerS: 0.05, seed: 11 });
    const fleet = simulateFleet(spec);
    const publisher = await mqtt.connectAsync(stack.mosquitto.url, { clientId: 'sim-fleet' });
    // One batch per run of records with the same tags (the wire carries a tag per batch or per record).
    for (const device of fleet.devices) {
      const records = fleet.records.filter((r) => r.device === device);
      let batch: StoredRecord[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const message = {
          v: PROTOCOL_VERSION as typeof PROTOCOL_VERSION,
          type: 'inference' as const,
          device,
          records: batch.map(({ fleet: _f, device: _d, ...record }) => record),
        };
        await publisher.publishAsync(
          `edgewatt/v1/lab/${device}/inference`,
          Buffer.from(encodeMessage(message)),
          { qos: 1 },
        );
        batch = [];
      };
      for (const record of records) {
        const last = batch.at(-1);
        if (last !== undefined && (last.arm !== record.arm || batch.length >= 200)) await flush();
        batch.push(record);
      }
      await flush();
    }
    await publisher.endAsync();
    const total = fleet.records.length;
    const deadline = Date.now() + 20_000;
    while ((await stack.sqlite.countRecords({ fleet: 'lab' })) < total) {
      if (Date.now() > deadline) throw new Error('SQLite did not get every record');
      await new Promise((r) => setTimeout(r, 100));
    }
    await stack.influx.drained();
    while ((await stack.influx.countRecords({ fleet: 'lab' })) < total) {
      if (Date.now() > deadline) throw new Error('InfluxDB did not get every record');
      await new Promise((r) => setTimeout(r, 100));
    }

    const db = new ExperimentDb(join(dir.path, 'sim-experiments.sqlite'));
    const experiment = experimentOf(spec, fleet.devices);
    db.create(experiment, fleet.devices, fleet.startMs, fleet.startMs);
    const options = { replicates: 500 };
    // Read back as `experiment analyse` does: each store opened read-only through the registry
    // (analyseExperiment asks it whether the store also reads offload records).
    const analyseFrom = async (url: string) => {
      const reader = capability(createStore(url, { readOnly: true }), 'readRecords', 'test');
      await reader.connect();
      try {
        return await analyseExperiment(db, reader, experiment.id, options);
      } finally {
        await reader.close();
      }
    };
    const fromSqlite = await analyseFrom(`sqlite:${stack.sqlite.path}`);
    const fromInflux = await analyseFrom(`influxdb://127.0.0.1:${stack.influxd.port}/edgewatt`);
    // The reference: the same records as the wire rounds them, analysed in memory.
    const reference = analyseRecords(
      { experiment, devices: fleet.devices, startedAtMs: fleet.startMs, endedAtMs: null, replicates: 500 },
      fleet.records.map((r) => ({ ...r, ...quantizeRecord(r) })),
    );
    for (const result of [fromSqlite, fromInflux]) {
      expect(result.perBoardPeriod.map((p) => [p.device, p.period, p.arm, p.n, p.excluded])).toEqual(
        reference.perBoardPeriod.map((p) => [p.device, p.period, p.arm, p.n, p.excluded]),
      );
      const [c, ref] = [result.contrasts[0], reference.contrasts[0]];
      expect(c?.relDiff).toBeCloseTo(ref?.relDiff ?? Number.NaN, 9);
      expect(c?.relLo).toBeCloseTo(ref?.relLo ?? Number.NaN, 9);
      expect(c?.pValue).toBe(ref?.pValue);
      expect(result.arms.map((a) => a.accuracy)).toEqual(reference.arms.map((a) => a.accuracy));
      expect(result.conclusion).toBe(reference.conclusion);
    }
    expect(fromSqlite.contrasts[0]?.significant).toBe(true);
    expect(fromSqlite.conclusion).toMatch(/^pruned uses/);
    db.close();
  }, 60_000);
});
