// Which file of a --model path is an ONNX graph: a .onnx file, or a folder holding model.onnx.
// Verifying it (manifest, signature, the listed file's SHA-256) is protocol/manifest's
// verifyModelArtifact, the one verifier the agent uses too.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ONNX_FILE } from '../protocol/manifest/index.js';

/** The .onnx file `path` names (itself, or model.onnx in the folder), or null when it names none. */
export async function onnxPathOf(path: string): Promise<string | null> {
  if (path.endsWith('.onnx')) return path;
  const info = await stat(path).catch(() => null);
  if (info?.isDirectory() !== true) return null;
  const inside = join(path, ONNX_FILE);
  return (await stat(inside).catch(() => null))?.isFile() === true ? inside : null;
}
