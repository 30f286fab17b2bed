// `--placement auto` end to end with real processes: Mosquitto, the collector (`edgewatt
// collector` with --placement-scenario), an agent in `--placement auto` and `edgewatt serve`.
// The store holds records of the device that make offloading cheaper (costly edge inferences,
// cheap offloads, on a low-carbon grid where the device's operational energy decides); the
// operator runs `edgewatt placement set auto`; the collector computes the basis from those
// records and publishes it retained; the agent then offloads with policy `auto-comparison`. Then
// costly offload records arrive through the broker, the collector's next refresh favours the edge,
// and the agent stops offloading.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { encodeMessage } from '../../protocol/index.js';
import { decodePlacementCommand, type PlacementCommand } from '../../protocol/placement.js';
import { makeRecord } from '../protocol/fixtures.js';
import { makeOffloadRecord } from '../protocol/offload-fixtures.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { freePort, waitForPort } from '../support/ports.js';
import { type Running, runCli, startCollectorProcess } from '../support/process.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

const ZOO_MODEL = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));
/** The zoo CNN's id (its manifest's): the model the agent reports, and the records' model. */
const MODEL_ID = 'f6f5fc5a9f2b73b52ec6bbd4ccabf07efd2064c83a4d5fedbe3120538018cf25';
const DEVICE = 'pi-auto';
const TOKEN = 'placement-api-token-0123';

/** The basis template: the scenario's values are the fallback of a side without records. */
const SCENARIO = `name: auto-int
samples: 2000
workload: { inferencesPerDay: 20000, inputBytes: 3136, outputBytes: 40 }
device: { profile: rpi4, region: FR, lifetimeYears: 5, energyJ: 0.05 }
network: { profile: wifi, rttS: 0.05 }
datacenter: { profile: cpu-server, powerW: 20, region: FR, pue: hyperscale, energyJ: 0.004 }
`;

