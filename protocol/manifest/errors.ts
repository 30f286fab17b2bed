// Errors of model loading. A verification error says which check failed (its `reason`), on which
// file, and what to do; the agent refuses such an artifact and keeps running what it had.

import { EdgewattError } from '../edgewatt-error.js';

export class ModelLoadError extends EdgewattError {
  override readonly name: string = 'ModelLoadError';
}

export const VERIFICATION_FAILURES = [
  /** No manifest.json or no manifest.sig where a signature is required. */
  'unsigned',
  /** The signature does not verify with the trusted key that made it (manifest or signature changed). */
  'bad-signature',
  /** Signed by a key that is not among the trusted ones. */
  'untrusted-key',
  /** The manifest or the signature file is not in the expected format. */
  'malformed',
  /** The artifact's SHA-256 differs from the id the manifest gives (model.json or weights changed). */
  'hash-mismatch',
  /** A file path leaves the folder, a link points out of it, a file is not regular or is too large. */
  'unsafe-file',
] as const;
export type VerificationFailure = (typeof VERIFICATION_FAILURES)[number];

export class ModelVerificationError extends ModelLoadError {
  override readonly name = 'ModelVerificationError';
  constructor(
    readonly reason: VerificationFailure,
    message: string,
  ) {
    super(message);
  }
}

export function isModelVerificationError(error: unknown): error is ModelVerificationError {
  return error instanceof ModelVerificationError;
}
