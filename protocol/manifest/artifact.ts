// A TensorFlow.js model artifact on disk (model.json and its weight files) and its verification:
// the artifact is identified by the SHA-256 of its bytes (model.json and weight files, in manifest
// order), and checked against its manifest.json (hash) and manifest.sig (ed25519, with the trusted
// keys) before anything of it is built. The agent runs only what passes; the collector checks the
// same way before it deploys. Building the model from the bytes is runtime/model.ts.

import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  MAX_MANIFEST_BYTES,
  MAX_MODEL_FILE_BYTES,
  MAX_SIGNATURE_BYTES,
  readModelFile,
  unsafePathProblem,
} from './bounded-read.js';
import { ModelLoadError, ModelVerificationError } from './errors.js';
import {
  artifactId,
  MANIFEST_FILE,
  type ModelManifest,
  manifestSchema,
  SIGNATURE_FILE,
  sha256,
} from './manifest.js';
import { parseSignature, type TrustedKey, verifyManifestSignature } from './signature.js';

/** Which artifacts to accept: with `requireSigned`, only those signed by one of `keys`. */
export interface ModelTrust {
  keys: readonly TrustedKey[];
  requireSigned: boolean;
}

export const TRUST_ANY: ModelTrust = { keys: [], requireSigned: false };

export interface ModelJson {
  format?: string;
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: unknown[] }[];
  userDefinedMetadata?: { edgewatt?: { variant?: string; architecture?: string } };
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: unknown;
}

export async function resolveModelJson(path: string): Promise<string> {
  const info = await stat(path).catch(() => {
    throw new ModelLoadError(
      `--model ${JSON.stringify(path)} does not exist; give a model.json or the folder holding it`,
    );
  });
  return info.isDirectory() ? join(path, 'model.json') : path;
}

export interface Artifact {
  format: 'tfjs';
  jsonPath: string;
  json: ModelJson;
  jsonBytes: Buffer;
  weightSpecs: unknown[];
  weightFiles: Buffer[];
  /** SHA-256 hex of model.json and the weight files. */
  id: string;
  bytes: number;
}

/**
 * Reads model.json and its weight files and computes the artifact id; builds nothing. Files are
 * read as readModelFile reads them: regular, inside the folder, at most `declaredBytes` (the
 * manifest's sizes, by relative path) or MAX_MODEL_FILE_BYTES when nothing declares them.
 */
