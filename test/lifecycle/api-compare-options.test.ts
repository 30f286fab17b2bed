// The HTTP API takes what `edgewatt compare` takes besides the scenario (issue 13): ?skipFirst=<n>
// drops each device and model's first n records from `measured` values (--skip-first), and a
// scenario naming a model takes its training energy from the manifests of the collector's --models
// folder. Each answer is checked against runComparison(), the function the command runs.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSkipFirst } from '../../collector/api/compare.js';
import { runComparison } from '../../collector/api/run-compare.js';
import { type ApiServer, startApi } from '../../collector/api/server.js';
import { parseScenario } from '../../collector/lifecycle/index.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import type { InferenceRecord } from '../../protocol/index.js';
import type { StepEnergy } from '../../protocol/manifest/index.js';
import { EXAMPLES, measuredRecord, tempDir } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are checked field by field below
const json = async (response: Response): Promise<any> => response.json();
const ROOT = join(import.meta.dirname, '..', '..');

/** Five warm-up inferences (graph compilation: 0.5 J each), then twenty steady ones at exactly 6 mJ. */
const WARM = 5;
const STEADY_J = 0.006;
const record = (seq: number): InferenceRecord => measuredRecord(seq, seq < WARM ? 0.5 : STEADY_J);

const training: StepEnergy = {
  energyJ: 36_000,
  lowJ: 18_000,
  highJ: 54_000,
  provenance: 'measured',
  method: 'rapl',
  wallS: 10,
  cpuS: 20,
  note: 'measured: RAPL',
};

const measuredYaml = readFileSync(join(EXAMPLES, 'pi4-measured.yaml'), 'utf8').replace(
  'samples: 20000',
  'samples: 200',
);
/** The example scenario naming the device's model, with a training block: trainingJ must come from a manifest. */
const trainingYaml = `
samples: 200
seed: 3
workload: { inferencesPerDay: 20000, inputBytes: 3136, outputBytes: 40 }
device: { profile: rpi4, region: BE, energyJ: 0.006, lifetimeYears: 5, model: cnn-base }
offloadDevice: { profile: esp32, lifetimeYears: 5 }
network: { profile: wifi, rttS: 0.05 }
datacenter: { profile: gpu-server, region: US, pue: hyperscale, energyJ: 0.00833 }
training: { gPerKWh: 200, fleetInferences: 100000000 }
`;

describe('HTTP API /v1/compare takes compare’s --skip-first and --models', () => {
  const dir = tempDir();
  const storeUrl = `sqlite:${join(dir.path, 'store.sqlite')}`;
  const modelsDir = join(dir.path, 'models');
  const scenariosDir = join(dir.path, 'scenarios');
  let api: ApiServer;
  let noModels: ApiServer;

  beforeAll(async () => {
    const store = new SqliteStore(join(dir.path, 'store.sqlite'));
    await store.connect();
    await store.writeBatch(
      'lab',
      'pi4-kitchen',
      Array.from({ length: WARM + 20 }, (_, seq) => record(seq)),
    );
    await store.close();
    const manifest = JSON.parse(
      readFileSync(join(ROOT, 'models', 'zoo', 'cnn-base', 'manifest.json'), 'utf8'),
    );
    mkdirSync(join(modelsDir, 'cnn-base'), { recursive: true });
    writeFileSync(
      join(modelsDir, 'cnn-base', 'manifest.json'),
      JSON.stringify({ ...manifest, trainingEnergy: training }),
    );
    mkdirSync(scenariosDir);
    writeFileSync(join(scenariosDir, 'measured.yaml'), measuredYaml);
    api = await startApi({ port: 0, scenariosDir, storeUrl, modelsDir });
    noModels = await startApi({ port: 0, scenariosDir, storeUrl });
  });
  afterAll(async () => {
    await api.close();
    await noModels.close();
    dir.remove();
  });

  const post = (server: ApiServer, body: string, query = '') =>
    fetch(`${server.url}/v1/compare${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body,
    });

  it('POST ?skipFirst=5 drops the warm-up: the measured energy is the steady 6 mJ, as compare --skip-first 5 gives', async () => {
    const body = await json(await post(api, measuredYaml, `?skipFirst=${WARM}`));
    expect(body.measurement.records).toBe(20);
    expect(body.measurement.skippedFirst).toBe(WARM);
    expect(body.provenance['device.energyJ'].central).toBeCloseTo(STEADY_J, 12);
    const cli = await runComparison(parseScenario(measuredYaml), storeUrl, { skipFirst: WARM });
    expect(body).toEqual(JSON.parse(JSON.stringify(cli)));
    // Without it the five 0.5 J warm-up inferences are averaged in (the trap of issue 13).
    const naive = await json(await post(api, measuredYaml));
    expect(naive.measurement.records).toBe(WARM + 20);
    expect(naive.provenance['device.energyJ'].central).toBeGreaterThan(10 * STEADY_J);
  });

  it('GET ?scenario=<name>&skipFirst=5 does the same for a stored scenario', async () => {
    const body = await json(await fetch(`${api.url}/v1/compare?scenario=measured&skipFirst=${WARM}`));
    expect(body.measurement.records).toBe(20);
    expect(body.provenance['device.energyJ'].central).toBeCloseTo(STEADY_J, 12);
  });

  it('refuses a skipFirst that is not a whole number ≥ 0 with a 400 that names it', async () => {
    for (const bad of ['-1', '2.5', 'ten', '99999999999']) {
      const viaPost = await post(api, measuredYaml, `?skipFirst=${encodeURIComponent(bad)}`);
      expect(viaPost.status).toBe(400);
      expect((await json(viaPost)).error).toMatch(/^skipFirst: expected a whole number/);
      const viaGet = await fetch(
        `${api.url}/v1/compare?scenario=measured&skipFirst=${encodeURIComponent(bad)}`,
      );
      expect(viaGet.status).toBe(400);
    }
    expect(parseSkipFirst(undefined)).toEqual({ value: 0 });
    expect(parseSkipFirst('0')).toEqual({ value: 0 });
    expect(parseSkipFirst('1000000000')).toEqual({ value: 1_000_000_000 });
  });

  it("a scenario naming a model takes trainingJ from the manifest in the collector's models folder", async () => {
    const response = await post(api, trainingYaml);
    expect(response.status).toBe(200);
    const body = await json(response);
    const p = body.provenance['device.trainingJ'];
    expect(p.origin).toBe('manifest');
    expect(p.central).toBe(36_000);
    expect(p.source).toMatch(/^manifest of cnn-base .*measured by edgewatt model train/);
    const cli = await runComparison(parseScenario(trainingYaml), undefined, {}, modelsDir);
    expect(body).toEqual(JSON.parse(JSON.stringify(cli)));
    expect(body.edge.terms.training.central).toBeGreaterThan(0);
  });

  it('without a models folder such a scenario is a 400 that says what to give', async () => {
    const response = await post(noModels, trainingYaml);
    expect(response.status).toBe(400);
    expect(JSON.stringify(await json(response))).toMatch(
      /device\.model: no model folder to read its manifest from/,
    );
  });
});
