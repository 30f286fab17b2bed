// Typed errors of the wire contract. Decoding untrusted bytes never throws: it returns one of
// these inside a Result, so a long-running collector can count the reason and carry on.

import { EdgewattError } from './edgewatt-error.js';

export type ProtocolErrorReason =
  | 'too-large'
  | 'empty'
  | 'unknown-encoding'
  | 'malformed'
  | 'invalid'
  | 'unsupported-version'
  | 'bad-topic'
  | 'topic-mismatch';

export class ProtocolError extends EdgewattError {
  override readonly name = 'ProtocolError';
  constructor(
    readonly reason: ProtocolErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export function isProtocolError(value: unknown): value is ProtocolError {
  return value instanceof ProtocolError;
}

export type Result<T, E = ProtocolError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = (reason: ProtocolErrorReason, message: string): Result<never> => ({
  ok: false,
  error: new ProtocolError(reason, message),
});
