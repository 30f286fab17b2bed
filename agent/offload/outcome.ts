// What became of one offloaded request, in the words of the offload record's `outcome` field
// (/work/notes/offload-contract.md §2): the HTTP status and the Node.js socket/TLS error codes
// mapped to ok, timeout, refused (429/503: the server is alive and says "not now"), http-error,
// connection-reset, tls-error or unreachable. Pure, so each class is tested without a network.

import type { OffloadOutcome } from '../../protocol/index.js';

export type { OffloadOutcome };

/** Our own deadline passed: raised by the client, never by Node.js. */
export class OffloadTimeoutError extends Error {
  override readonly name = 'OffloadTimeoutError';
  readonly code = 'EDGEWATT_OFFLOAD_TIMEOUT';
}

/** The outcome of an HTTP answer that arrived whole. */
export function outcomeOfStatus(status: number): OffloadOutcome {
  if (status >= 200 && status < 300) return 'ok';
  // 429 (queue full) and 503 (loading, stopping): the server is there and asks us to come back.
  if (status === 429 || status === 503) return 'refused';
  return 'http-error';
}

// Nothing answers at that address, or no route to it.
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
]);
// The connection was there and went away before the whole answer was read.
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The outcome of a request that failed before a whole answer arrived. */
export function outcomeOfError(error: unknown): OffloadOutcome {
  const code = (error as { code?: unknown } | null)?.code;
  const text = typeof code === 'string' ? code : '';
  // The kernel's own TCP timeout counts as one too (ours usually comes first).
  if (error instanceof OffloadTimeoutError || text === 'ETIMEDOUT') return 'timeout';
  if (UNREACHABLE.has(text)) return 'unreachable';
  if (RESET.has(text)) return 'connection-reset';
  // OpenSSL's verification codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN,
  // CERT_HAS_EXPIRED, ...), Node's ERR_TLS_* and ERR_SSL_* (a handshake the peer broke off).
  if (
    /CERT|SIGNATURE|ISSUER|^ERR_TLS_|^ERR_SSL_|^EPROTO$/.test(text) ||
    (error as Error | null)?.message?.includes('SSL routines') === true
  )
    return 'tls-error';
  // What is left is a connection that ended early in another way: "socket hang up" (closed before
  // any answer) or "aborted" (an answer cut short); Node gives some of these no code.
  return 'connection-reset';
}
