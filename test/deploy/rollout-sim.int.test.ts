// Rollouts end to end with SIMULATED devices (test/support/sim-deploy-agent.ts: the real protocol,
// no model) through a real Mosquitto and a real `edgewatt collector` process: the CLI adds signed
// models to the registry and starts rollouts; devices download from the registry with the login
// provision-device made. A canary passes probation and the gate, the rest follow; a device offline
// during the rollout times out and converges when it comes back; a canary whose model spends 30 %
// more energy per inference is rolled back automatically. Every record published is stored once.

import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeKeys, writeSignedModel } from '../collector/deploy/support.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import type { Running } from '../support/process.js';
import {
  type RolloutView,
  registryAddArgs,
  rolloutApi,
  rolloutCli,
  rolloutStartArgs,
  startRolloutCollector,
} from '../support/rollout.js';
import { publicKeyOf, SimDeployAgent } from '../support/sim-deploy-agent.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

const TOKEN = 'rollout-e2e-token-0123456789';
const DEVICES = ['pi-1', 'pi-2', 'pi-3'];

describeWith(['mosquitto'], 'rollouts with simulated devices, real Mosquitto and collector', () => {
  const dir = tempDir('edgewatt-rollout-e2e-');
  let mosquitto: Mosquitto;
  let collector: Running;
  let api = '';
  const agents = new Map<string, SimDeployAgent>();
  const published = new Map<string, Set<number>>();
  const passwords = new Map<string, string>();
  let models: { a: string; b: string; slow: string };
  const deployKey = () => createPrivateKey(readFileSync(join(dir.path, 'deploy.key.pem')));

  const cli = rolloutCli(TOKEN, dir.path);
  const waitRollout = (id: string, what: string, ok: (v: RolloutView) => boolean) =>
    rolloutApi(api, TOKEN).waitRollout(id, what, ok);
  const startAgent = async (device: string, modelId: string) => {
    const before = agents.get(device);
    const agent = new SimDeployAgent({
      broker: mosquitto.url,
      fleet: 'lab',
      device,
      username: `lab.${device}`,
      password: passwords.get(device) ?? '',
      deploymentKey: publicKeyOf(deployKey()),
      modelId,
      energyJ: { [models.a]: 0.01, [models.b]: 0.0101, [models.slow]: 0.013 },
      rate: 100,
      batch: 10,
      firstSeq: before?.nextSeq ?? 0,
    });
    agents.set(device, agent);
    const seen = published.get(device) ?? new Set<number>();
    for (const seq of before?.published ?? []) seen.add(seq);
    published.set(device, seen);
    await agent.start();
    return { agent, seen };
  };

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    const keys = writeKeys(dir.path, 'model');
    writeKeys(dir.path, 'deploy');
    models = {
      a: writeSignedModel(join(dir.path, 'm-a'), keys, { variant: 'a', release: 1, seed: 1 }).modelId,
      b: writeSignedModel(join(dir.path, 'm-b'), keys, {
        variant: 'b',
        release: 2,
        seed: 2,
        weightBytes: 200_000,
      }).modelId,
      slow: writeSignedModel(join(dir.path, 'm-slow'), keys, { variant: 'b-slow', release: 3, seed: 3 })
        .modelId,
    };
    await cli(registryAddArgs(['m-a', 'm-b', 'm-slow']));
    writeFileSync(
      join(dir.path, 'devices.csv'),
      `fleet,device\n${DEVICES.map((d) => `lab,${d}`).join('\n')}\n`,
    );
    await cli(['provision-device', '--csv', 'devices.csv', '--out', 'prov']);
    for (const device of DEVICES) {
      const agentFile = join(dir.path, 'prov', `lab.${device}.agent.json`);
      passwords.set(device, JSON.parse(readFileSync(agentFile, 'utf8')).agent.password);
    }
    ({ collector, api } = await startRolloutCollector({
      cwd: dir.path,
      broker: mosquitto.url,
      token: TOKEN,
      deploymentKey: 'deploy.key.pem',
      registryPasswd: 'prov/mosquitto.passwd',
    }));
    for (const device of DEVICES) await startAgent(device, models.a);
  }, 60_000);

  afterAll(async () => {
    for (const agent of agents.values()) await agent.stop();
    collector?.child.kill('SIGINT');
    await collector?.exited;
    await mosquitto?.remove();
    dir.remove();
  });

  /** Records of `device` in the collector's store (read-only, beside the running collector). */
  const stored = (device: string): number => {
    const db = new Database(join(dir.path, 'store.sqlite'), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM inference WHERE device = ?').get(device) as { n: number })
        .n;
    } finally {
      db.close();
    }
  };

  it('canary passes, the rest follow; a device offline during the rollout converges later', async () => {
    // A pre-rollout period of 250 stored records per board (the gate needs 40 in each period): waited
    // for, not slept for, since a loaded machine stores fewer per second.
    await waitFor('250 stored records of each board', () => DEVICES.every((d) => stored(d) >= 250), 30_000);
    await agents.get('pi-3')?.stop();
    const started = JSON.parse(
      await cli(rolloutStartArgs({ api, model: models.b, inProgressTimeout: '4s', gatePreWindow: '60s' })),
    ) as RolloutView;
    const view = await waitRollout(started.id, 'the rollout to finish', (v) => v.state === 'finished');
    expect(view.devices.map((d) => d.phase)).toEqual(['succeeded', 'succeeded', 'timed-out']);
    expect(view.note).toBe('1 device(s) did not commit: lab/pi-3 timed-out');
    expect(
      view.log.some((l) => /^health gate lab\/pi-1: pass — .*energyPerInferenceJ: .* ok/.test(l.line)),
    ).toBe(true);
    await startAgent('pi-3', models.a);
    const late = await waitRollout(
      started.id,
      'pi-3 to converge',
      (v) => v.devices[2]?.phase === 'succeeded',
    );
    expect(
      late.log.some(
        (l) => l.line === 'lab/pi-3: committed after probation (late: it had timed out; it converged)',
      ),
    ).toBe(true);
    expect([...agents.values()].map((a) => a.modelId)).toEqual([models.b, models.b, models.b]);
    const text = await cli(['rollout', 'status', started.id, '--api', api]);
    expect(text).toContain(`rollout ${started.id}: finished`);
    expect(text).toMatch(/lab\/pi-3\s+1\s+succeeded\s+committed/);
  }, 60_000);

  it('a canary whose energy regresses is rolled back to its previous model automatically', async () => {
    // 150 more records of the canary on model b, stored, for the gate's pre-rollout period.
    const storedBefore = stored('pi-1');
    await waitFor('150 more stored records of pi-1', () => stored('pi-1') >= storedBefore + 150, 30_000);
    const started = JSON.parse(
      await cli(
        rolloutStartArgs({ api, model: models.slow, inProgressTimeout: '10s', gatePreWindow: '20s' }),
      ),
    ) as RolloutView;
    const view = await waitRollout(
      started.id,
      'the canary to be reverted',
      (v) => v.devices[0]?.phase === 'reverted',
    );
    expect(view.state).toBe('aborted');
    expect(view.note).toBe('health gate: lab/pi-1 regressed beyond the margin');
    expect(view.devices.map((d) => d.phase)).toEqual(['reverted', 'skipped', 'skipped']);
    const gate = view.log.find((l) => l.line.startsWith('health gate lab/pi-1'))?.line ?? '';
    expect(gate).toMatch(/REGRESSION .*energyPerInferenceJ: 10\.\d+ mJ → 13\.\d+ mJ \(\+2\d\.\d %/);
    expect([...agents.values()].map((a) => a.modelId)).toEqual([models.b, models.b, models.b]);
    expect(
      agents
        .get('pi-1')
        ?.states.filter((s) => s.deploymentId === `${started.id}-rb`)
        .map((s) => s.state),
    ).toEqual(['downloading', 'verifying', 'loading', 'switching', 'probation', 'committed']);
  }, 60_000);

  it('stores every published record once: nothing lost, nothing duplicated', async () => {
    for (const agent of agents.values()) await agent.stop();
    const db = new Database(join(dir.path, 'store.sqlite'), { readonly: true });
    try {
      for (const device of DEVICES) {
        const want = published.get(device) ?? new Set<number>();
        for (const agent of [agents.get(device)]) for (const seq of agent?.published ?? []) want.add(seq);
        await waitFor(
          `${device}'s records`,
          () =>
            (db.prepare('SELECT count(*) AS n FROM inference WHERE device = ?').get(device) as { n: number })
              .n >= want.size,
          30_000,
        );
        const rows = db.prepare('SELECT seq FROM inference WHERE device = ? ORDER BY seq').all(device) as {
          seq: number;
        }[];
        expect(rows.length, device).toBe(want.size);
        expect(new Set(rows.map((r) => r.seq)), device).toEqual(want);
      }
    } finally {
      db.close();
    }
  }, 90_000);
});
