// The registry over the HTTP API (in process, fastify inject): a signed model is stored by hash and
// served with Range (206, 416, resume), to a device login from the Mosquitto password file or the
// API token; bad credentials 401, unknown files 404, paths out of the model refused.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoPasswordHash } from '../../../cli/commands/provision-files.js';
import { buildApi } from '../../../collector/api/server.js';
import { DeviceAuth, parsePasswordFile } from '../../../collector/deploy/device-auth.js';
import { ModelRegistry, RegistryError } from '../../../collector/deploy/registry.js';
import { loadTrustedKey, ModelVerificationError } from '../../../protocol/manifest/index.js';
import { tempDir } from '../../support/stack.js';
import { type TestKeys, writeKeys, writeSignedModel } from './support.js';

const TOKEN = 'registry-test-token-0123456789';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('model registry', () => {
  const tmp = tempDir();
  let keys: TestKeys;
  let registry: ModelRegistry;
  let app: FastifyInstance;
  let model: ReturnType<typeof writeSignedModel>;

  beforeAll(async () => {
    keys = writeKeys(tmp.path, 'model');
    model = writeSignedModel(join(tmp.path, 'm1'), keys, { variant: 'v1', release: 3, weightBytes: 100_000 });
    registry = new ModelRegistry(join(tmp.path, 'data'));
    const passwd = join(tmp.path, 'mosquitto.passwd');
    writeFileSync(
      passwd,
      `lab.pi-1:${mosquittoPasswordHash('device-secret')}\nedgewatt-collector:$6$old$format\n`,
    );
    app = await buildApi({
      scenariosDir: tmp.path,
      apiToken: TOKEN,
      registry,
      registryAuth: new DeviceAuth({ passwordFile: passwd, apiToken: TOKEN }),
    });
  });
  afterAll(async () => {
    await app.close();
    tmp.remove();
  });

  it('adds a signed model by content hash, with its release', async () => {
    const entry = await registry.add(model.dir, [loadTrustedKey(keys.publicKeyPath)]);
    expect(entry.modelId).toBe(model.modelId);
    expect(entry.release).toBe(3);
    expect(entry.files.map((f) => f.path)).toEqual([
      'manifest.json',
      'manifest.sig',
      'model.json',
      'weights.bin',
    ]);
    expect((await registry.list()).map((e) => e.modelId)).toEqual([model.modelId]);
    const blob = (await registry.file(model.modelId, 'weights.bin'))?.blobPath ?? '';
    expect(blob.endsWith(entry.files[3]?.sha256 ?? 'x')).toBe(true);
  });

  it('refuses a model signed by an untrusted key, and a tampered file', async () => {
    const other = writeKeys(tmp.path, 'other');
    await expect(registry.add(model.dir, [loadTrustedKey(other.publicKeyPath)])).rejects.toThrow(
      ModelVerificationError,
    );
    await expect(registry.add(model.dir, [])).rejects.toThrow(RegistryError);
    const tampered = writeSignedModel(join(tmp.path, 'm2'), keys, { variant: 'v2' });
    const weights = readFileSync(join(tampered.dir, 'weights.bin'));
    weights[10] = (weights[10] ?? 0) ^ 0xff;
    writeFileSync(join(tampered.dir, 'weights.bin'), weights);
    await expect(registry.add(tampered.dir, [loadTrustedKey(keys.publicKeyPath)])).rejects.toMatchObject({
      reason: 'hash-mismatch',
    });
    expect(await registry.get(tampered.modelId)).toBeNull();
  });

  const url = (path: string) => `/v1/registry/artifacts/${model.modelId}/${path}`;
  const device = { authorization: basic('lab.pi-1', 'device-secret') };

  it('serves a whole file to a device login, and HEAD gives its size', async () => {
    const whole = await app.inject({ method: 'GET', url: url('weights.bin'), headers: device });
    expect(whole.statusCode).toBe(200);
    expect(whole.rawPayload.equals(model.weights)).toBe(true);
    expect(whole.headers['accept-ranges']).toBe('bytes');
    const head = await app.inject({ method: 'HEAD', url: url('weights.bin'), headers: device });
    expect(head.statusCode).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(model.weights.length);
    expect(head.rawPayload.length).toBe(0);
  });

  it('resumes with Range: the pieces put together are the file', async () => {
    const first = await app.inject({
      method: 'GET',
      url: url('weights.bin'),
      headers: { ...device, range: 'bytes=0-39999' },
    });
    expect(first.statusCode).toBe(206);
    expect(first.headers['content-range']).toBe(`bytes 0-39999/${model.weights.length}`);
    const rest = await app.inject({
      method: 'GET',
      url: url('weights.bin'),
      headers: { ...device, range: 'bytes=40000-' },
    });
    expect(rest.statusCode).toBe(206);
    expect(Buffer.concat([first.rawPayload, rest.rawPayload]).equals(model.weights)).toBe(true);
    const suffix = await app.inject({
      method: 'GET',
      url: url('weights.bin'),
      headers: { ...device, range: 'bytes=-10' },
    });
    expect(suffix.rawPayload.equals(model.weights.subarray(-10))).toBe(true);
  });

  it('answers 416 for a range past the end', async () => {
    const past = await app.inject({
      method: 'GET',
      url: url('weights.bin'),
      headers: { ...device, range: `bytes=${model.weights.length}-` },
    });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${model.weights.length}`);
  });

  it('accepts the API token, refuses a wrong password, an unknown user and no login (401)', async () => {
    const token = await app.inject({
      method: 'GET',
      url: url('model.json'),
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(token.statusCode).toBe(200);
    for (const authorization of [
      basic('lab.pi-1', 'wrong'),
      basic('lab.pi-9', 'device-secret'),
      basic('edgewatt-collector', 'x'),
      undefined,
    ]) {
      const refused = await app.inject({
        method: 'GET',
        url: url('weights.bin'),
        headers: authorization === undefined ? {} : { authorization },
      });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['www-authenticate']).toContain('Basic');
    }
  });

  it('answers 404 for an unknown model or file, and for paths that leave the model', async () => {
    const unknown = await app.inject({
      method: 'GET',
      url: `/v1/registry/artifacts/${'0'.repeat(64)}/model.json`,
      headers: device,
    });
    expect(unknown.statusCode).toBe(404);
    for (const path of [
      'nothing.bin',
      '../../../etc/passwd',
      '..%2F..%2Fdeploy.sqlite',
      '%2e%2e/%2e%2e/registry/models',
      'blobs/x',
    ]) {
      const response = await app.inject({ method: 'GET', url: url(path), headers: device });
      expect(response.statusCode, path).toBe(404);
    }
    const traversalId = await app.inject({
      method: 'GET',
      url: '/v1/registry/artifacts/..%2F..%2F/model.json',
      headers: device,
    });
    expect(traversalId.statusCode).toBe(404);
  });

  it('lists models to the token only', async () => {
    const listed = await app.inject({
      method: 'GET',
      url: '/v1/registry/models',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(listed.json().models).toHaveLength(1);
    expect(
      (await app.inject({ method: 'GET', url: '/v1/registry/models', headers: device })).statusCode,
    ).toBe(401);
  });

  it('reads the password file as mosquitto_passwd writes it, skipping other formats', () => {
    const { entries, skipped } = parsePasswordFile(
      `a:${mosquittoPasswordHash('x')}\nb:$6$abc$def\n# comment\n`,
    );
    expect([...entries.keys()]).toEqual(['a']);
    expect(skipped).toBe(1);
  });
});
