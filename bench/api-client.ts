// The separate-process client of bench:api (bench/agent-api.bench.ts): an application on the same
// board calling the agent's local API from its own process, as a real one does. One keep-alive
// connection per target (node:http, Nagle off, headers and body in one write), a request when the
// bench asks over IPC, and the latency it saw as the answer, so the bench can interleave it with
// the in-process figures. Besides POST /v1/infer the targets are the bench's null baselines.

import { Agent as HttpAgent, request } from 'node:http';
import type { Socket } from 'node:net';

interface TargetSpec {
  name: string;
  /** http://host:port/path, or unix:<socket path>:<path>. */
  url: string;
  headers: Record<string, string>;
  bodyBase64: string;
}
type Command = { kind: 'setup'; targets: TargetSpec[] } | { kind: 'one'; target: string } | { kind: 'exit' };

interface Target {
  where: { host: string; port: string } | { socketPath: string };
  path: string;
  headers: Record<string, string | number>;
  body: Buffer;
  /** Its own connection, so one target's answers never queue behind another's. */
  agent: HttpAgent;
}
const targets = new Map<string, Target>();

function whereOf(url: string): Pick<Target, 'where' | 'path'> {
  if (url.startsWith('unix:')) {
    const at = url.lastIndexOf(':');
    return { where: { socketPath: url.slice(5, at) }, path: url.slice(at + 1) };
  }
  const parsed = new URL(url);
  return { where: { host: parsed.hostname, port: parsed.port }, path: `${parsed.pathname}${parsed.search}` };
}

const noDelay = (socket: Socket) => socket.setNoDelay(true);

function post(target: Target): Promise<number> {
  const { where, path, headers, body, agent } = target;
  return new Promise((resolve, reject) => {
    const req = request({ ...where, path, method: 'POST', agent, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('error', reject);
    // A reused socket has it already; a no-op then (no syscall is repeated by node for the same value).
    req.once('socket', noDelay);
    req.end(body);
  });
}

const send = (message: object) => process.send?.(message);

process.on('message', (command: Command) => {
  if (command.kind === 'setup') {
    for (const spec of command.targets) {
      const body = Buffer.from(spec.bodyBase64, 'base64');
      targets.set(spec.name, {
        ...whereOf(spec.url),
        headers: { ...spec.headers, 'content-length': body.length },
        body,
        agent: new HttpAgent({ keepAlive: true, maxSockets: 1 }),
      });
    }
    send({ kind: 'ready' });
  } else if (command.kind === 'one') {
    const target = targets.get(command.target);
    if (target === undefined) {
      send({ kind: 'failed', message: `no target ${command.target}` });
      return;
    }
    const t = performance.now();
    post(target).then(
      (status) => send({ kind: 'done', ms: performance.now() - t, status }),
      (error: unknown) => send({ kind: 'failed', message: (error as Error).message }),
    );
  } else {
    for (const target of targets.values()) target.agent.destroy();
    process.disconnect();
  }
});
