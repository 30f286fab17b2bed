// ed25519 keys and signatures for model manifests (node:crypto). `keygen` writes a private key
// (PKCS#8 PEM, readable by its owner only) and its public key (SPKI PEM) for the agents'
// --trusted-key; `sign` writes manifest.sig over the exact bytes of manifest.json, alone or, when
// co-signing during a key rotation (docs/security.md), next to the signatures already there.

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgewattError } from '../../common/errors.js';
import {
  keyIdOf,
  MANIFEST_FILE,
  type ManifestSignature,
  parseSignature,
  SIGNATURE_FILE,
} from '../../protocol/manifest/index.js';

export class SigningError extends EdgewattError {
  override readonly name = 'SigningError';
}

export interface KeyPairFiles {
  privateKeyPath: string;
  publicKeyPath: string;
  keyId: string;
}

/** Writes `<prefix>.key.pem` (mode 0600) and `<prefix>.pub.pem`; refuses to overwrite a private key. */
export async function generateKeys(prefix: string): Promise<KeyPairFiles> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privateKeyPath = `${prefix}.key.pem`;
  const publicKeyPath = `${prefix}.pub.pem`;
  await writeFile(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
    flag: 'wx',
  }).catch((error: NodeJS.ErrnoException) => {
    throw new SigningError(
      error.code === 'EEXIST'
        ? `${privateKeyPath} already exists; edgewatt never overwrites a private key (choose another --out)`
        : `cannot write ${privateKeyPath}: ${error.message}`,
    );
  });
  await writeFile(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKeyPath, publicKeyPath, keyId: keyIdOf(publicKey) };
}

export async function readPrivateKey(path: string): Promise<KeyObject> {
  let key: KeyObject;
  try {
    key = createPrivateKey(await readFile(path));
  } catch (error) {
    throw new SigningError(
      `--key ${path} cannot be read as a PEM private key: ${(error as Error).message}; make one with "edgewatt model keygen"`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SigningError(`--key ${path} is a ${key.asymmetricKeyType} key; edgewatt signs with ed25519`);
  }
  return key;
}

export function signBytes(bytes: Uint8Array, privateKey: KeyObject): ManifestSignature {
  return {
    algorithm: 'ed25519',
    keyId: keyIdOf(createPublicKey(privateKey)),
    signature: sign(null, bytes, privateKey).toString('base64'),
  };
}

/**
 * Signs `<dir>/manifest.json` into `<dir>/manifest.sig`; returns the signature. With `coSign`, the
 * signatures already in manifest.sig by other keys are kept and this one is added (an array).
 */
export async function signArtifactDir(
  dir: string,
  privateKey: KeyObject,
  options: { coSign?: boolean } = {},
): Promise<ManifestSignature> {
  const manifestPath = join(dir, MANIFEST_FILE);
  const bytes = await readFile(manifestPath).catch((error: Error) => {
    throw new SigningError(
      `cannot read ${manifestPath}: ${error.message}; a model is signed after its manifest is written ` +
        '(a model made elsewhere gets one with "edgewatt model import <model> --out <dir>")',
    );
  });
  const signature = signBytes(bytes, privateKey);
  const signaturePath = join(dir, SIGNATURE_FILE);
  let others: ManifestSignature[] = [];
  if (options.coSign === true) {
    const existing = await readFile(signaturePath).catch(() => null);
    if (existing === null) {
      throw new SigningError(`--co-sign: ${signaturePath} does not exist; sign with the current key first`);
    }
    others = parseSignature(existing, signaturePath).filter((s) => s.keyId !== signature.keyId);
  }
  const content = others.length === 0 ? signature : [...others, signature];
  await writeFile(signaturePath, `${JSON.stringify(content, null, 2)}\n`);
  return signature;
}
