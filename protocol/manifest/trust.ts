// The agent's model verification policy from its configuration: only artifacts whose manifest
// is signed by one of the trusted public keys run. Unsigned artifacts run only with the explicit
// opt-out `allowUnsigned` (development); a manifest that is present must still match the bytes.

import { type ModelTrust, TRUST_ANY } from './artifact.js';
import { ModelLoadError } from './errors.js';
import { loadTrustedKey } from './signature.js';

export class ModelTrustConfigError extends ModelLoadError {
  override readonly name = 'ModelTrustConfigError';
}

export function trustFromKeyFiles(paths: readonly string[], allowUnsigned = false): ModelTrust {
  const keys = paths.map(loadTrustedKey);
  if (allowUnsigned) return keys.length === 0 ? TRUST_ANY : { keys, requireSigned: false };
  if (keys.length === 0) {
    throw new ModelTrustConfigError(
      'no trusted key: the agent runs only signed models. Give the public key that signed the model with ' +
        '--trusted-key <pem> (from "edgewatt model keygen"; the zoo models use models/zoo/zoo.pub.pem), ' +
        'or pass --allow-unsigned to run unsigned models during development',
    );
  }
  return { keys, requireSigned: true };
}
