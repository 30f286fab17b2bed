// Small leaks of the collector's HTTP API (issue 12, item 13), against a real fastify server on a
// free port: answers do not carry the scenarios folder's absolute path, a scenario name that is a
// folder is a 404 (it was a 500 with EISDIR), a wrong token or a store password is never echoed,
// and listening beyond loopback without a token is warned about.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, exposureWarning, startApi } from '../../collector/api/server.js';
import { EXAMPLES } from '../lifecycle/helpers.js';
import { tempDir } from '../support/stack.js';

const TOKEN = 'right-token-0123456789abcdef';
const WRONG = 'wrong-token-zyxwvutsrqponm';
const STORE_PASSWORD = 'influx-password-4711';

describe('collector HTTP API leaks', () => {
  const dir = tempDir('edgewatt-api-leaks-');
  let api: ApiServer;

  beforeAll(async () => {
    writeFileSync(join(dir.path, 'pi4.yaml'), 'not: [a, scenario\n');
    mkdirSync(join(dir.path, 'folder.yaml'));
    api = await startApi({
      port: 0,
      scenariosDir: dir.path,
      apiToken: TOKEN,
      storeUrl: `influxdb://edgewatt:${STORE_PASSWORD}@127.0.0.1:1/edgewatt`,
    });
  });
  afterAll(async () => {
    await api.close();
    dir.remove();
  });

  const get = async (path: string) => {
    const response = await fetch(`${api.url}${path}`);
    return { status: response.status, text: await response.text() };
  };

  it('GET /v1/scenarios lists names without the folder path', async () => {
    const { status, text } = await get('/v1/scenarios');
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ scenarios: ['folder', 'pi4'] });
    expect(text).not.toContain(dir.path);
  });

  it('a 404 for an unknown scenario names the scenario, not the folder path', async () => {
    const { status, text } = await get('/v1/compare?scenario=nope');
    expect(status).toBe(404);
    expect(JSON.parse(text).error).toContain('"nope"');
    expect(text).not.toContain(dir.path);
  });

  it('a 400 for a broken stored scenario names the file without the folder path', async () => {
    const { status, text } = await get('/v1/compare?scenario=pi4');
    expect(status).toBe(400);
    expect(text).toContain('pi4.yaml');
    expect(text).not.toContain(dir.path);
  });

  it('a scenario name that is a folder is a 404, not a 500 with EISDIR', async () => {
    const { status, text } = await get('/v1/compare?scenario=folder');
    expect(status).toBe(404);
    expect(text).not.toMatch(/EISDIR|Internal Server Error/);
  });

  it('a wrong token is never echoed, nor the store password', async () => {
    const post = (token: string) =>
      fetch(`${api.url}/v1/compare?record=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/yaml', authorization: `Bearer ${token}` },
        body: readFileSync(join(EXAMPLES, 'pi4-wifi-gpu.yaml'), 'utf8'),
      });
    const wrong = await post(WRONG);
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(WRONG);
    // The right token reaches the store check, whose refusal names the store without its password.
    const refused = await post(TOKEN);
    expect(refused.status).toBe(400);
    const text = await refused.text();
    expect(text).toContain('influxdb://127.0.0.1:1/edgewatt');
    expect(text).not.toContain(STORE_PASSWORD);
    expect(text).not.toContain(TOKEN);
  });
});

describe('listening beyond loopback', () => {
  it.each([['0.0.0.0'], ['::'], ['192.168.1.20']])('without a token on %s is warned about', (host) => {
    expect(exposureWarning(host, undefined)).toMatch(
      /beyond this machine, without an API token.*--api-token/,
    );
  });

  it.each([['127.0.0.1'], ['127.8.0.1'], ['::1'], ['localhost']])('on %s (loopback) is not', (host) => {
    expect(exposureWarning(host, undefined)).toBeNull();
  });

  it('with a token is not', () => {
    expect(exposureWarning('0.0.0.0', TOKEN)).toBeNull();
  });
});
