// Writes a layers model as a TensorFlow.js artifact (model.json + weights.bin) that the agent
// loads, with its variant in userDefinedMetadata, and reads one back as a LayersModel for
// pruning and evaluation. Saving removes a stale manifest and signature: they named other bytes.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Artifact,
  MANIFEST_FILE,
  type ModelManifest,
  type ModelTrust,
  readArtifact,
  SIGNATURE_FILE,
  sha256,
  TRUST_ANY,
  verifyArtifact,
} from '../../protocol/manifest/index.js';
import type { Tf } from '../../runtime/backend.js';
import { memoryHandler } from '../../runtime/model.js';

type LayersModel = ReturnType<Tf['sequential']>;

export interface SavedArtifact {
  dir: string;
  id: string;
  bytes: number;
  files: { path: string; bytes: number; sha256: string }[];
}

export async function saveArtifact(
  tf: Tf,
  model: LayersModel,
  dir: string,
  meta: { variant: string; architecture: string },
): Promise<SavedArtifact> {
  await mkdir(dir, { recursive: true });
  await rm(join(dir, MANIFEST_FILE), { force: true });
  await rm(join(dir, SIGNATURE_FILE), { force: true });
  let files: SavedArtifact['files'] = [];
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
      const json = new TextEncoder().encode(
        JSON.stringify({
          format: 'layers-model',
          generatedBy: artifacts.generatedBy,
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
          userDefinedMetadata: { edgewatt: { variant: meta.variant, architecture: meta.architecture } },
        }),
      );
      await writeFile(join(dir, 'weights.bin'), weights);
      await writeFile(join(dir, 'model.json'), json);
      files = [
        { path: 'model.json', bytes: json.byteLength, sha256: sha256(json) },
        { path: 'weights.bin', bytes: weights.byteLength, sha256: sha256(weights) },
      ];
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const artifact = await readArtifact(dir);
  return { dir, id: artifact.id, bytes: artifact.bytes, files };
}

export interface LoadedLayers {
  model: LayersModel;
  artifact: Artifact;
  manifest: ModelManifest | null;
  architecture: string;
  variant: string;
}

/** Loads an artifact as a trainable LayersModel, after the same checks the agent makes. */
export async function loadLayers(tf: Tf, path: string, trust: ModelTrust = TRUST_ANY): Promise<LoadedLayers> {
  const { artifact, manifest } = await verifyArtifact(path, trust);
  const model = (await tf.loadLayersModel(memoryHandler(tf, artifact))) as LayersModel;
  const meta = artifact.json.userDefinedMetadata?.edgewatt;
  return {
    model,
    artifact,
    manifest,
    architecture: manifest?.architecture ?? meta?.architecture ?? model.name,
    variant: manifest?.variant ?? meta?.variant ?? model.name,
  };
}
