// An emulated link in one object: a namespace whose veth pair is shaped by tbf (bandwidth) and a
// delaying proxy on 127.0.0.1 in front of a server started inside the namespace (delay, jitter,
// loss, cuts). The device side (agent, test client) connects to `proxy.host:proxy.port`; the
// server listens in the namespace on `ns.peerIp:targetPort`. Used by tests and bench:offload.

import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DelayProxy, startDelayProxy } from './delay-proxy.js';
import { createLinkNamespace, type LinkNamespace } from './netns.js';
import type { LinkPreset } from './presets.js';

export interface EmulatedLink {
  readonly ns: LinkNamespace;
  readonly proxy: DelayProxy;
  /** "http://127.0.0.1:<proxy port>", the server as the device reaches it. */
  readonly url: string;
  /** Switches to other conditions (tc qdisc replace + new proxy delays); open connections stay. */
  apply(preset: LinkPreset): void;
  close(): Promise<void>;
}

export async function startEmulatedLink(
  preset: LinkPreset,
  targetPort: number,
  seed = 1,
): Promise<EmulatedLink> {
  const ns = createLinkNamespace(preset);
  let proxy: DelayProxy;
  try {
    proxy = await startDelayProxy({ ...preset, target: { host: ns.peerIp, port: targetPort }, seed });
  } catch (error) {
    ns.close();
    throw error;
  }
  return {
    ns,
    proxy,
    url: `http://${proxy.host}:${proxy.port}`,
    apply(next) {
      ns.shape(next);
      proxy.setDelays(next);
    },
    async close() {
      await proxy.close();
      ns.close();
    },
  };
}

/** Resolves once something accepts TCP connections at host:port; throws after timeoutMs. */
export async function waitForListener(host: string, port: number, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not listen on ${host}:${port} within ${timeoutMs} ms`);
    await sleep(25);
  }
}
