// ed25519 verification of model manifests with node:crypto: which public keys are trusted (PEM
// files given to the agent with --trusted-key), and whether a manifest.sig verifies with one of
// them. Signing (with the private key) lives in models/sign/.

import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ModelLoadError, ModelVerificationError } from './errors.js';
import { type ManifestSignature, signatureSchema } from './manifest.js';

export interface TrustedKey {
  keyId: string;
  key: KeyObject;
  source: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

export function loadTrustedKey(path: string): TrustedKey {
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(path));
  } catch (error) {
    throw new ModelLoadError(
      `trusted key ${path} cannot be read as a PEM public key: ${(error as Error).message}; ` +
        'give the .pub.pem written by "edgewatt model keygen"',
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ModelLoadError(
      `trusted key ${path} is a ${key.asymmetricKeyType} key; edgewatt models are signed with ed25519`,
    );
  }
  return { keyId: keyIdOf(key), key, source: path };
}

export function parseSignature(bytes: Uint8Array, source: string): ManifestSignature {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ModelVerificationError('malformed', `${source} is not JSON: ${(error as Error).message}`);
  }
  const result = signatureSchema.safeParse(parsed);
  if (!result.success) {
    throw new ModelVerificationError(
      'malformed',
      `${source} is not an edgewatt signature: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data;
}

/** Returns the trusted key that signed `manifestBytes`, or throws saying why none did. */
export function verifyManifestSignature(
  manifestBytes: Uint8Array,
  signature: ManifestSignature,
  keys: readonly TrustedKey[],
  source: string,
): TrustedKey {
  const signatureBytes = Buffer.from(signature.signature, 'base64');
  const claimed = keys.find((k) => k.keyId === signature.keyId);
  if (claimed === undefined) {
    throw new ModelVerificationError(
      'untrusted-key',
      `${source} is signed by key ${signature.keyId}, which is not trusted (trusted: ${keys.map((k) => `${k.keyId} from ${k.source}`).join(', ') || 'none'}); ` +
        'add its public key with --trusted-key or re-sign the model with a trusted key',
    );
  }
  if (signatureBytes.length !== 64 || !verify(null, manifestBytes, claimed.key, signatureBytes)) {
    throw new ModelVerificationError(
      'bad-signature',
      `${source}: the ed25519 signature by key ${claimed.keyId} does not verify; the manifest or its signature was ` +
        'changed after signing. Refusing the model; get a fresh copy of the artifact',
    );
  }
  return claimed;
}
