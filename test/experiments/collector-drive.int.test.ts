// The collector drives an experiment: `edgewatt registry add` the two models, `edgewatt experiment
// start`, then `edgewatt collector --deployment-key` (real processes, real Mosquitto) publishes each
// board's arm as a signed, retained, tagged assignment. Run `npm run build` first.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyAssignment } from '../../protocol/deploy/index.js';
import { loadTrustedKey } from '../../protocol/manifest/index.js';
import { writeKeys, writeSignedModel } from '../collector/deploy/support.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { runCli } from '../support/process.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

async function cli(args: string[]) {
  const run = runCli(args);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describeWith(['mosquitto'], 'the collector drives an experiment', () => {
  const dir = tempDir('edgewatt-experiment-drive-');
  let mosquitto: Mosquitto;
  beforeAll(async () => {
    mosquitto = await startMosquitto();
  });
  afterAll(async () => {
    await mosquitto?.remove();
    dir.remove();
  });

  it('publishes the scheduled arm of every board, signed, retained and tagged', async () => {
    const dataDir = join(dir.path, 'collector');
    const modelKeys = writeKeys(dir.path, 'model');
    const deployKeys = writeKeys(dir.path, 'deploy');
    const dense = writeSignedModel(join(dir.path, 'dense'), modelKeys, {
      variant: 'dense',
      release: 1,
      seed: 1,
    });
    const pruned = writeSignedModel(join(dir.path, 'pruned'), modelKeys, {
      variant: 'pruned',
      release: 1,
      seed: 2,
    });
    const added = await cli([
      'registry',
      'add',
      dense.dir,
      pruned.dir,
      '--data-dir',
      dataDir,
      '--trusted-key',
      modelKeys.publicKeyPath,
    ]);
    expect(added.code, added.stderr).toBe(0);
    const file = join(dir.path, 'exp.yaml');
    writeFileSync(
      file,
      `id: drive-cli\nfleet: lab\ndevices: [pi-1, pi-2]\narms:\n  - { id: dense, model: "${dense.modelId}" }\n  - { id: pruned, model: "${pruned.modelId}" }\nperiodS: 600\nperiods: 2\nprobationS: 15\n`,
    );
    const started = await cli(['experiment', 'start', file, '--data-dir', dataDir]);
    expect(started.code, started.stderr).toBe(0);

    const collector = runCli([
      'collector',
      '--broker',
      mosquitto.url,
      '--store',
      `sqlite:${join(dir.path, 'records.sqlite')}`,
      '--data-dir',
      dataDir,
      '--deployment-key',
      deployKeys.privateKeyPath,
      '--registry-url',
      'https://collector.test:8787',
      '--stats-interval',
      '0',
    ]);
    const device = await mqtt.connectAsync(mosquitto.url, { clientId: 'watcher' });
    const received = new Map<string, Buffer>();
    const latest = new Map<string, Buffer>();
    device.on('message', (topic, payload) => {
      if (!received.has(topic)) received.set(topic, payload); // the first: the experiment's
      latest.set(topic, payload);
    });
    const placementsSeen: { topic: string; payload: string }[] = [];
    device.on('message', (topic, payload) => {
      if (topic.endsWith('/cmd/placement')) placementsSeen.push({ topic, payload: String(payload) });
    });
    await device.subscribeAsync(['edgewatt/v1/lab/+/cmd/model', 'edgewatt/v1/lab/+/cmd/placement'], {
      qos: 1,
    });
    let exit: Awaited<typeof collector.exited>;
    let restored: { boards: { restore: string | null }[] };
    try {
      await waitFor('two assignments and two placement commands', () => received.size === 4, 20_000);
      // `experiment stop` (another process) while the collector runs: the collector puts the boards
      // back. Neither had a model or placement command before, so each keeps its arm's model, untagged,
      // and its placement command is cleared (an empty retained payload).
      const stopped = await cli(['experiment', 'stop', 'drive-cli', '--data-dir', dataDir]);
      expect(stopped.code, stopped.stderr).toBe(0);
      await waitFor(
        'both placement commands cleared',
        () => placementsSeen.filter((p) => p.payload === '').length === 2,
        20_000,
      );
      const status = await cli(['experiment', 'status', 'drive-cli', '--data-dir', dataDir, '--json']);
      restored = JSON.parse(status.stdout);
    } finally {
      await device.endAsync();
      collector.child.kill('SIGTERM');
      exit = await collector.exited;
    }
    expect(exit, collector.stderr()).toEqual({ code: 0, signal: null }); // the driver stops with it
    const trusted = [loadTrustedKey(deployKeys.publicKeyPath)];
    const arms: string[] = [];
    for (const name of ['pi-1', 'pi-2']) {
      const placement = placementsSeen.find((p) => p.topic === `edgewatt/v1/lab/${name}/cmd/placement`);
      expect(JSON.parse(placement?.payload ?? '{}')).toMatchObject({
        v: 1,
        placement: 'edge',
        experiment: 'drive-cli',
      });
    }
    expect(restored.boards.map((b) => b.restore)).toEqual([
      expect.stringMatching(
        /^pre-experiment model unknown: kept [0-9a-f]{12}, experiment tags cleared; placement command cleared/,
      ),
      expect.stringMatching(
        /^pre-experiment model unknown: kept [0-9a-f]{12}, experiment tags cleared; placement command cleared/,
      ),
    ]);
    for (const name of ['pi-1', 'pi-2']) {
      const payload = received.get(`edgewatt/v1/lab/${name}/cmd/model`);
      if (payload === undefined) throw new Error(`no assignment for ${name}`);
      const a = verifyAssignment(new Uint8Array(payload), trusted, {
        fleet: 'lab',
        device: name,
        nowMs: Date.now(),
      });
      expect(a.deploymentId).toBe('drive-cli.p0');
      expect(a.probationS).toBe(15);
      expect(a.modelId).toBe(a.tags?.arm === 'dense' ? dense.modelId : pruned.modelId);
      expect(a.tags?.experiment).toBe('drive-cli');
      arms.push(a.tags?.arm ?? '');
      const back = verifyAssignment(
        new Uint8Array(latest.get(`edgewatt/v1/lab/${name}/cmd/model`) ?? Buffer.alloc(0)),
        trusted,
        { fleet: 'lab', device: name, nowMs: Date.now() },
      );
      expect([back.deploymentId, back.modelId, back.tags]).toEqual([
        'drive-cli.restore',
        a.modelId,
        undefined,
      ]);
    }
    const status = await cli(['experiment', 'status', 'drive-cli', '--data-dir', dataDir, '--json']);
    const parsed = JSON.parse(status.stdout) as {
      assignmentsPublished: number;
      boards: { assignedArm: string }[];
    };
    expect(parsed.assignmentsPublished).toBe(2);
    expect(parsed.boards.map((b) => b.assignedArm)).toEqual(arms);
  }, 60_000);
});