describeWith(['mosquitto'], 'auto placement: the collector’s basis drives a real agent', () => {
  const dir = tempDir('edgewatt-auto-placement-');
  const storePath = join(dir.path, 'records.sqlite');
  let mosquitto: Mosquitto;
  let collector: Running;
  let serve: Running;
  let agent: Running | undefined;
  let apiUrl: string;
  let serverUrl: string;
  let watcher: mqtt.MqttClient;
  const commands: PlacementCommand[] = [];

  /** Rows of the store, read with a read-only connection of our own. */
  const query = <T>(sql: string): T => {
    const db = new Database(storePath, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).get(DEVICE) as T;
    } finally {
      db.close();
    }
  };
  const offloads = (policy: string) =>
    query<{ n: number }>(`SELECT COUNT(*) AS n FROM offload WHERE device = ? AND policy = '${policy}'`).n;
  /** The agent's own edge records (the history written by the test has variant `history`). */
  const edgeRecords = () =>
    query<{ n: number }>("SELECT COUNT(*) AS n FROM inference WHERE device = ? AND variant IS NOT 'history'")
      .n;

  beforeAll(async () => {
    // Before anything runs: the device's history. Costly edge inferences (0.5 J), cheap answered
    // offloads (5 mJ on the device, 1 mJ on the server), recent, with the agent's sensor kind.
    const nowUs = Date.now() * 1000;
    const store = new SqliteStore(storePath);
    await store.connect();
    const base = { modelId: MODEL_ID, variant: 'history', sensor: 'simulated:rpi4' } as const;
    await store.writeBatch(
      'lab',
      DEVICE,
      Array.from({ length: 200 }, (_, i) =>
        makeRecord(1_000_000 + i, {
          ...base,
          energyJ: 0.5,
          provenance: 'estimated',
          startUs: nowUs - 60e6 + i * 1000,
        }),
      ),
    );
    await store.writeOffload(
      'lab',
      DEVICE,
      Array.from({ length: 200 }, (_, i) =>
        makeOffloadRecord(1_000_200 + i, {
          ...base,
          deviceEnergyJ: 0.005,
          serverEnergyJ: 0.001,
          serverRegion: 'FR',
          serverPueClass: 'hyperscale',
          energyProvenance: 'estimated',
          startUs: nowUs - 50e6 + i * 1000,
        }),
      ),
    );
    await store.close();
    const scenarioPath = join(dir.path, 'scenario.yaml');
    writeFileSync(scenarioPath, SCENARIO);

    const [httpPort, servePort] = [await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${httpPort}`;
    serverUrl = `http://127.0.0.1:${servePort}`;
    mosquitto = await startMosquitto();
    [collector] = await Promise.all([
      startCollectorProcess([
        ...[
          '--broker',
          mosquitto.url,
          '--store',
          `sqlite:${storePath}`,
          '--data-dir',
          join(dir.path, 'data'),
        ],
        ...['--http', `127.0.0.1:${httpPort}`, '--api-token', TOKEN],
        ...['--placement-scenario', scenarioPath, '--placement-basis-every', '1s'],
      ]),
      (async () => {
        serve = runCli([
          'serve',
          ...['--model', ZOO_MODEL, '--listen', `127.0.0.1:${servePort}`, '--insecure-no-auth'],
          ...[
            '--energy',
            'estimated',
            '--server-id',
            'dc-int',
            '--grid-region',
            'FR',
            '--pue-class',
            'hyperscale',
          ],
        ]);
        await waitForPort(servePort, 'edgewatt serve', 30_000);
      })(),
    ]);
    watcher = await mqtt.connectAsync(mosquitto.url, { clientId: 'placement-watcher' });
    watcher.on('message', (_topic, payload) => {
      const decoded = decodePlacementCommand(payload);
      if (decoded.ok && decoded.value !== null) commands.push(decoded.value);
    });
    await watcher.subscribeAsync(`edgewatt/v1/lab/${DEVICE}/cmd/placement`, { qos: 1 });
  }, 60_000);

  afterAll(async () => {
    agent?.child.kill('SIGKILL');
    serve?.child.kill('SIGKILL');
    collector?.child.kill('SIGTERM');
    await collector?.exited;
    await watcher?.endAsync();
    await mosquitto?.remove();
    dir.remove();
  });

  const cli = async (args: readonly string[]) => {
    const run = runCli([...args, '--api', apiUrl], { EDGEWATT_API_TOKEN: TOKEN });
    const { code } = await run.exited;
    if (code !== 0) throw new Error(`edgewatt ${args.join(' ')} exited ${code}:\n${run.stderr()}`);
    return run.stdout();
  };

  it('offloads once the collector’s basis says offloading emits less, and stops when it favours the edge', async () => {
    agent = runCli([
      'agent',
      ...['--broker', mosquitto.url, '--fleet', 'lab', '--device', DEVICE],
      ...['--sensor', 'simulated:rpi4', '--backend', 'wasm', '--model', ZOO_MODEL],
      ...['--rate', '20', '--warmup', '0', '--flush-ms', '50', '--state-dir', join(dir.path, 'agent')],
      ...['--placement', 'auto', '--offload-server', serverUrl, '--offload-max-rtt-ms', '5000'],
    ]);
    // Auto without a command runs on the edge; its status tells the collector the model it runs.
    await waitFor('the agent’s first edge records', () => edgeRecords() > 0, 30_000);
    expect(offloads('auto-comparison')).toBe(0);

    await cli(['placement', 'set', 'auto', '--devices', `lab/${DEVICE}`]);
    const favours = (c: PlacementCommand) => c.basis !== undefined && c.basis.offloadG < c.basis.edgeG;
    await waitFor(
      'a retained auto command whose basis favours offloading',
      () => commands.some(favours),
      10_000,
    );
    const favoured = commands.find(favours);
    expect(favoured?.reason).toMatch(
      /edge .* \(measured, \d+ records\) vs offload .* \(measured, \d+ records\)/,
    );
    await waitFor('offloads chosen by the comparison', () => offloads('auto-comparison') >= 5, 20_000);

    const status = JSON.parse(await cli(['placement', 'status', '--json'])) as {
      device: string;
      owner: string;
      placement: string;
      basis: { ageS: number; provenance: { edgeSource: string; offloadSource: string } } | null;
    }[];
    expect(status).toMatchObject([{ device: DEVICE, owner: 'operator', placement: 'auto' }]);
    expect(status[0]?.basis?.provenance).toMatchObject({ edgeSource: 'measured', offloadSource: 'measured' });
    expect(status[0]?.basis?.ageS).toBeLessThan(30);

    // Costly offloads (50 J on the device each) arrive through the broker like any device's.
    const nowUs = Date.now() * 1000;
    const costly = Array.from({ length: 200 }, (_, i) =>
      makeOffloadRecord(2_000_000 + i, {
        modelId: MODEL_ID,
        variant: 'history',
        sensor: 'simulated:rpi4',
        energyProvenance: 'estimated',
        deviceEnergyJ: 50,
        serverRegion: 'FR',
        serverPueClass: 'hyperscale',
        startUs: nowUs + i * 1000,
      }),
    );
    const publisher = await mqtt.connectAsync(mosquitto.url, { clientId: 'history' });
    await publisher.publishAsync(
      `edgewatt/v1/lab/${DEVICE}/offload`,
      Buffer.from(encodeMessage({ v: 1, type: 'offload', device: DEVICE, records: costly })),
      { qos: 1 },
    );
    await publisher.endAsync();
    await waitFor(
      'a refreshed basis that favours the edge',
      () => commands.some((c) => c.basis !== undefined && c.basis.edgeG < c.basis.offloadG),
      20_000,
    );
    // Once the agent runs new inputs on the edge again, no further offload is chosen.
    const edgeAtSwitch = edgeRecords();
    await waitFor('edge inferences after the switch', () => edgeRecords() >= edgeAtSwitch + 10, 20_000);
    const offloadedBefore = offloads('auto-comparison');
    await waitFor('more edge inferences', () => edgeRecords() >= edgeAtSwitch + 30, 20_000);
    expect(offloads('auto-comparison')).toBe(offloadedBefore);
  }, 90_000);
});