export async function readArtifact(
  path: string,
  declaredBytes: ReadonlyMap<string, number> = new Map(),
): Promise<Artifact> {
  const jsonPath = await resolveModelJson(path);
  const dir = dirname(jsonPath);
  // namedBy: the file that lists `file` (model.json for weights), so the error says what to fix.
  const read = async (file: string, namedBy?: string): Promise<Buffer> => {
    const bytes = await readModelFile(dir, file, {
      maxBytes: declaredBytes.get(file) ?? MAX_MODEL_FILE_BYTES,
    });
    if (bytes === null) {
      const listed = namedBy === undefined ? '' : ` (named in ${namedBy})`;
      throw new ModelLoadError(`cannot read ${join(dir, file)}${listed}: it does not exist`);
    }
    return bytes;
  };
  const jsonBytes = await read(basename(jsonPath));
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonBytes.toString('utf8'));
  } catch (error) {
    throw new ModelLoadError(`${jsonPath} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ModelLoadError(`${jsonPath} is not a TensorFlow.js model.json (it must hold a JSON object)`);
  }
  const json = parsed as ModelJson;
  if (json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
    throw new ModelLoadError(
      `${jsonPath} is not a TensorFlow.js model.json (modelTopology and weightsManifest are required)`,
    );
  }
  const weightFiles: Buffer[] = [];
  const weightSpecs: unknown[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const file of group.paths) {
      weightFiles.push(await read(file, jsonPath));
    }
  }
  return {
    format: 'tfjs',
    jsonPath,
    json,
    jsonBytes,
    weightSpecs,
    weightFiles,
    id: artifactId(jsonBytes, weightFiles),
    bytes: weightFiles.reduce((sum, chunk) => sum + chunk.byteLength, jsonBytes.byteLength),
  };
}

/** A manifest that verified: its signer (null when none was checked) and each file's declared size. */
export interface CheckedManifest {
  manifest: ModelManifest;
  signedBy: string | null;
  declaredBytes: ReadonlyMap<string, number>;
}

/**
 * Checks the manifest.json and manifest.sig of a model folder, before any model file is parsed:
 * the signature first (a changed manifest byte fails as a bad signature), then that every file it
 * lists stays in the folder, then each file's SHA-256 as the manifest lists it (never reading more
 * than it declares). Null when the folder has no manifest and unsigned models are accepted.
 * Whatever the format, the caller still checks the artifact id of the bytes it goes on to use.
 */
export async function checkManifest(dir: string, trust: ModelTrust): Promise<CheckedManifest | null> {
  const manifestPath = join(dir, MANIFEST_FILE);
  const signaturePath = join(dir, SIGNATURE_FILE);
  const manifestBytes = await readModelFile(dir, MANIFEST_FILE, { maxBytes: MAX_MANIFEST_BYTES });
  if (manifestBytes === null) {
    if (trust.requireSigned) {
      throw new ModelVerificationError(
        'unsigned',
        `${dir} has no ${MANIFEST_FILE}: the model is unsigned and only signed models are accepted ` +
          '(sign it with "edgewatt model sign"; --allow-unsigned runs unsigned models, for development only)',
      );
    }
    return null;
  }
  let signedBy: string | null = null;
  if (trust.requireSigned || trust.keys.length > 0) {
    const signatureBytes = await readModelFile(dir, SIGNATURE_FILE, { maxBytes: MAX_SIGNATURE_BYTES });
    if (signatureBytes === null) {
      if (trust.requireSigned) {
        throw new ModelVerificationError(
          'unsigned',
          `${dir} has no ${SIGNATURE_FILE}: the model is unsigned and only signed models are accepted ` +
            '(sign it with "edgewatt model sign")',
        );
      }
    } else {
      const signature = parseSignature(signatureBytes, signaturePath);
      signedBy = verifyManifestSignature(manifestBytes, signature, trust.keys, manifestPath).keyId;
    }
  }
  const manifest = parseManifest(manifestBytes, manifestPath);
  // A signed manifest is still refused when it names a file outside its folder: a signature says
  // who made the manifest, not that reading /etc or ../other-model is harmless.
  for (const file of manifest.files) {
    const problem = unsafePathProblem(file.path);
    if (problem !== null) {
      throw new ModelVerificationError(
        'unsafe-file',
        `${manifestPath} lists ${JSON.stringify(file.path)}, which ${problem}: refusing the model`,
      );
    }
  }
  for (const file of manifest.files) {
    const filePath = join(dir, file.path);
    // Never more than the manifest declares: a larger file cannot match its hash anyway.
    const bytes = await readModelFile(dir, file.path, { maxBytes: file.bytes });
    const digest = bytes === null ? null : sha256(bytes);
    if (digest !== file.sha256) {
      throw new ModelVerificationError(
        'hash-mismatch',
        `${filePath}: ${digest === null ? 'missing' : `SHA-256 ${digest}`}, but ${manifestPath} says ${file.sha256}; ` +
          'the file changed after the manifest was made. Refusing the model; get a fresh copy',
      );
    }
  }
  return {
    manifest,
    signedBy,
    declaredBytes: new Map(manifest.files.map((file) => [file.path, file.bytes])),
  };
}

/**
 * Reads and checks a TensorFlow.js artifact against manifest.json and manifest.sig in its folder
 * (checkManifest), then the artifact id of the bytes read. An ONNX artifact is refused here:
 * verifyModelArtifact (model-artifact.ts) takes either format.
 */
export async function verifyArtifact(
  path: string,
  trust: ModelTrust,
): Promise<{ artifact: Artifact; manifest: ModelManifest | null; signedBy: string | null }> {
  const dir = dirname(await resolveModelJson(path));
  const checked = await checkManifest(dir, trust);
  if (checked === null) return { artifact: await readArtifact(path), manifest: null, signedBy: null };
  return {
    artifact: await tfjsArtifactOf(path, checked),
    manifest: checked.manifest,
    signedBy: checked.signedBy,
  };
}

/** The TensorFlow.js artifact at `path`, read within the checked manifest's sizes and matched to its id. */
export async function tfjsArtifactOf(path: string, checked: CheckedManifest): Promise<Artifact> {
  const { manifest } = checked;
  const manifestPath = join(dirname(await resolveModelJson(path)), MANIFEST_FILE);
  if ((manifest.format ?? 'tfjs') !== 'tfjs') {
    throw new ModelLoadError(
      `${manifestPath} describes an ${manifest.format} artifact, not a TensorFlow.js model.json; ` +
        'load it as what it is (runtime/served.ts loads either)',
    );
  }
  const artifact = await readArtifact(path, checked.declaredBytes);
  if (manifest.id !== artifact.id) {
    throw new ModelVerificationError(
      'hash-mismatch',
      `${artifact.jsonPath}: the artifact's SHA-256 is ${artifact.id}, but ${manifestPath} says ${manifest.id}; ` +
        'model.json or a weight file changed after the manifest was made. Refusing the model; get a fresh copy',
    );
  }
  return artifact;
}

function parseManifest(bytes: Buffer, manifestPath: string): ModelManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ModelVerificationError('malformed', `${manifestPath} is not JSON: ${(error as Error).message}`);
  }
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) {
    throw new ModelVerificationError(
      'malformed',
      `${manifestPath} is not an edgewatt model manifest: ${result.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return result.data;
}
