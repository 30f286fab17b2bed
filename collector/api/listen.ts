// The `--http` address syntax (host:port, [v6]:port, a bare port), apart from the server itself:
// option schemas parse it without importing the HTTP server and its framework.

/** Parses `host:port`, `[v6]:port` or `port` (host 127.0.0.1). Null when it is neither. */
export function parseListen(text: string): { host: string; port: number } | null {
  const match = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text);
  if (match === null) return null;
  const port = Number(match[3]);
  if (port > 65535) return null;
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '127.0.0.1' : host, port };
}
