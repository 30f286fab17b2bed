// manifest.sig with several signatures (key rotation, docs/security.md): an agent that trusts the
// old key, the new key or both accepts a co-signed manifest; a bad signature by a trusted key is
// refused even next to a good one; repeated key ids are refused.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signArtifactDir, signBytes } from '../../models/sign/keys.js';
import {
  isModelVerificationError,
  keyIdOf,
  type ManifestSignature,
  parseSignature,
  type TrustedKey,
  verifyManifestSignature,
} from '../../protocol/manifest/index.js';

function keyPair(source: string): { privateKey: KeyObject; trusted: TrustedKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, trusted: { keyId: keyIdOf(publicKey), key: publicKey, source } };
}

const oldKey = keyPair('old.pub.pem');
const newKey = keyPair('new.pub.pem');
const strangerKey = keyPair('stranger.pub.pem');
const MANIFEST = new TextEncoder().encode('{"schema":"edgewatt.model-manifest/1"}\n');
const fileOf = (content: unknown) => new TextEncoder().encode(JSON.stringify(content));

function reasonOf(signatures: ManifestSignature[], keys: TrustedKey[]): string | null {
  try {
    verifyManifestSignature(MANIFEST, signatures, keys, 'manifest.json');
    return null;
  } catch (error) {
    expect(isModelVerificationError(error)).toBe(true);
    return (error as { reason: string }).reason;
  }
}

describe('co-signed manifests', () => {
  const both = [signBytes(MANIFEST, oldKey.privateKey), signBytes(MANIFEST, newKey.privateKey)];

  it('parse from one object (as before) or an array', () => {
    expect(parseSignature(fileOf(both[0]), 'sig')).toEqual([both[0]]);
    expect(parseSignature(fileOf(both), 'sig')).toEqual(both);
  });

  it('verify for agents trusting the old key, the new key, or both', () => {
    expect(verifyManifestSignature(MANIFEST, both, [oldKey.trusted], 'm').keyId).toBe(oldKey.trusted.keyId);
    expect(verifyManifestSignature(MANIFEST, both, [newKey.trusted], 'm').keyId).toBe(newKey.trusted.keyId);
    expect(reasonOf(both, [newKey.trusted, oldKey.trusted])).toBeNull();
  });

  it('are refused when no signature is by a trusted key: untrusted-key', () => {
    expect(reasonOf(both, [strangerKey.trusted])).toBe('untrusted-key');
  });

  it('are refused when a trusted key signature is bad, even next to a good one: bad-signature', () => {
    const other = new TextEncoder().encode('{"schema":"other"}');
    const mixed = [signBytes(MANIFEST, oldKey.privateKey), signBytes(other, newKey.privateKey)];
    expect(reasonOf(mixed, [oldKey.trusted])).toBeNull(); // the bad one is by a key it does not trust
    expect(reasonOf(mixed, [oldKey.trusted, newKey.trusted])).toBe('bad-signature');
  });

  it('are refused with a repeated key id or an empty array: malformed', () => {
    for (const content of [[both[0], both[0]], []]) {
      try {
        parseSignature(fileOf(content), 'sig');
        throw new Error('accepted');
      } catch (error) {
        expect((error as { reason?: string }).reason).toBe('malformed');
      }
    }
  });
});

describe('signArtifactDir with coSign', () => {
  it('adds a signature next to the one there, replaces its own on a repeat, and needs a first signature', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgewatt-cosign-'));
    try {
      writeFileSync(join(dir, 'manifest.json'), MANIFEST);
      await expect(signArtifactDir(dir, newKey.privateKey, { coSign: true })).rejects.toThrow(
        /sign with the current key first/,
      );
      await signArtifactDir(dir, oldKey.privateKey);
      await signArtifactDir(dir, newKey.privateKey, { coSign: true });
      await signArtifactDir(dir, newKey.privateKey, { coSign: true });
      const signatures = parseSignature(readFileSync(join(dir, 'manifest.sig')), 'sig');
      expect(signatures.map((s) => s.keyId)).toEqual([oldKey.trusted.keyId, newKey.trusted.keyId]);
      expect(reasonOf(signatures, [oldKey.trusted, newKey.trusted])).toBeNull();
      // Without coSign, signing replaces the file: one signature, as before rotation existed.
      await signArtifactDir(dir, newKey.privateKey);
      expect(parseSignature(readFileSync(join(dir, 'manifest.sig')), 'sig')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
