// The HTTP API, started by the test on a free port on 127.0.0.1 and stopped by it: a stored scenario
// by name, a POSTed scenario (JSON and YAML), the same answer as the engine, and 400/404 that say why.

import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRoutes } from '../../collector/api/compare.js';
import { CompareRunner } from '../../collector/api/compare-runner.js';
import { type ApiServer, parseListen, startApi } from '../../collector/api/server.js';
import { compare, parseScenario } from '../../collector/lifecycle/index.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { EXAMPLES, measuredRecord, tempDir } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are checked field by field below
const json = async (response: Response): Promise<any> => response.json();

const record = measuredRecord;

describe('HTTP API /v1/compare', () => {
  const dir = tempDir();
  let api: ApiServer;
  let withStore: ApiServer;
  const exampleText = readFileSync(join(EXAMPLES, 'pi4-wifi-gpu.yaml'), 'utf8');

  beforeAll(async () => {
    copyFileSync(join(EXAMPLES, 'pi4-wifi-gpu.yaml'), join(dir.path, 'pi4.yaml'));
    api = await startApi({ host: '127.0.0.1', port: 0, scenariosDir: dir.path });
    const store = new SqliteStore(join(dir.path, 'store.sqlite'));
    await store.connect();
    await store.writeBatch(
      'lab',
      'pi4-kitchen',
      [0.006, 0.007, 0.0065].map((energyJ, seq) => record(seq, energyJ)),
    );
    await store.close();
    withStore = await startApi({
      port: 0,
      scenariosDir: dir.path,
      storeUrl: `sqlite:${join(dir.path, 'store.sqlite')}`,
    });
  });
  afterAll(async () => {
    await api.close();
    await withStore.close();
    dir.remove();
  });

  it('listens on 127.0.0.1 on the port it was given (0 = a free one)', () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(api.url).port)).toBeGreaterThan(0);
  });

  it('GET runs a stored scenario by name and answers what the engine answers', async () => {
    const response = await fetch(`${api.url}/v1/compare?scenario=pi4`);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toEqual(JSON.parse(JSON.stringify(compare(parseScenario(exampleText)))));
    expect(body.unit).toBe('gCO2e per inference');
    expect(Object.keys(body.offload.terms)).toEqual([
      'deviceRadio',
      'deviceWait',
      'deviceIdle',
      'network',
      'datacenter',
      'datacenterEmbodied',
      'deviceEmbodied',
      'training',
    ]);
  });

  it('POST takes the scenario as JSON or YAML', async () => {
    const scenario = { ...parseScenario(exampleText), samples: 100 };
    const asJson = await fetch(`${api.url}/v1/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(scenario),
    });
    expect(asJson.status).toBe(200);
    expect((await json(asJson)).scenario.samples).toBe(100);
    const yaml = await fetch(`${api.url}/v1/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: exampleText.replace('samples: 10000', 'samples: 10'),
    });
    expect(yaml.status).toBe(200);
    expect((await json(yaml)).scenario.samples).toBe(10);
  });

  it('a bad scenario is a 400 listing every problem; an unknown name a 404; a path is refused', async () => {
    const bad = await fetch(`${api.url}/v1/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        workload: { inferencesPerDay: -1, inputBytes: 1, outputBytes: 1 },
        device: {},
        datacenter: {},
        extra: 1,
      }),
    });
    expect(bad.status).toBe(400);
    const body = await json(bad);
    expect(body.problems).toEqual(
      expect.arrayContaining([
        'workload.inferencesPerDay: must be > 0, got -1',
        'extra: unknown field; remove it or check its spelling',
      ]),
    );
    expect((await fetch(`${api.url}/v1/compare?scenario=nothing`)).status).toBe(404);
    expect((await fetch(`${api.url}/v1/compare?scenario=..%2Fetc%2Fpasswd`)).status).toBe(400);
    const measuredWithoutStore = await fetch(`${api.url}/v1/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: exampleText.replace('energyJ: 0.05', 'measured: { device: d, model: m }'),
    });
    expect(measuredWithoutStore.status).toBe(400);
    expect((await json(measuredWithoutStore)).error).toMatch(/device\.measured: no store/);
  });

  it('reads measured values from the collector store it was started with (SQLite, on the worker)', async () => {
    const response = await fetch(`${withStore.url}/v1/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: readFileSync(join(EXAMPLES, 'pi4-measured.yaml'), 'utf8').replace(
        'samples: 20000',
        'samples: 100',
      ),
    });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.provenance['device.energyJ'].origin).toBe('measured');
    expect(body.provenance['device.energyJ'].central).toBeCloseTo(0.0065, 12);
    expect(body.measurement.records).toBe(3);
    const unknown = await fetch(`${withStore.url}/v1/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: readFileSync(join(EXAMPLES, 'pi4-measured.yaml'), 'utf8').replace(
        'device: pi4-kitchen',
        'device: nobody',
      ),
    });
    expect(unknown.status).toBe(400);
    expect((await json(unknown)).error).toMatch(/no inference records for device "nobody"/);
  });

  it('GET /v1/profiles lists what a scenario can name, UNSOURCED values included', async () => {
    const body = await json(await fetch(`${api.url}/v1/profiles`));
    expect(Object.keys(body.boards)).toEqual(['rpi4', 'rpi5', 'jetson-nano', 'jetson-orin-nano', 'esp32']);
    expect(body.links['5g'].uplinkUJPerBit.unsourced).toMatch(/UNSOURCED/);
    expect(body.regions.BE.gPerKWh).toMatchObject({ central: 118, low: 118, high: 153 });
  });

  it('GET /v1/scenarios lists the stored names', async () => {
    const response = await fetch(`${api.url}/v1/scenarios`);
    expect(await json(response)).toEqual({ scenarios: ['pi4'] });
  });

  it('runs the Monte Carlo off the event loop: a light request answers while a heavy one computes', async () => {
    const heavy = fetch(`${api.url}/v1/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: readFileSync(join(EXAMPLES, 'pi4-wifi-gpu-profiles.yaml'), 'utf8').replace(
        'samples: 20000',
        'samples: 200000',
      ),
    }).then(() => 'heavy');
    const light = fetch(`${api.url}/v1/scenarios`).then(() => 'light');
    expect(await Promise.race([heavy, light])).toBe('light');
    expect(await heavy).toBe('heavy');
  });

  it('a full queue is refused with 503 and counted, not queued without bound', async () => {
    const app = Fastify();
    const runner = new CompareRunner(1);
    compareRoutes(app, { scenariosDir: dir.path }, runner);
    const body = readFileSync(join(EXAMPLES, 'pi4-wifi-gpu-profiles.yaml'), 'utf8').replace(
      'samples: 20000',
      'samples: 50000',
    );
    const post = () =>
      app.inject({
        method: 'POST',
        url: '/v1/compare',
        headers: { 'content-type': 'application/yaml' },
        payload: body,
      });
    const [first, second] = await Promise.all([post(), post()]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([200, 503]);
    expect(runner.refusedBusy).toBe(1);
    expect((first.statusCode === 503 ? first : second).headers['retry-after']).toBe('1');
    await app.close();
  });

  it('parseListen reads host:port, [v6]:port and a bare port', () => {
    expect(parseListen('127.0.0.1:8787')).toEqual({ host: '127.0.0.1', port: 8787 });
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseListen('8787')).toEqual({ host: '127.0.0.1', port: 8787 });
    expect(parseListen(':8787')).toEqual({ host: '127.0.0.1', port: 8787 });
    expect(parseListen('host:99999')).toBeNull();
    expect(parseListen('nonsense')).toBeNull();
  });
});
