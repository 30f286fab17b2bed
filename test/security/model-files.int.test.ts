// Model files as untrusted input (issue 12, item 4), through runtime/model.ts's loadModel with a
// real signed tiny model: a manifest.json that is a FIFO hung a model swap for good, a 1.5 GB
// manifest or a weights.bin linked to /dev/zero read until memory ran out, and a signed manifest
// could name files outside its folder. Each case must now end, refused, within a time bound.
// An integration test because a FIFO needs mkfifo (another process).

import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  cpSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeys, readPrivateKey, signArtifactDir } from '../../models/sign/keys.js';
import { loadTrustedKey, type ModelTrust, sha256 } from '../../protocol/manifest/index.js';
import { loadRuntime, type Tf } from '../../runtime/backend.js';
import { loadModel } from '../../runtime/model.js';
import { writeTinyModel } from '../models/support.js';

/** A refusal must come well within this; the old code never answered (FIFO) or ran out of memory. */
const BOUND_MS = 5_000;

let tf: Tf;
let root: string;
let signedDir: string;
let privateKeyPath: string;
let trust: ModelTrust;

beforeAll(async () => {
  tf = (await loadRuntime('wasm')).tf;
  root = mkdtempSync(join(tmpdir(), 'edgewatt-model-files-'));
  const keys = await generateKeys(join(root, 'models'));
  privateKeyPath = keys.privateKeyPath;
  trust = { keys: [loadTrustedKey(keys.publicKeyPath)], requireSigned: true };
  signedDir = join(root, 'signed');
  await writeTinyModel(tf, signedDir, { variant: 'cnn-tiny', privateKeyPath });
}, 60_000);

afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

let copies = 0;
function copyOfSigned(): string {
  const dir = join(root, `copy-${++copies}`);
  cpSync(signedDir, dir, { recursive: true });
  return dir;
}

/** loadModel's outcome within BOUND_MS: the error it refused with, or a failure of the test. */
async function refusedWithin(dir: string): Promise<Error> {
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  const outcome = await Promise.race([
    loadModel(tf, dir, trust).then(
      (loaded) => {
        loaded.dispose();
        return new Error('ACCEPTED');
      },
      (error: unknown) => error as Error,
    ),
    new Promise<Error>((resolve) => {
      timer = setTimeout(() => resolve(new Error('TIMEOUT')), BOUND_MS);
    }),
  ]);
  clearTimeout(timer);
  expect(outcome.message, `after ${Math.round(performance.now() - started)} ms`).not.toMatch(
    /^(ACCEPTED|TIMEOUT)$/,
  );
  return outcome;
}

/** Opens a FIFO for writing without blocking and closes it, so a reader stuck on it sees EOF. */
function releaseFifo(path: string): void {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // ENXIO: nobody is reading it, nothing to release.
  }
}

describe('model files read with limits', () => {
  it('the tiny signed model itself still loads', async () => {
    const loaded = await loadModel(tf, signedDir, trust);
    expect(loaded.signedBy).toBe(trust.keys[0]?.keyId);
    loaded.dispose();
  });

  it('a manifest.json that is a FIFO is refused as not a regular file, not waited on', async () => {
    const dir = copyOfSigned();
    const fifo = join(dir, 'manifest.json');
    unlinkSync(fifo);
    execFileSync('mkfifo', [fifo]);
    try {
      const error = await refusedWithin(dir);
      expect(error.message).toMatch(/not a regular file/);
      expect(error).toMatchObject({ reason: 'unsafe-file' });
    } finally {
      releaseFifo(fifo);
    }
  });

  it('a 1.5 GB manifest.json (sparse) is refused by its size without reading it', async () => {
    const dir = copyOfSigned();
    truncateSync(join(dir, 'manifest.json'), 1.5 * 1024 ** 3);
    const heapBefore = process.memoryUsage().rss;
    const error = await refusedWithin(dir);
    expect(error.message).toMatch(/1610612736 bytes, more than the 1048576 allowed/);
    expect(process.memoryUsage().rss - heapBefore).toBeLessThan(256 * 1024 ** 2);
  });

  it('a weights file linked to /dev/zero is refused as a link out of the folder', async () => {
    const dir = copyOfSigned();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      files: { path: string }[];
    };
    const weights = manifest.files.map((f) => f.path).find((path) => path.endsWith('.bin')) ?? '';
    expect(weights).not.toBe('');
    unlinkSync(join(dir, weights));
    symlinkSync('/dev/zero', join(dir, weights));
    const error = await refusedWithin(dir);
    expect(error.message).toMatch(/links outside the model folder/);
  });

  it('a weights file larger than the manifest declares is not read past the declared size', async () => {
    const dir = copyOfSigned();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      files: { path: string; bytes: number }[];
    };
    const weights = manifest.files.find((f) => f.path.endsWith('.bin'));
    if (weights === undefined) throw new Error('the tiny model has no weight file');
    truncateSync(join(dir, weights.path), 1.5 * 1024 ** 3);
    const error = await refusedWithin(dir);
    expect(error.message).toMatch(new RegExp(`more than the ${weights.bytes} allowed`));
  });

  it('a signed manifest that names ../ is refused, even with a valid signature', async () => {
    const dir = copyOfSigned();
    const outside = join(root, `outside-${copies}.bin`);
    writeFileSync(outside, 'secret');
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      files: { path: string; bytes: number; sha256: string }[];
      artifactBytes: number;
    };
    manifest.files.push({
      path: `../outside-${copies}.bin`,
      bytes: 6,
      sha256: sha256(Buffer.from('secret')),
    });
    // Consistent as a signer would make it (artifactBytes is the sum of the files), so that only
    // the path is wrong.
    manifest.artifactBytes += 6;
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    await signArtifactDir(dir, await readPrivateKey(privateKeyPath));
    const error = await refusedWithin(dir);
    expect(error).toMatchObject({ reason: 'unsafe-file' });
    expect(error.message).toMatch(/leaves the model folder/);
  });
});
