// An artifact of either format — TensorFlow.js (model.json + weights) or ONNX (one .onnx file) —
// found from a path and verified the same way: manifest signature, each file's declared size and
// SHA-256, then the artifact id of the bytes that will run. When a manifest is present, its
// (signed) `format` decides what is read, never the files lying next to it.

import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Artifact, checkManifest, type ModelTrust, readArtifact, tfjsArtifactOf } from './artifact.js';
import { MAX_MODEL_FILE_BYTES, readModelFile } from './bounded-read.js';
import { ModelLoadError, ModelVerificationError } from './errors.js';
import { type ArtifactFormat, MANIFEST_FILE, type ModelManifest, ONNX_FILE, sha256 } from './manifest.js';

export interface OnnxArtifact {
  format: 'onnx';
  /** The .onnx file read. */
  onnxPath: string;
  onnxBytes: Buffer;
  /** SHA-256 hex of the .onnx file. */
  id: string;
  bytes: number;
}

export type ModelArtifact = Artifact | OnnxArtifact;

export interface VerifiedArtifact {
  artifact: ModelArtifact;
  manifest: ModelManifest | null;
  signedBy: string | null;
}

interface Located {
  dir: string;
  /** The file the path named (model.json, x.onnx), or undefined for a folder. */
  file: string | undefined;
}

async function locate(path: string): Promise<Located> {
  const info = await stat(path).catch(() => {
    throw new ModelLoadError(
      `--model ${JSON.stringify(path)} does not exist; give a model folder, its model.json or its .onnx file`,
    );
  });
  return info.isDirectory() ? { dir: path, file: undefined } : { dir: dirname(path), file: basename(path) };
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** The format of an unsigned artifact without a manifest: the file named, else what the folder holds. */
async function formatWithoutManifest({ dir, file }: Located): Promise<ArtifactFormat> {
  if (file !== undefined) return file.endsWith('.onnx') ? 'onnx' : 'tfjs';
  if (await exists(join(dir, 'model.json'))) return 'tfjs';
  if (await exists(join(dir, ONNX_FILE))) return 'onnx';
  throw new ModelLoadError(
    `${dir} holds neither model.json (TensorFlow.js) nor ${ONNX_FILE} (ONNX); give the model file itself, or ` +
      'write a manifest with "edgewatt model import"',
  );
}

/**
 * Reads and verifies the artifact at `path` (a folder, its model.json or its .onnx file) against
 * the manifest and signature in its folder, whichever its format. Throws ModelVerificationError
 * (unsigned, bad signature, untrusted key, hash mismatch, unsafe file) or ModelLoadError.
 */
export async function verifyModelArtifact(path: string, trust: ModelTrust): Promise<VerifiedArtifact> {
  const located = await locate(path);
  const checked = await checkManifest(located.dir, trust);
  if (checked === null) {
    const format = await formatWithoutManifest(located);
    const artifact =
      format === 'onnx'
        ? await readOnnx(located.dir, located.file ?? ONNX_FILE, MAX_MODEL_FILE_BYTES)
        : await readArtifact(path);
    return { artifact, manifest: null, signedBy: null };
  }
  const { manifest, signedBy } = checked;
  const manifestPath = join(located.dir, MANIFEST_FILE);
  if ((manifest.format ?? 'tfjs') === 'tfjs') {
    if (located.file?.endsWith('.onnx') === true) {
      throw new ModelLoadError(
        `${manifestPath} describes a TensorFlow.js artifact, not ${located.file}; refusing to run a file the manifest does not cover`,
      );
    }
    return { artifact: await tfjsArtifactOf(path, checked), manifest, signedBy };
  }
  const listed = manifest.files[0]?.path ?? ONNX_FILE;
  if (located.file !== undefined && located.file !== listed) {
    throw new ModelLoadError(
      `${manifestPath} covers ${listed}, not ${located.file}; refusing to run a file the manifest does not cover`,
    );
  }
  const artifact = await readOnnx(located.dir, listed, checked.declaredBytes.get(listed) ?? 0);
  // Read again after the hash check: this is the id of the bytes that will run.
  if (artifact.id !== manifest.id) {
    throw new ModelVerificationError(
      'hash-mismatch',
      `${artifact.onnxPath}: the artifact's SHA-256 is ${artifact.id}, but ${manifestPath} says ${manifest.id}; ` +
        'the model file changed after the manifest was made. Refusing the model; get a fresh copy',
    );
  }
  return { artifact, manifest, signedBy };
}

async function readOnnx(dir: string, file: string, maxBytes: number): Promise<OnnxArtifact> {
  const bytes = await readModelFile(dir, file, { maxBytes });
  const onnxPath = join(dir, file);
  if (bytes === null) throw new ModelLoadError(`cannot read ${onnxPath}: it does not exist`);
  return { format: 'onnx', onnxPath, onnxBytes: bytes, id: sha256(bytes), bytes: bytes.byteLength };
}
