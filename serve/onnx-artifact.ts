// An ONNX model for the server: a .onnx file, or a folder holding model.onnx. Checked before it is
// opened the way TF.js artifacts are (protocol/manifest): where a manifest.json sits next to it,
// its signature must verify with the trusted keys and it must list the .onnx file with the file's
// SHA-256; without a manifest the model runs only when unsigned models are allowed. The model's id
// is the SHA-256 of the .onnx bytes.

import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  MAX_MANIFEST_BYTES,
  MAX_MODEL_FILE_BYTES,
  MAX_SIGNATURE_BYTES,
  readModelFile,
} from '../protocol/manifest/bounded-read.js';
import {
  MANIFEST_FILE,
  ModelLoadError,
  type ModelTrust,
  ModelVerificationError,
  manifestSchema,
  parseSignature,
  SIGNATURE_FILE,
  sha256,
  verifyManifestSignature,
} from '../protocol/manifest/index.js';

export const ONNX_FILE = 'model.onnx';

export interface OnnxArtifact {
  path: string;
  bytes: Buffer;
  /** SHA-256 hex of the .onnx file. */
  id: string;
  variant: string;
  signedBy: string | null;
}

/** The .onnx file `path` names (itself, or model.onnx in the folder), or null when it names none. */
export async function onnxPathOf(path: string): Promise<string | null> {
  if (path.endsWith('.onnx')) return path;
  const info = await stat(path).catch(() => null);
  if (info?.isDirectory() !== true) return null;
  const inside = join(path, ONNX_FILE);
  return (await stat(inside).catch(() => null))?.isFile() === true ? inside : null;
}

export async function verifyOnnx(path: string, trust: ModelTrust): Promise<OnnxArtifact> {
  const dir = dirname(path);
  const file = basename(path);
  const manifestBytes = await readModelFile(dir, MANIFEST_FILE, { maxBytes: MAX_MANIFEST_BYTES });
  if (manifestBytes === null) {
    if (trust.requireSigned)
      throw new ModelVerificationError(
        'unsigned',
        `${dir} has no ${MANIFEST_FILE}: the ONNX model is unsigned and only signed models are accepted (--allow-unsigned runs it, for development only)`,
      );
    const bytes = await readModelFile(dir, file, { maxBytes: MAX_MODEL_FILE_BYTES });
    if (bytes === null) throw new ModelLoadError(`${path} does not exist`);
    return { path, bytes, id: sha256(bytes), variant: basename(dir), signedBy: null };
  }
  const manifestPath = join(dir, MANIFEST_FILE);
  let signedBy: string | null = null;
  if (trust.requireSigned || trust.keys.length > 0) {
    const signature = await readModelFile(dir, SIGNATURE_FILE, { maxBytes: MAX_SIGNATURE_BYTES });
    if (signature === null) {
      if (trust.requireSigned)
        throw new ModelVerificationError(
          'unsigned',
          `${dir} has no ${SIGNATURE_FILE}: the ONNX model is unsigned and only signed models are accepted`,
        );
    } else {
      signedBy = verifyManifestSignature(
        manifestBytes,
        parseSignature(signature, join(dir, SIGNATURE_FILE)),
        trust.keys,
        manifestPath,
      ).keyId;
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestBytes.toString('utf8'));
  } catch (error) {
    throw new ModelVerificationError('malformed', `${manifestPath} is not JSON: ${(error as Error).message}`);
  }
  const manifest = manifestSchema.safeParse(parsed);
  if (!manifest.success)
    throw new ModelVerificationError('malformed', `${manifestPath} is not an edgewatt model manifest`);
  const listed = manifest.data.files.find((entry) => entry.path === file);
  if (listed === undefined)
    throw new ModelVerificationError(
      'hash-mismatch',
      `${manifestPath} does not list ${file}: the manifest is for another artifact. Refusing the model`,
    );
  const bytes = await readModelFile(dir, file, { maxBytes: listed.bytes });
  const digest = bytes === null ? null : sha256(bytes);
  if (bytes === null || digest !== listed.sha256)
    throw new ModelVerificationError(
      'hash-mismatch',
      `${path}: ${digest === null ? 'missing' : `SHA-256 ${digest}`}, but ${manifestPath} says ${listed.sha256}; refusing the model`,
    );
  return { path, bytes, id: digest, variant: manifest.data.variant, signedBy };
}
