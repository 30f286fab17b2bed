// ed25519 verification of model manifests with node:crypto: which public keys are trusted (PEM
// files given to the agent with --trusted-key), and whether a manifest.sig verifies with one of
// them. Signing (with the private key) lives in models/sign/. A manifest.sig may hold several
// signatures (key rotation, docs/security.md): those by trusted keys must all verify, and at
// least one must exist; those by keys this agent does not trust are for other agents and ignored.

import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ModelLoadError, ModelVerificationError } from './errors.js';
import { type ManifestSignature, signatureFileSchema } from './manifest.js';

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

/** The signatures of a manifest.sig (one or an array), each key id at most once. */
export function parseSignature(bytes: Uint8Array, source: string): ManifestSignature[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ModelVerificationError('malformed', `${source} is not JSON: ${(error as Error).message}`);
  }
  const result = signatureFileSchema.safeParse(parsed);
  if (!result.success) {
    throw new ModelVerificationError(
      'malformed',
      `${source} is not an edgewatt signature: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const signatures = Array.isArray(result.data) ? result.data : [result.data];
  const keyIds = signatures.map((s) => s.keyId);
  const repeated = keyIds.find((keyId, index) => keyIds.indexOf(keyId) !== index);
  if (repeated !== undefined) {
    // As in TUF, a key counts once: a repeated key id is a mistake or an attempt to confuse.
    throw new ModelVerificationError('malformed', `${source} holds two signatures by key ${repeated}`);
  }
  return signatures;
}

/** True when `signature` (base64) is a valid ed25519 signature of `bytes` by `key`. */
export function ed25519Verifies(bytes: Uint8Array, signature: string, key: KeyObject): boolean {
  const signatureBytes = Buffer.from(signature, 'base64');
  return signatureBytes.length === 64 && verify(null, bytes, key, signatureBytes);
}

/**
 * Returns the (first) trusted key that signed `manifestBytes`, or throws saying why none did:
 * `untrusted-key` when no signature is by a trusted key, `bad-signature` when one by a trusted
 * key does not verify (the bytes changed after signing; a second, good signature does not excuse it).
 */
export function verifyManifestSignature(
  manifestBytes: Uint8Array,
  signatures: ManifestSignature | readonly ManifestSignature[],
  keys: readonly TrustedKey[],
  source: string,
): TrustedKey {
  const list: readonly ManifestSignature[] = Array.isArray(signatures) ? signatures : [signatures];
  let signedBy: TrustedKey | undefined;
  for (const signature of list) {
    const claimed = keys.find((k) => k.keyId === signature.keyId);
    if (claimed === undefined) continue;
    if (!ed25519Verifies(manifestBytes, signature.signature, claimed.key)) {
      throw new ModelVerificationError(
        'bad-signature',
        `${source}: the ed25519 signature by key ${claimed.keyId} does not verify; the manifest or its signature was ` +
          'changed after signing. Refusing the model; get a fresh copy of the artifact',
      );
    }
    signedBy ??= claimed;
  }
  if (signedBy === undefined) {
    throw new ModelVerificationError(
      'untrusted-key',
      `${source} is signed by key ${list.map((s) => s.keyId).join(', ')}, which is not trusted (trusted: ${keys.map((k) => `${k.keyId} from ${k.source}`).join(', ') || 'none'}); ` +
        'add its public key with --trusted-key or re-sign the model with a trusted key',
    );
  }
  return signedBy;
}
