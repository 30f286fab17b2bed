// The refusals of the inference server, each mapped to one HTTP status by serve/http.ts: a full
// queue (429 with Retry-After), a server still loading or stopping (503), a caller that went away.

import { EdgewattError } from '../common/errors.js';

export class QueueFullError extends EdgewattError {
  override readonly name = 'QueueFullError';
  constructor(
    readonly waiting: number,
    /** Whole seconds after which a retry is likely to find room (≥ 1, as Retry-After counts). */
    readonly retryAfterS: number,
  ) {
    super(`${waiting} requests are already waiting for a batch; retry in ${retryAfterS} s`, {
      hint: 'send fewer requests at once, or raise the server’s --max-queue',
    });
  }
}

export class ServerStoppingError extends EdgewattError {
  override readonly name = 'ServerStoppingError';
}

export class RequestAbortedError extends EdgewattError {
  override readonly name = 'RequestAbortedError';
}
