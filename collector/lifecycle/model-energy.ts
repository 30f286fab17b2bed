// Training energy from model manifests: when a scenario names the model that runs on the device
// or in the datacenter (`device.model`, `datacenter.model`, or the model of `device.measured`),
// its manifest's trainingEnergy + pruningEnergy (measured or estimated by `model train` / `model
// prune`, issue 13) becomes that side's trainingJ, with the manifest's provenance and notes.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, type ModelManifest, manifestSchema } from '../../protocol/manifest/index.js';
import { modelMatches } from '../store/filter.js';
import type { Uncertain } from './uncertain.js';

/** A model's training energy as a scenario value, or why there is none. */
export type TrainingEnergyLookup = { value: Uncertain } | { problem: string };

/** Looks a model up by id, an 8+ character id prefix, or variant name. */
export type TrainingEnergySource = (model: string) => TrainingEnergyLookup;

interface Found {
  dir: string;
  manifest: ModelManifest;
}

/** The training (and pruning) energy a manifest carries, as an uncertain value in joules. */
export function trainingEnergyOf(manifest: ModelManifest, where: string): TrainingEnergyLookup {
  const training = manifest.trainingEnergy;
  const pruning = manifest.pruningEnergy;
  const name = `${manifest.variant} ${manifest.id.slice(0, 12)}`;
  if (training === undefined) {
    return {
      problem: `${name} (${where}): its manifest has no training energy (made before \`model train\` measured it, or pruned from such a parent); give trainingJ in the scenario`,
    };
  }
  const parts = [training, ...(pruning === undefined ? [] : [pruning])];
  const estimated = parts.some((p) => p.provenance === 'estimated');
  return {
    value: {
      central: parts.reduce((sum, p) => sum + p.energyJ, 0),
      low: parts.reduce((sum, p) => sum + p.lowJ, 0),
      high: parts.reduce((sum, p) => sum + p.highJ, 0),
      distribution: 'triangular',
      source: `manifest of ${name} (${where}): ${estimated ? 'ESTIMATED' : 'measured'} by edgewatt model ${pruning === undefined ? 'train' : 'train + prune'}`,
      note: [
        `training ${training.energyJ.toPrecision(4)} J${training.fromParent === undefined ? '' : ` (from parent ${training.fromParent.slice(0, 12)})`}, ${training.method}: ${training.note}`,
        ...(pruning === undefined
          ? []
          : [`pruning ${pruning.energyJ.toPrecision(4)} J, ${pruning.method}: ${pruning.note}`]),
      ].join('; '),
    },
  };
}

/** Reads `<dir>/manifest.json` and `<dir>/<model>/manifest.json` (a model folder, or a zoo). */
export async function readManifests(dir: string): Promise<Found[]> {
  const found: Found[] = [];
  const tryRead = async (folder: string) => {
    const text = await readFile(join(folder, MANIFEST_FILE), 'utf8').catch(() => undefined);
    if (text === undefined) return;
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    if (parsed.success) found.push({ dir: folder, manifest: parsed.data });
  };
  await tryRead(dir);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await tryRead(join(dir, entry.name));
  return found;
}

/** A lookup over the manifests under `dir` (read once, so the engine can stay synchronous). */
export async function manifestTrainingSource(dir: string): Promise<TrainingEnergySource> {
  const manifests = await readManifests(dir);
  return (model) => {
    const matches = manifests.filter((m) => modelMatches(m.manifest.id, m.manifest.variant, model));
    const ids = new Set(matches.map((m) => m.manifest.id));
    if (ids.size === 0)
      return {
        problem: `no model ${JSON.stringify(model)} under ${dir} (known: ${manifests.map((m) => m.manifest.variant).join(', ') || 'none'})`,
      };
    if (ids.size > 1)
      return {
        problem: `${JSON.stringify(model)} names ${ids.size} models under ${dir}; give a longer id`,
      };
    const first = matches[0] as Found;
    return trainingEnergyOf(first.manifest, first.dir);
  };
}
