import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeys } from '../../models/sign/keys.js';
import {
  isModelVerificationError,
  loadTrustedKey,
  type ModelTrust,
  type ModelVerificationError,
} from '../../protocol/manifest/index.js';
import { loadRuntime, type Tf } from '../../runtime/backend.js';
import { loadModel } from '../../runtime/model.js';
import { writeTinyModel } from './support.js';

let tf: Tf;
let root: string;
let signedDir: string;
let trust: ModelTrust;
let otherTrust: ModelTrust;

beforeAll(async () => {
  tf = (await loadRuntime('wasm')).tf;
  root = mkdtempSync(join(tmpdir(), 'edgewatt-signing-'));
  const keys = await generateKeys(join(root, 'models'));
  const other = await generateKeys(join(root, 'other'));
  trust = { keys: [loadTrustedKey(keys.publicKeyPath)], requireSigned: true };
  otherTrust = { keys: [loadTrustedKey(other.publicKeyPath)], requireSigned: true };
  signedDir = join(root, 'signed');
  await writeTinyModel(tf, signedDir, { variant: 'cnn-tiny', privateKeyPath: keys.privateKeyPath });
});

afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

let copies = 0;
function copyOfSigned(): string {
  const dir = join(root, `copy-${++copies}`);
  cpSync(signedDir, dir, { recursive: true });
  return dir;
}

function flipByte(path: string, at: (length: number) => number): void {
  const bytes = readFileSync(path);
  const index = at(bytes.length);
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  writeFileSync(path, bytes);
}

async function refusal(dir: string, policy: ModelTrust): Promise<ModelVerificationError> {
  const error = await loadModel(tf, dir, policy).then(
    (loaded) => {
      loaded.dispose();
      throw new Error(`loadModel(${dir}) accepted the artifact`);
    },
    (caught: unknown) => caught,
  );
  expect(isModelVerificationError(error)).toBe(true);
  return error as ModelVerificationError;
}

describe('signed artifacts', () => {
  it('load with the trusted key, naming the manifest and the signing key', async () => {
    const loaded = await loadModel(tf, signedDir, trust);
    expect(loaded.signedBy).toBe(trust.keys[0]?.keyId);
    expect(loaded.manifest?.id).toBe(loaded.id);
    expect(loaded.variant).toBe('cnn-tiny');
    loaded.dispose();
  });

  it('keep the private key readable by its owner only', () => {
    expect(statSync(join(root, 'models.key.pem')).mode & 0o077).toBe(0);
  });

  it.each([
    ['weights.bin', (n: number) => Math.floor(n / 2)],
    ['model.json', (n: number) => n - 3],
  ])('are refused when one byte of %s is flipped (hash mismatch)', async (file, at) => {
    const dir = copyOfSigned();
    flipByte(join(dir, file), at);
    const error = await refusal(dir, trust);
    expect(error.reason).toBe('hash-mismatch');
    expect(error.message).toContain(join(dir, file));
  });

  it.each([
    ['the id in manifest.json', (text: string) => text.indexOf('"id": "') + 8],
    ['the accuracy field of manifest.json', (text: string) => text.indexOf('"flops": ') + 10],
  ])('are refused when one byte of %s is flipped (bad signature)', async (_what, at) => {
    const dir = copyOfSigned();
    const path = join(dir, 'manifest.json');
    const text = readFileSync(path, 'utf8');
    flipByte(path, () => at(text));
    const error = await refusal(dir, trust);
    expect(error.reason).toBe('bad-signature');
    expect(error.message).toContain('manifest.json');
  });

  it('are refused when one byte of the signature is flipped', async () => {
    const dir = copyOfSigned();
    const path = join(dir, 'manifest.sig');
    const sig = JSON.parse(readFileSync(path, 'utf8')) as { signature: string };
    const raw = Buffer.from(sig.signature, 'base64');
    raw[10] = (raw[10] ?? 0) ^ 0x01;
    writeFileSync(path, JSON.stringify({ ...sig, signature: raw.toString('base64') }));
    expect((await refusal(dir, trust)).reason).toBe('bad-signature');
  });

  it('are refused when signed by a key that is not trusted', async () => {
    const error = await refusal(signedDir, otherTrust);
    expect(error.reason).toBe('untrusted-key');
    expect(error.message).toMatch(/--trusted-key/);
  });
});

describe('unsigned artifacts', () => {
  it('are refused when signatures are required (no manifest.sig)', async () => {
    const dir = copyOfSigned();
    rmSync(join(dir, 'manifest.sig'));
    const error = await refusal(dir, trust);
    expect(error.reason).toBe('unsigned');
    expect(error.message).toMatch(/edgewatt model sign/);
  });

  it('are refused when signatures are required (no manifest at all)', async () => {
    const dir = copyOfSigned();
    rmSync(join(dir, 'manifest.sig'));
    rmSync(join(dir, 'manifest.json'));
    expect((await refusal(dir, trust)).reason).toBe('unsigned');
  });

  it('load when no key is trusted, but a manifest that does not match is still refused', async () => {
    const open: ModelTrust = { keys: [], requireSigned: false };
    const plain = copyOfSigned();
    rmSync(join(plain, 'manifest.sig'));
    const loaded = await loadModel(tf, plain, open);
    expect(loaded.signedBy).toBeNull();
    expect(loaded.manifest?.variant).toBe('cnn-tiny');
    loaded.dispose();
    flipByte(join(plain, 'weights.bin'), (n) => n - 1);
    expect((await refusal(plain, open)).reason).toBe('hash-mismatch');
  });
});
