// Failure classification of an offloaded request, from the HTTP status and the error codes Node.js
// gives for each way a connection fails (codes as Node 20 reports them), and the byte ledger of a
// keep-alive socket.

import { describe, expect, it } from 'vitest';
import { OffloadTimeoutError, outcomeOfError, outcomeOfStatus } from '../../agent/offload/outcome.js';
import { SocketLedger } from '../../agent/offload/socket-bytes.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('outcomeOfStatus', () => {
  it('2xx is ok, 429 and 503 are refused (come back later), every other status an http-error', () => {
    expect([200, 204].map(outcomeOfStatus)).toEqual(['ok', 'ok']);
    expect([429, 503].map(outcomeOfStatus)).toEqual(['refused', 'refused']);
    expect([400, 401, 413, 500, 502, 504, 302].map(outcomeOfStatus)).toEqual(Array(7).fill('http-error'));
  });
});

describe('outcomeOfError', () => {
  it.each([
    [new OffloadTimeoutError('no answer within 100 ms'), 'timeout'],
    [coded('ETIMEDOUT'), 'timeout'],
    [coded('ECONNREFUSED'), 'unreachable'],
    [coded('ENOTFOUND'), 'unreachable'],
    [coded('EHOSTUNREACH'), 'unreachable'],
    [coded('ECONNRESET', 'socket hang up'), 'connection-reset'],
    [coded('ECONNRESET', 'aborted'), 'connection-reset'],
    [coded('EPIPE'), 'connection-reset'],
    [coded('SELF_SIGNED_CERT_IN_CHAIN'), 'tls-error'],
    [coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls-error'],
    [coded('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls-error'],
    [coded('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls-error'],
    [coded('CERT_HAS_EXPIRED'), 'tls-error'],
    [coded('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls-error'],
    [new Error('aborted'), 'connection-reset'],
  ] as const)('%s → %s', (error, outcome) => {
    expect(outcomeOfError(error)).toBe(outcome);
  });
});

describe('SocketLedger', () => {
  it("counts each request's bytes on a keep-alive socket from where the previous request left it", () => {
    const ledger = new SocketLedger();
    const socket = { bytesWritten: 0, bytesRead: 0 };
    const first = ledger.start(socket);
    Object.assign(socket, { bytesWritten: 3675, bytesRead: 3086 }); // handshake + request 1
    expect(ledger.since(socket, first)).toEqual({ sent: 3675, received: 3086 });
    const second = ledger.start(socket);
    Object.assign(socket, { bytesWritten: 6921, bytesRead: 4233 });
    expect(ledger.since(socket, second)).toEqual({ sent: 3246, received: 1147 });
    // A new socket starts from zero, whatever the old one counted.
    const other = { bytesWritten: 0, bytesRead: 0 };
    const third = ledger.start(other);
    Object.assign(other, { bytesWritten: 10, bytesRead: 20 });
    expect(ledger.since(other, third)).toEqual({ sent: 10, received: 20 });
  });
});
