// Test helpers for model artifacts: a small CNN saved with its manifest, signed with a key.

import type { Tf } from '../../agent/runtime/backend.js';
import { countCost } from '../../models/analysis/flops.js';
import { buildCnn, type CnnWidths } from '../../models/arch/cnn.js';
import { buildManifest, writeManifest } from '../../models/artifact/manifest.js';
import { saveArtifact } from '../../models/artifact/save.js';
import { readPrivateKey, signArtifactDir } from '../../models/sign/keys.js';

/** Writes a seeded small CNN with its manifest to `dir`; signs it when a private key is given. */
export async function writeTinyModel(
  tf: Tf,
  dir: string,
  options: { variant: string; privateKeyPath?: string; widths?: CnnWidths; seed?: number },
): Promise<string> {
  const model = buildCnn(tf, options.widths ?? { conv1: 4, conv2: 8, dense1: 8 }, options.seed ?? 1);
  const saved = await saveArtifact(tf, model, dir, { variant: options.variant, architecture: 'cnn' });
  const cost = countCost(model);
  model.dispose();
  await writeManifest(
    dir,
    buildManifest(saved, {
      variant: options.variant,
      architecture: 'cnn',
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
