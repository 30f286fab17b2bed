// A rollout judged on records in a real InfluxDB: a canary board's pre-rollout records (old model)
// and its probation records (new model, 30 % more energy per inference) are written to the store,
// the controller runs the health gate on what it reads back from influxd, rolls the canary back,
// and writes its points; then every panel query of the rollouts dashboard returns data.

import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DeploymentService } from '../../collector/deploy/assign.js';
import { DeployDb } from '../../collector/deploy/deploy-db.js';
import { storeDevices, storeGateData } from '../../collector/deploy/gate-data.js';
import { ModelRegistry } from '../../collector/deploy/registry.js';
import { RolloutController, rollbackId } from '../../collector/deploy/rollout-controller.js';
import { InfluxStore } from '../../collector/store/influx.js';
import { buildDashboards } from '../../dashboards/index.js';
import { PROTOCOL_VERSION } from '../../protocol/index.js';
import { loadTrustedKey } from '../../protocol/manifest/index.js';
import { writeKeys, writeSignedModel } from '../collector/deploy/support.js';
import { makeRecord } from '../protocol/fixtures.js';
import { type Influxd, startInfluxd } from '../support/influxd.js';
import { tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';
import { panelQueries, substituteMacros } from './panels.js';

const DB = 'edgewatt';

describeWith(['influxd'], 'rollout dashboard and health gate on InfluxDB', () => {
  const dir = tempDir('edgewatt-rollout-dash-');
  let influx: Influxd;
  let store: InfluxStore;
  let db: DeployDb;
  const t0Ms = Date.now();

  beforeAll(async () => {
    influx = await startInfluxd();
    store = new InfluxStore(`127.0.0.1:${influx.port}/${DB}`, {
      spoolDir: join(dir.path, 'spool'),
      flushIntervalMs: 50,
    });
    await store.connect();
  }, 60_000);
  afterAll(async () => {
    db?.close();
    await store?.close();
    await influx?.remove();
    dir.remove();
  });

  it('rolls back a canary whose energy regressed, judged on records read back from influxd; every panel answers', async () => {
    const keys = writeKeys(dir.path, 'model');
    const deployKey = writeKeys(dir.path, 'deploy');
    const registry = new ModelRegistry(join(dir.path, 'data'));
    const trusted = [loadTrustedKey(keys.publicKeyPath)];
    const oldId = (
      await registry.add(
        writeSignedModel(join(dir.path, 'old'), keys, { variant: 'old', release: 1, seed: 1 }).dir,
        trusted,
      )
    ).modelId;
    const newId = (
      await registry.add(
        writeSignedModel(join(dir.path, 'new'), keys, { variant: 'new', release: 2, seed: 2 }).dir,
        trusted,
      )
    ).modelId;
    for (const device of ['pi-1', 'pi-2']) {
      await store.writeStatus('lab', {
        v: PROTOCOL_VERSION,
        type: 'status',
        device,
        state: 'online',
        seq: 0,
        atUs: (t0Ms - 700_000) * 1000,
        modelId: oldId,
        variant: 'old',
      });
    }
    // Pre-rollout: 150 records of the old model in the 10 minutes before t0, ~10 mJ each.
    const noise = (i: number) => 1 + 0.04 * Math.sin(i * 1.7);
    const pre = Array.from({ length: 150 }, (_, i) =>
      makeRecord(i, {
        startUs: (t0Ms - 600_000 + i * 1000) * 1000,
        modelId: oldId,
        variant: 'old',
        energyJ: 0.01 * noise(i),
        durationUs: 8000 * noise(i + 3),
      }),
    );
    await store.writeBatch('lab', 'pi-1', pre);
    await store.writeBatch('lab', 'pi-2', pre);
    await store.drained();

    let nowMs = t0Ms;
    db = new DeployDb(join(dir.path, 'data', 'deploy.sqlite'));
    const published: string[] = [];
    const service = new DeploymentService({
      db,
      registry,
      deploymentKey: deployKey.privateKey,
      baseUrl: () => 'http://127.0.0.1:1',
      publish: async (topic, payload) => {
        published.push(`${topic} ${payload.length > 0 ? 'assignment' : 'cleared'}`);
      },
      points: store,
      nowMs: () => nowMs,
    });
    const rollouts = new RolloutController({
      service,
      db,
      listDevices: storeDevices(store),
      gateData: storeGateData(store),
      nowMs: () => nowMs,
      tickMs: 0,
    });
    rollouts.start();
    const { id } = await rollouts.create({
      modelId: newId,
      devices: 'lab/*',
      canary: '1',
      probationS: 200,
      gate: { graceS: 1 },
    });

    let seq = 0;
    const report = (state: 'downloading' | 'probation' | 'committed', atMs: number) =>
      service.handleReport({
        fleet: 'lab',
        device: 'pi-1',
        seq: ++seq,
        atUs: atMs * 1000,
        deploymentId: id,
        modelId: newId,
        release: 2,
        state,
        attempt: 1,
      });
    report('downloading', t0Ms + 1000);
    report('probation', t0Ms + 5000);
    await rollouts.settled();
    // Probation: 150 records of the new model, 30 % more energy per inference.
    const post = Array.from({ length: 150 }, (_, i) =>
      makeRecord(1000 + i, {
        startUs: (t0Ms + 6000 + i * 1000) * 1000,
        modelId: newId,
        variant: 'new',
        energyJ: 0.013 * noise(i),
        durationUs: 8000 * noise(i + 3),
      }),
    );
    await store.writeBatch('lab', 'pi-1', post);
    await store.drained();
    nowMs = t0Ms + 206_000;
    report('committed', nowMs);
    await rollouts.settled();
    nowMs += 1000;
    await rollouts.tick();

    const view = rollouts.get(id);
    expect(view.state).toBe('aborted');
    const gate = view.log.find((l) => l.line.startsWith('health gate lab/pi-1'))?.line ?? '';
    expect(gate).toMatch(
      /REGRESSION .* energyPerInferenceJ: 10\.\d+ mJ → 13\.\d+ mJ \(\+30\.\d %.* n 150\/150\) regressed/,
    );
    expect(view.devices.map((d) => [d.device, d.phase])).toEqual([
      ['pi-1', 'reverting'],
      ['pi-2', 'skipped'],
    ]);
    expect(published).toEqual([
      'edgewatt/v1/lab/pi-1/cmd/model assignment',
      'edgewatt/v1/lab/pi-1/cmd/model assignment',
    ]);
    service.handleReport({
      fleet: 'lab',
      device: 'pi-1',
      seq: ++seq,
      atUs: nowMs * 1000,
      deploymentId: rollbackId(id),
      modelId: oldId,
      release: 1,
      state: 'committed',
      attempt: 1,
    });
    await rollouts.settled();
    rollouts.stop();
    await store.drained();

    const dashboard = buildDashboards().find((d) => d.path.includes('rollouts'));
    expect(dashboard, 'the rollouts dashboard exists').toBeDefined();
    const queries = panelQueries(dashboard?.json ?? {});
    expect(queries.length).toBe(6);
    const range = { fromMs: t0Ms - 3_600_000, toMs: t0Ms + 3_600_000 };
    const empty: string[] = [];
    for (const q of queries) {
      const series = await influx.query(DB, substituteMacros(q.query, range));
      const hasValue = series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null)));
      if (!hasValue) empty.push(`${q.panel}: ${q.query}`);
    }
    expect(empty).toEqual([]);
    const phases = await influx.query(DB, `SELECT last("phase") FROM "rollout_device" GROUP BY "device"`);
    expect(phases.map((s) => [s.tags?.device, s.values[0]?.[1]]).sort()).toEqual([
      ['pi-1', 'reverted'],
      ['pi-2', 'skipped'],
    ]);
    const gateRows = await influx.query(
      DB,
      `SELECT "change", "regressed" FROM "rollout_gate" WHERE "metric" = 'energyPerInferenceJ'`,
    );
    expect(gateRows[0]?.values[0]?.[2]).toBe(true);
    expect(Number(gateRows[0]?.values[0]?.[1])).toBeCloseTo(0.3, 1);
  }, 60_000);
});
