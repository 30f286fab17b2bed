// One errors module: the base class (EdgewattError, defined in protocol/ so that every layer can
// extend it), type guards, and the errors of the failures a user meets first — broker unreachable,
// credentials refused, store unreachable, address taken — each with a one-line message and a hint.

import { EdgewattError } from '../protocol/edgewatt-error.js';

export { codeOfName, EdgewattError, type EdgewattErrorOptions } from '../protocol/edgewatt-error.js';

export function isEdgewattError(error: unknown): error is EdgewattError {
  return error instanceof EdgewattError;
}

/** True when `error` is one of ours with this code. */
export function hasErrorCode(error: unknown, code: string): error is EdgewattError {
  return isEdgewattError(error) && error.code === code;
}

/** A Node.js system error (ECONNREFUSED, EPIPE, ENOENT...) with its fields. */
export interface SystemError extends Error {
  code: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

export function isSystemError(error: unknown, ...codes: string[]): error is SystemError {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (codes.length === 0 || codes.includes(code));
}

/** The broker did not answer (refused, unknown host, unreachable, timed out). */
export class BrokerUnreachableError extends EdgewattError {
  override readonly name = 'BrokerUnreachableError';
}

/** The broker answered but refused the credentials (CONNACK: not authorized / bad user name or password). */
export class BrokerAuthError extends EdgewattError {
  override readonly name = 'BrokerAuthError';
}

/** The store's server (InfluxDB) did not answer. */
export class StoreUnreachableError extends EdgewattError {
  override readonly name = 'StoreUnreachableError';
}

/** A server of ours cannot listen where it was told (port taken, or below 1024 without the right). */
export class ListenError extends EdgewattError {
  override readonly name = 'ListenError';
}
