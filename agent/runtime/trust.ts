// The agent's model verification policy from its configuration: with one or more trusted public
// keys (--trusted-key), only artifacts whose manifest is signed by one of them run; with none,
// unsigned artifacts run too (a manifest, when present, must still match the bytes).

import { type ModelTrust, TRUST_ANY } from './model.js';
import { loadTrustedKey } from './signature.js';

export function trustFromKeyFiles(paths: readonly string[]): ModelTrust {
  if (paths.length === 0) return TRUST_ANY;
  return { keys: paths.map(loadTrustedKey), requireSigned: true };
}
