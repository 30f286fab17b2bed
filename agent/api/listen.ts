// Where the agent's local API listens: `host:port` (default host 127.0.0.1) or `unix:<path>`.
// Anything beyond loopback or a Unix socket needs a token: the API runs the model on whatever it
// is sent and reports on the board, so it is not offered to a network unauthenticated.

import { EdgewattError } from '../../common/errors.js';

export type ApiListen = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export class ApiListenError extends EdgewattError {
  override readonly name = 'ApiListenError';
}

/** Parses `unix:<path>`, `host:port`, `[v6]:port` or `port`; null when it is none of them. */
export function parseApiListen(text: string): ApiListen | null {
  if (text.startsWith('unix:')) return text.length > 5 ? { kind: 'unix', path: text.slice(5) } : null;
  const match = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text);
  if (match === null) return null;
  const port = Number(match[3]);
  if (port > 65535) return null;
  const host = match[1] ?? match[2] ?? '';
  return { kind: 'tcp', host: host === '' ? '127.0.0.1' : host, port };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Refuses a listen address beyond this machine without a token, before anything starts. */
export function checkApiExposure(listen: ApiListen, token: string | undefined): void {
  if (listen.kind === 'unix' || isLoopbackHost(listen.host) || token !== undefined) return;
  throw new ApiListenError(
    `--api ${listen.host}:${listen.port} listens beyond this machine without a token`,
    { hint: 'bind 127.0.0.1 or a unix:<path> socket, or set --api-token (EDGEWATT_API_TOKEN)' },
  );
}
