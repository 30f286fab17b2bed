// The separate-process client of bench:api (bench/agent-api.bench.ts): an application on the same
// board calling the agent's local API from its own process, as a real one does. It keeps one
// keep-alive connection (node:http), sends a request when the bench asks over IPC, and answers
// with the latency it saw, so the bench can interleave it with the in-process figures.

import { Agent as HttpAgent, request } from 'node:http';

interface Setup {
  kind: 'setup';
  /** http://host:port/path, or unix:<socket path>:<path>. */
  url: string;
  headers: Record<string, string>;
  bodyBase64: string;
}
type Command = Setup | { kind: 'one' } | { kind: 'exit' };

const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 1 });
interface Target {
  where: { host: string; port: string } | { socketPath: string };
  path: string;
  headers: Record<string, string | number>;
  body: Buffer;
}
let target: Target | undefined;

function whereOf(url: string): Pick<Target, 'where' | 'path'> {
  if (url.startsWith('unix:')) {
    const at = url.lastIndexOf(':');
    return { where: { socketPath: url.slice(5, at) }, path: url.slice(at + 1) };
  }
  const parsed = new URL(url);
  return { where: { host: parsed.hostname, port: parsed.port }, path: parsed.pathname };
}

function post(): Promise<number> {
  if (target === undefined) return Promise.reject(new Error('the bench sent no setup yet'));
  const { where, path, headers, body } = target;
  return new Promise((resolve, reject) => {
    const req = request({ ...where, path, method: 'POST', agent: keepAlive, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const send = (message: object) => process.send?.(message);

process.on('message', (command: Command) => {
  if (command.kind === 'setup') {
    const body = Buffer.from(command.bodyBase64, 'base64');
    target = {
      ...whereOf(command.url),
      headers: { ...command.headers, 'content-length': body.length },
      body,
    };
    send({ kind: 'ready' });
  } else if (command.kind === 'one') {
    const t = performance.now();
    post().then(
      (status) => send({ kind: 'done', ms: performance.now() - t, status }),
      (error: unknown) => send({ kind: 'failed', message: (error as Error).message }),
    );
  } else {
    keepAlive.destroy();
    process.disconnect();
  }
});
