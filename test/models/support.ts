// Test helpers for model artifacts: a small CNN saved with its manifest, signed with a key.

import { countCost } from '../../models/analysis/flops.js';
import { buildCnn, type CnnWidths } from '../../models/arch/cnn.js';
import { buildManifest, writeManifest } from '../../models/artifact/manifest.js';
import { saveArtifact } from '../../models/artifact/save.js';
import type { Tf } from '../../runtime/backend.js';

type LayersModel = ReturnType<Tf['sequential']>;

import { readPrivateKey, signArtifactDir } from '../../models/sign/keys.js';

/**
 * Saves a model to `dir` with its manifest (no accuracy, no training record) and signs it when a
 * private key is given; disposes the model. Returns the artifact id.
 */
export async function saveWithManifest(
  tf: Tf,
  model: LayersModel,
  dir: string,
  options: { variant: string; architecture: string; privateKeyPath?: string },
): Promise<string> {
  const saved = await saveArtifact(tf, model, dir, {
    variant: options.variant,
    architecture: options.architecture,
  });
  const cost = countCost(model);
  model.dispose();
  await writeManifest(
    dir,
    buildManifest(saved, {
      variant: options.variant,
      architecture: options.architecture,
      parent: null,
      pruning: null,
      flops: cost.macs,
      params: cost.params,
      accuracy: null,
      inputShape: [28, 28, 1],
      training: null,
    }),
  );
  if (options.privateKeyPath !== undefined)
    await signArtifactDir(dir, await readPrivateKey(options.privateKeyPath));
  return saved.id;
}

/** Writes a seeded small CNN with its manifest to `dir`; signs it when a private key is given. */
export async function writeTinyModel(
  tf: Tf,
  dir: string,
  options: { variant: string; privateKeyPath?: string; widths?: CnnWidths; seed?: number },
): Promise<string> {
  const model = buildCnn(tf, options.widths ?? { conv1: 4, conv2: 8, dense1: 8 }, options.seed ?? 1);
  return saveWithManifest(tf, model, dir, { ...options, architecture: 'cnn' });
}
