// Test support for the deployment side: a signed model artifact written by hand (no TF.js: a
// model.json and a weights file of chosen size), keys, and a temp data dir.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentPoint } from '../../../collector/store/index.js';
import { signBytes } from '../../../models/sign/keys.js';
import {
  artifactId,
  keyIdOf,
  MANIFEST_SCHEMA,
  type ModelManifest,
  sha256,
} from '../../../protocol/manifest/index.js';

export interface TestKeys {
  privateKey: KeyObject;
  publicKeyPath: string;
  privateKeyPath: string;
  keyId: string;
}

export function writeKeys(dir: string, name: string): TestKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicKeyPath = join(dir, `${name}.pub.pem`);
  const privateKeyPath = join(dir, `${name}.key.pem`);
  writeFileSync(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { privateKey, publicKeyPath, privateKeyPath, keyId: keyIdOf(publicKey) };
}

/** A signed model folder with `weightBytes` of pseudo-random weights; returns its folder and id. */
export function writeSignedModel(
  dir: string,
  keys: TestKeys,
  options: { variant: string; release?: number; weightBytes?: number; seed?: number },
): { dir: string; modelId: string; weights: Buffer } {
  mkdirSync(dir, { recursive: true });
  const weights = Buffer.alloc(options.weightBytes ?? 4096);
  let x = (options.seed ?? 7) >>> 0;
  for (let i = 0; i < weights.length; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    weights[i] = x >>> 24;
  }
  const modelJson = Buffer.from(
    JSON.stringify({
      format: 'layers-model',
      modelTopology: { note: options.variant },
      weightsManifest: [{ paths: ['weights.bin'], weights: [] }],
    }),
  );
  writeFileSync(join(dir, 'model.json'), modelJson);
  writeFileSync(join(dir, 'weights.bin'), weights);
  const manifest: ModelManifest = {
    schema: MANIFEST_SCHEMA,
    id: artifactId(modelJson, [weights]),
    variant: options.variant,
    architecture: 'test',
    parent: null,
    pruning: null,
    flops: 1,
    params: 1,
    accuracy: null,
    inputShape: [1],
    artifactBytes: modelJson.length + weights.length,
    files: [
      { path: 'model.json', bytes: modelJson.length, sha256: sha256(modelJson) },
      { path: 'weights.bin', bytes: weights.length, sha256: sha256(weights) },
    ],
    training: null,
    createdBy: 'test',
    ...(options.release === undefined ? {} : { release: options.release }),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2));
  writeFileSync(join(dir, 'manifest.json'), manifestBytes);
  writeFileSync(join(dir, 'manifest.sig'), JSON.stringify(signBytes(manifestBytes, keys.privateKey)));
  return { dir, modelId: manifest.id, weights };
}

/** One point of each kind the rollouts dashboard reads, for suites that check every dashboard's panels. */
export function sampleDeploymentPoints(atMs: number): DeploymentPoint[] {
  const where = { rolloutId: 'r-sample', fleet: 'lab', device: 'pi-1' };
  return [
    {
      kind: 'report',
      fleet: 'lab',
      device: 'pi-1',
      atUs: atMs * 1000,
      seq: 1,
      deploymentId: 'r-sample',
      modelId: 'a'.repeat(64),
      release: 2,
      state: 'committed',
      attempt: 1,
    },
    {
      kind: 'phase',
      atMs,
      ...where,
      group: 0,
      phase: 'succeeded',
      phaseCode: 4,
      succeeded: true,
      failed: false,
    },
    {
      kind: 'gate',
      atMs,
      ...where,
      metric: 'energyPerInferenceJ',
      pre: 0.01,
      post: 0.0101,
      change: 0.01,
      low: -0.01,
      high: 0.03,
      margin: 0.05,
      regressed: false,
    },
  ];
}
