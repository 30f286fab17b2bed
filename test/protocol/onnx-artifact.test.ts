// An ONNX artifact is verified as a TF.js one is (protocol/manifest/model-artifact.ts): imported
// (models/artifact/import.ts) and signed, it passes with its signer; a changed model byte, a
// changed manifest byte, a file the manifest does not cover, a path out of the folder, a file
// larger than declared or not regular are each refused with their reason, and a TF.js-only
// caller (verifyArtifact) refuses an ONNX manifest instead of misreading it. Manifests without
// `format` (every one written before) keep parsing as TF.js.

import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { importModel } from '../../models/artifact/import.js';
import { signArtifactDir } from '../../models/sign/keys.js';
import {
  isModelVerificationError,
  keyIdOf,
  type ModelTrust,
  manifestSchema,
  sha256,
  TRUST_ANY,
  verifyArtifact,
  verifyModelArtifact,
} from '../../protocol/manifest/index.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/onnx/tiny/model.onnx', import.meta.url));
const ZOO = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'edgewatt-onnx-artifact-'));
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const TRUST: ModelTrust = {
  keys: [{ keyId: keyIdOf(publicKey), key: publicKey, source: 'test.pub.pem' }],
  requireSigned: true,
};
let count = 0;

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh signed import of the fixture. */
async function signedCopy(): Promise<string> {
  const dir = join(root, `m${count++}`);
  await importModel({ source: FIXTURE, out: dir, name: 'tiny' });
  await signArtifactDir(dir, privateKey);
  return dir;
}

async function reasonOf(path: string, trust: ModelTrust = TRUST): Promise<string> {
  const error = await verifyModelArtifact(path, trust).then(
    () => null,
    (e: unknown) => e,
  );
  if (error === null) throw new Error(`${path} was accepted`);
  return isModelVerificationError(error) ? error.reason : `load: ${(error as Error).message}`;
}

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

describe('ONNX artifacts: verification', () => {
  it('a signed import verifies, by folder or by its .onnx file, and its id is the SHA-256 of the file', async () => {
    const dir = await signedCopy();
    const id = sha256(readFileSync(FIXTURE));
    for (const path of [dir, join(dir, 'model.onnx')]) {
      const { artifact, manifest, signedBy } = await verifyModelArtifact(path, TRUST);
      expect(artifact.format).toBe('onnx');
      expect(artifact.id).toBe(id);
      expect(manifest?.format).toBe('onnx');
      expect(signedBy).toBe(keyIdOf(publicKey));
    }
  });

  it('a changed byte of model.onnx is a hash mismatch', async () => {
    const dir = await signedCopy();
    const bytes = readFileSync(join(dir, 'model.onnx'));
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 1;
    writeFileSync(join(dir, 'model.onnx'), bytes);
    expect(await reasonOf(dir)).toBe('hash-mismatch');
  });

  it('a changed manifest (another id and hash that match a swapped file) fails the signature', async () => {
    const dir = await signedCopy();
    const other = Buffer.concat([readFileSync(FIXTURE), Buffer.from([0])]);
    writeFileSync(join(dir, 'model.onnx'), other);
    const manifest = manifestOf(dir);
    manifest.id = sha256(other);
    manifest.files[0] = { path: 'model.onnx', bytes: other.length, sha256: sha256(other) };
    manifest.artifactBytes = other.length;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    expect(await reasonOf(dir)).toBe('bad-signature');
  });

  it('unsigned is refused when signatures are required, and accepted (manifest checked) when not', async () => {
    const dir = join(root, `m${count++}`);
    await importModel({ source: FIXTURE, out: dir });
    expect(await reasonOf(dir)).toBe('unsigned');
    const { artifact, signedBy } = await verifyModelArtifact(dir, TRUST_ANY);
    expect(artifact.format).toBe('onnx');
    expect(signedBy).toBeNull();
  });

  it('a .onnx file next to the manifest that it does not cover is refused, not run', async () => {
    const dir = await signedCopy();
    copyFileSync(FIXTURE, join(dir, 'other.onnx'));
    expect(await reasonOf(join(dir, 'other.onnx'))).toMatch(/^load: .*covers model\.onnx, not other\.onnx/);
  });

  it('a manifest naming ../x.onnx, a link out of the folder or a file over its declared size is unsafe', async () => {
    // ../: signed, so only the path rule can refuse it.
    const outside = await signedCopy();
    const manifest = manifestOf(outside);
    manifest.files[0].path = '../m0/model.onnx';
    writeFileSync(join(outside, 'manifest.json'), JSON.stringify(manifest));
    await signArtifactDir(outside, privateKey);
    expect(await reasonOf(outside)).toBe('unsafe-file');

    const linked = await signedCopy();
    rmSync(join(linked, 'model.onnx'));
    symlinkSync(FIXTURE, join(linked, 'model.onnx'));
    expect(await reasonOf(linked)).toBe('unsafe-file');

    const larger = await signedCopy();
    writeFileSync(join(larger, 'model.onnx'), Buffer.concat([readFileSync(FIXTURE), Buffer.alloc(1)]));
    expect(await reasonOf(larger)).toBe('unsafe-file');
  });

  it('verifyArtifact (TF.js only) refuses an ONNX manifest with a message naming the format', async () => {
    const dir = await signedCopy();
    await expect(verifyArtifact(dir, TRUST)).rejects.toThrow(/describes an onnx artifact/);
  });

  it('a TF.js model keeps verifying through verifyModelArtifact, and old manifests parse without format', async () => {
    const { artifact, manifest } = await verifyModelArtifact(ZOO, TRUST_ANY);
    expect(artifact.format).toBe('tfjs');
    expect(manifest?.format).toBeUndefined();
    expect(manifestSchema.safeParse(manifestOf(ZOO)).success).toBe(true);
  });

  it('the schema refuses an ONNX manifest that lists other than one .onnx file', async () => {
    const dir = await signedCopy();
    const manifest = manifestOf(dir);
    const two = {
      ...manifest,
      files: [manifest.files[0], manifest.files[0]],
      artifactBytes: manifest.artifactBytes * 2,
    };
    expect(manifestSchema.safeParse(two).success).toBe(false);
    const json = { ...manifest, files: [{ ...manifest.files[0], path: 'model.json' }] };
    expect(manifestSchema.safeParse(json).success).toBe(false);
    expect(manifestSchema.safeParse(manifest).success).toBe(true);
  });
});
