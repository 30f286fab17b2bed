// The API's bearer token check, shared by the fastify hook and the fast path: digests compared in
// constant time (equal lengths whatever was sent), the expected one made once, not per request.

import { createHash, timingSafeEqual } from 'node:crypto';

export const UNAUTHORIZED_MESSAGE = "this API needs Authorization: Bearer <the agent's --api-token>";

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Checks Authorization headers against one token. */
export class TokenCheck {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  /** Whether `header` is `Bearer <the token>`. */
  allows(header: string | undefined): boolean {
    if (header === undefined || !header.startsWith('Bearer ')) return false;
    return timingSafeEqual(digest(header.slice(7)), this.expected);
  }
}
