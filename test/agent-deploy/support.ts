// Test support for model deployment: signed tiny models with the deployment fields, the two keys
// (model and deployment), a small registry (HTTP with Range and Basic auth, as the collector's
// serves `${baseUrl}/v1/registry/artifacts/{modelId}/{path}`), and an MQTT side that publishes
// signed assignments (retained) and collects the devices' deployment messages.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { CnnWidths } from '../../models/arch/cnn.js';
import { generateKeys, readPrivateKey, signArtifactDir } from '../../models/sign/keys.js';
import { ASSIGNMENT_COMMAND, type Assignment, signAssignment } from '../../protocol/deploy/index.js';
import { buildTopic, type DeploymentMessage, decodeAs, topicFilter } from '../../protocol/index.js';
import { MANIFEST_FILE, type ModelManifest } from '../../protocol/manifest/index.js';
import type { Tf } from '../../runtime/backend.js';
import { writeTinyModel } from '../models/support.js';

export const FLEET = 'lab';

export interface Keys {
  modelPrivatePath: string;
  modelPublicPath: string;
  deploymentKey: KeyObject;
  deploymentPublicPath: string;
}

export async function makeKeys(dir: string): Promise<Keys> {
  const model = await generateKeys(join(dir, 'model'));
  const deployment = await generateKeys(join(dir, 'deployment'));
  return {
    modelPrivatePath: model.privateKeyPath,
    modelPublicPath: model.publicKeyPath,
    deploymentKey: createPrivateKey(readFileSync(deployment.privateKeyPath)),
    deploymentPublicPath: deployment.publicKeyPath,
  };
}

export interface ModelSpec {
  variant: string;
  seed: number;
  release?: number;
  boards?: string[];
  expires?: string;
  /** Wider layers: a larger artifact. */
  wide?: boolean;
  /** Layer widths as given (a much wider model runs slower: more energy per inference). */
  widths?: CnnWidths;
}

/** Writes a tiny CNN with the deployment fields in its manifest, signed with the model key. */
export async function writeModel(
  tf: Tf,
  dir: string,
  keys: Keys,
  spec: ModelSpec,
): Promise<{ id: string; dir: string; manifest: ModelManifest }> {
  await writeTinyModel(tf, dir, {
    variant: spec.variant,
    seed: spec.seed,
    ...(spec.widths !== undefined
      ? { widths: spec.widths }
      : spec.wide
        ? { widths: { conv1: 8, conv2: 16, dense1: 32 } }
        : {}),
  });
  const path = join(dir, MANIFEST_FILE);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as ModelManifest;
  const withFields: ModelManifest = {
    ...manifest,
    ...(spec.release === undefined ? {} : { release: spec.release }),
    ...(spec.boards === undefined ? {} : { boards: spec.boards }),
    ...(spec.expires === undefined ? {} : { expires: spec.expires }),
  };
  writeFileSync(path, `${JSON.stringify(withFields, null, 2)}\n`);
  await signArtifactDir(dir, await readPrivateKey(keys.modelPrivatePath));
  return { id: withFields.id, dir, manifest: withFields };
}

export interface Registry {
  baseUrl: string;
  /** Adds a model folder under its id (copied: tests may tamper with the copy). */
  add(modelId: string, dir: string): string;
  /** Range requests seen, as `path bytes=n-` (the resume point of each request). */
  ranges: string[];
  /** Every authorized request, as `modelId/path`. */
  requests: string[];
  /** Bytes per second at most for files other than the manifest (0: unthrottled). */
  throttleBytesPerS: number;
  /** Requests refused for their credentials. */
  unauthorized: number;
  close(): Promise<void>;
}

