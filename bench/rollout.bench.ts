// `npm run bench:rollout`: time from `rollout start` to every device committed, for 3 and for 50
// SIMULATED devices (test/support/sim-deploy-agent.ts: the real protocol over a real Mosquitto, no
// model), against a real `edgewatt collector` process; and the registry's download throughput
// (one 64 MiB artifact file, HTTP Basic with a provision-device login, 3 runs). Canary 10 %, then
// the rest; probation 1 s on each device, health gate on (grace 1 s).

import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { callApi } from '../cli/commands/rollout.js';
import { writeKeys, writeSignedModel } from '../test/collector/deploy/support.js';
import { startMosquitto } from '../test/support/mosquitto.js';
import { registryAddArgs, rolloutApi, rolloutCli, startRolloutCollector } from '../test/support/rollout.js';
import { SimDeployAgent } from '../test/support/sim-deploy-agent.js';
import { tempDir } from '../test/support/stack.js';
import { machineLine } from './machine.js';

const TOKEN = 'bench-rollout-token-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  console.log(
    `machine: ${machineLine()}; load average at start ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  const dir = tempDir('edgewatt-bench-rollout-');
  const cli = rolloutCli(TOKEN, dir.path);
  const mosquitto = await startMosquitto();
  const keys = writeKeys(dir.path, 'model');
  writeKeys(dir.path, 'deploy');
  const a = writeSignedModel(join(dir.path, 'm-a'), keys, { variant: 'a', release: 1, seed: 1 }).modelId;
  const b = writeSignedModel(join(dir.path, 'm-b'), keys, {
    variant: 'b',
    release: 2,
    seed: 2,
    weightBytes: 1_000_000,
  });
  const big = writeSignedModel(join(dir.path, 'm-big'), keys, {
    variant: 'big',
    release: 1,
    seed: 4,
    weightBytes: 64 * 2 ** 20,
  });
  await cli(registryAddArgs(['m-a', 'm-b', 'm-big']));
  const devices = Array.from({ length: 50 }, (_, i) => `d${String(i).padStart(2, '0')}`);
  writeFileSync(
    join(dir.path, 'devices.csv'),
    `fleet,device\n${[...devices, 'big'].map((d) => `lab,${d}`).join('\n')}\n`,
  );
  await cli(['provision-device', '--csv', 'devices.csv', '--out', 'prov']);
  const password = (d: string) =>
    JSON.parse(readFileSync(join(dir.path, 'prov', `lab.${d}.agent.json`), 'utf8')).agent.password as string;
  const { collector, api } = await startRolloutCollector({
    cwd: dir.path,
    broker: mosquitto.url,
    token: TOKEN,
    deploymentKey: 'deploy.key.pem',
    registryPasswd: 'prov/mosquitto.passwd',
  });
  const { status } = rolloutApi(api, TOKEN);
  const deploymentKey = createPublicKey(createPrivateKey(readFileSync(join(dir.path, 'deploy.key.pem'))));

  for (const count of [3, 50]) {
    const fleet = devices.slice(0, count);
    const agents = fleet.map(
      (device) =>
        new SimDeployAgent({
          broker: mosquitto.url,
          fleet: 'lab',
          device,
          username: `lab.${device}`,
          password: password(device),
          deploymentKey,
          modelId: a,
          energyJ: { [a]: 0.01, [b.modelId]: 0.0101 },
          rate: count === 3 ? 100 : 20,
          batch: 10,
        }),
    );
    for (const agent of agents) await agent.start();
    await sleep(4000); // a pre-rollout period for the gate
    const t0 = performance.now();
    const started = (await callApi({ api, apiToken: TOKEN }, 'POST', '/v1/rollouts', {
      modelId: b.modelId,
      devices: fleet.map((d) => `lab/${d}`).join(','),
      canary: '10%',
      probationS: 1,
      gate: { graceS: 1, minRecords: 20 },
    })) as { id: string };
    let view = await status(started.id);
    while (view.state === 'running') {
      await sleep(50);
      view = await status(started.id);
    }
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `${count} simulated devices: rollout start → ${view.state} (${view.note}) in ${seconds.toFixed(2)} s; agents switched: ${agents.filter((x) => x.modelId === b.modelId).length}/${count}`,
    );
    for (const agent of agents) await agent.stop();
    await sleep(500);
  }

  const auth = `Basic ${Buffer.from(`lab.big:${password('big')}`).toString('base64')}`;
  for (let run = 1; run <= 3; run++) {
    const t0 = performance.now();
    const bytes = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${api}/v1/registry/artifacts/${big.modelId}/weights.bin`,
        { headers: { authorization: auth } },
        (res) => {
          let n = 0;
          res.on('data', (c: Buffer) => {
            n += c.length;
          });
          res.on('end', () => resolve(n));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const s = (performance.now() - t0) / 1000;
    console.log(
      `registry download run ${run}: ${(bytes / 2 ** 20).toFixed(0)} MiB in ${s.toFixed(2)} s = ${(bytes / 2 ** 20 / s).toFixed(0)} MiB/s`,
    );
  }
  console.log(
    `load average at end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  collector.child.kill('SIGINT');
  await collector.exited;
  await mosquitto.remove();
  dir.remove();
}

await main();
