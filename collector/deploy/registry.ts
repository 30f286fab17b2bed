// The model registry: signed model folders stored by content hash under the collector's data dir
// (`<data-dir>/registry/blobs/<sha256>`, one index file per model in `models/<modelId>.json`), and
// looked up by (modelId, path) for the HTTP routes. A model is accepted only when its signature
// verifies with a trusted model key and every file matches the manifest's hash: the registry never
// serves something an agent would refuse on verification grounds.

import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgewattError } from '../../common/errors.js';
import { writeFileAtomic } from '../../common/files.js';
import {
  MAX_MANIFEST_BYTES,
  MAX_SIGNATURE_BYTES,
  readModelFile,
} from '../../protocol/manifest/bounded-read.js';
import {
  MANIFEST_FILE,
  type ModelManifest,
  SIGNATURE_FILE,
  sha256,
  type TrustedKey,
  verifyModelArtifact,
} from '../../protocol/manifest/index.js';

export class RegistryError extends EdgewattError {
  override readonly name = 'RegistryError';
}

export interface RegistryFile {
  /** Relative path as the agent asks for it: manifest.json, manifest.sig, model.json, weights... */
  path: string;
  sha256: string;
  bytes: number;
}

export interface RegistryEntry {
  modelId: string;
  variant: string;
  /** The manifest's release counter; 0 when the manifest has none. */
  release: number;
  /** Bytes of the artifact as the manifest counts them (model.json and weights). */
  artifactBytes: number;
  /** Board profile ids the manifest names; empty = any board. */
  boards: string[];
  signedBy: string;
  addedAt: string;
  files: RegistryFile[];
}

const HEX64 = /^[0-9a-f]{64}$/;

export class ModelRegistry {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'registry');
  }

  private blobPath(hash: string): string {
    return join(this.root, 'blobs', hash);
  }

  private indexPath(modelId: string): string {
    return join(this.root, 'models', `${modelId}.json`);
  }

  /**
   * Verifies `modelDir` (manifest signature by a trusted key, each file's SHA-256, the artifact id)
   * and stores its files by hash. Adding the same model twice is harmless (same blobs, same id).
   */
  async add(modelDir: string, trustedKeys: readonly TrustedKey[]): Promise<RegistryEntry> {
    if (trustedKeys.length === 0) {
      throw new RegistryError('registry add needs --trusted-key: the registry stores only signed models', {
        hint: 'give the model public key (.pub.pem) that signed the manifest',
      });
    }
    const { artifact, manifest, signedBy } = await verifyModelArtifact(modelDir, {
      keys: trustedKeys,
      requireSigned: true,
    });
    if (manifest === null || signedBy === null) {
      throw new RegistryError(`${modelDir} has no signed manifest; sign it with "edgewatt model sign"`);
    }
    const dir = /\.(json|onnx)$/.test(modelDir) ? join(modelDir, '..') : modelDir;
    const files: { path: string; bytes: Buffer }[] = [];
    for (const [path, maxBytes] of [
      [MANIFEST_FILE, MAX_MANIFEST_BYTES],
      [SIGNATURE_FILE, MAX_SIGNATURE_BYTES],
    ] as const) {
      const bytes = await readModelFile(dir, path, { maxBytes });
      if (bytes === null) throw new RegistryError(`${join(dir, path)} vanished while being added`);
      files.push({ path, bytes });
    }
    for (const file of manifest.files) {
      const bytes = await readModelFile(dir, file.path, { maxBytes: file.bytes });
      // verifyArtifact checked these bytes; read again, so a file changed in between is refused.
      if (bytes === null || sha256(bytes) !== file.sha256) {
        throw new RegistryError(`${join(dir, file.path)} changed while being added; add the model again`);
      }
      files.push({ path: file.path, bytes });
    }
    await mkdir(join(this.root, 'blobs'), { recursive: true });
    await mkdir(join(this.root, 'models'), { recursive: true });
    const stored: RegistryFile[] = [];
    for (const file of files) {
      const hash = sha256(file.bytes);
      const exists = await stat(this.blobPath(hash)).then(
        (info) => info.size === file.bytes.length,
        () => false,
      );
      if (!exists) await writeFileAtomic(this.blobPath(hash), file.bytes);
      stored.push({ path: file.path, sha256: hash, bytes: file.bytes.length });
    }
    const extra = manifest as ModelManifest & { release?: number; boards?: string[] };
    const entry: RegistryEntry = {
      modelId: artifact.id,
      variant: manifest.variant,
      release: extra.release ?? 0,
      artifactBytes: manifest.artifactBytes,
      boards: extra.boards ?? [],
      signedBy,
      addedAt: new Date().toISOString(),
      files: stored,
    };
    await writeFileAtomic(this.indexPath(entry.modelId), `${JSON.stringify(entry, null, 2)}\n`);
    return entry;
  }

  /** The entry of a stored model, or null (an id that is not 64 hex digits is never stored). */
  async get(modelId: string): Promise<RegistryEntry | null> {
    if (!HEX64.test(modelId)) return null;
    try {
      return JSON.parse(await readFile(this.indexPath(modelId), 'utf8')) as RegistryEntry;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /**
   * The blob that serves `path` of `modelId`, or null. Only paths listed in the model's index are
   * found, and blobs are named by hash: a path such as `../../etc/passwd` names nothing.
   */
  async file(modelId: string, path: string): Promise<(RegistryFile & { blobPath: string }) | null> {
    const entry = await this.get(modelId);
    const file = entry?.files.find((f) => f.path === path);
    if (file === undefined || !HEX64.test(file.sha256)) return null;
    return { ...file, blobPath: this.blobPath(file.sha256) };
  }

  async list(): Promise<RegistryEntry[]> {
    const names = await readdir(join(this.root, 'models')).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    const entries: RegistryEntry[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const entry = await this.get(name.slice(0, -'.json'.length));
      if (entry !== null) entries.push(entry);
    }
    return entries.sort((a, b) => a.addedAt.localeCompare(b.addedAt));
  }
}