/** Serves `${baseUrl}/v1/registry/artifacts/{modelId}/{path}` from copies, with Range and Basic auth. */
export async function startRegistry(
  root: string,
  credentials: { username: string; password: string },
): Promise<Registry> {
  const files = join(root, 'registry');
  mkdirSync(files, { recursive: true });
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const registry: Registry = {
    baseUrl: '',
    ranges: [],
    requests: [],
    throttleBytesPerS: 0,
    unauthorized: 0,
    add: (modelId, dir) => {
      const target = join(files, modelId);
      cpSync(dir, target, { recursive: true });
      return target;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((request, response) => {
    const match = /^\/v1\/registry\/artifacts\/([0-9a-f]{64})\/(.+)$/.exec(request.url ?? '');
    if (request.headers.authorization !== expected) {
      registry.unauthorized++;
      response.writeHead(401).end();
      return;
    }
    if (match === null || (match[2] ?? '').includes('..')) {
      response.writeHead(404).end();
      return;
    }
    registry.requests.push(`${match[1]}/${match[2]}`);
    const path = join(files, match[1] ?? '', decodeURIComponent(match[2] ?? ''));
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      response.writeHead(404).end();
      return;
    }
    const bytes = readFileSync(path);
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const start = range === null ? 0 : Number(range[1]);
    if (range !== null) registry.ranges.push(`${match[2]} bytes=${start}-`);
    const body = bytes.subarray(start);
    response.writeHead(range === null ? 200 : 206, {
      'content-length': String(body.byteLength),
      ...(range === null ? {} : { 'content-range': `bytes ${start}-${size - 1}/${size}` }),
    });
    const rate = registry.throttleBytesPerS;
    if (rate === 0 || (match[2] ?? '').startsWith('manifest.')) {
      response.end(body);
      return;
    }
    // Throttled: 20 slices a second, so a test can stop the device mid-file.
    const slice = Math.max(1, Math.floor(rate / 20));
    let offset = 0;
    const timer = setInterval(() => {
      if (response.destroyed) {
        clearInterval(timer);
        return;
      }
      const part = body.subarray(offset, offset + slice);
      offset += part.byteLength;
      if (offset >= body.byteLength) {
        clearInterval(timer);
        response.end(part);
      } else {
        response.write(part);
      }
    }, 50);
    response.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registry.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return registry;
}

export function assignmentFor(
  device: string,
  model: { id: string; manifest: ModelManifest },
  registry: Pick<Registry, 'baseUrl'>,
  overrides: Partial<Assignment> = {},
): Assignment {
  const nowMs = Date.now();
  return {
    schema: 'edgewatt.assignment/1',
    fleet: FLEET,
    device,
    deploymentId: `deploy-${model.id.slice(0, 8)}`,
    modelId: model.id,
    release: model.manifest.release ?? 0,
    rollback: false,
    artifactBytes: model.manifest.artifactBytes,
    baseUrl: registry.baseUrl,
    issuedAt: new Date(nowMs).toISOString(),
    expires: new Date(nowMs + 3600_000).toISOString(),
    probationS: 0.5,
    ...overrides,
  };
}

/** The collector's side of MQTT in a test: publishes assignments, collects deployment messages. */
export interface Control {
  messages: DeploymentMessage[];
  /** The model id in the device's last status message (its retained birth). */
  statusModel(device: string): string | undefined;
  /** States of one device's messages, `state(reason)#attempt`. */
  chain(device: string): string[];
  assign(assignment: Assignment, key: KeyObject): Promise<void>;
  publishRaw(device: string, payload: Uint8Array | string): Promise<void>;
  close(): Promise<void>;
}

export async function startControl(brokerUrl: string): Promise<Control> {
  const client: MqttClient = await mqtt.connectAsync(brokerUrl, { clientId: `control-${Math.random()}` });
  const messages: DeploymentMessage[] = [];
  const statusModels = new Map<string, string | undefined>();
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/status')) {
      const status = decodeAs('status', payload);
      if (status.ok && status.value.state === 'online')
        statusModels.set(status.value.device, status.value.modelId);
      return;
    }
    const decoded = decodeAs('deployment', payload);
    if (decoded.ok) messages.push(decoded.value);
  });
  await client.subscribeAsync([topicFilter('deployment'), topicFilter('status')], { qos: 1 });
  const topicOf = (device: string) =>
    buildTopic({ fleet: FLEET, device, kind: 'cmd', command: ASSIGNMENT_COMMAND });
  return {
    messages,
    statusModel: (device) => statusModels.get(device),
    chain: (device) => {
      // QoS 1 may deliver a message twice: the collector keeps (device, seq) once, and so do we.
      const seen = new Set<number>();
      return messages
        .filter((m) => m.device === device && !seen.has(m.seq) && seen.add(m.seq))
        .sort((a, b) => a.seq - b.seq)
        .map((m) => `${m.state}${m.reason === undefined ? '' : `(${m.reason})`}#${m.attempt}`);
    },
    assign: async (assignment, key) => {
      await client.publishAsync(topicOf(assignment.device), Buffer.from(signAssignment(assignment, key)), {
        qos: 1,
        retain: true,
      });
    },
    publishRaw: async (device, payload) => {
      await client.publishAsync(topicOf(device), Buffer.from(payload), { qos: 1, retain: true });
    },
    close: async () => {
      await client.endAsync();
    },
  };
}
