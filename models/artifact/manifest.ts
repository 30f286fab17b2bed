// Builds and writes the manifest of an artifact (see protocol/manifest/manifest.ts for the format):
// the id and file digests come from the saved bytes, the cost from the FLOPs counter, the
// accuracy from an evaluation on the test set.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EDGEWATT_VERSION } from '../../common/version.js';
import {
  MANIFEST_FILE,
  MANIFEST_SCHEMA,
  type ModelManifest,
  manifestSchema,
} from '../../protocol/manifest/index.js';
import type { SavedArtifact } from './save.js';

export function buildManifest(
  saved: SavedArtifact,
  fields: Omit<ModelManifest, 'schema' | 'id' | 'artifactBytes' | 'files' | 'createdBy'>,
): ModelManifest {
  return manifestSchema.parse({
    schema: MANIFEST_SCHEMA,
    id: saved.id,
    ...fields,
    artifactBytes: saved.bytes,
    files: saved.files,
    createdBy: `edgewatt ${EDGEWATT_VERSION}`,
  });
}

export async function writeManifest(dir: string, manifest: ModelManifest): Promise<string> {
  const path = join(dir, MANIFEST_FILE);
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return path;
}
