// A TCP proxy between agents and the broker that a test can cut: `cut()` closes every connection
// and stops listening (the agent sees "connection refused", as with an unreachable broker),
// `restore()` listens again on the same port. Only the agents' path is cut; the collector keeps
// its own connection to the broker.

import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface CuttableLink {
  port: number;
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startLink(targetPort: number): Promise<CuttableLink> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async (at: number) => {
    server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.listen(at, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    port = typeof address === 'object' && address !== null ? address.port : at;
  };
  const stop = async () => {
    for (const socket of sockets) socket.destroy();
    const running = server;
    server = undefined;
    if (running !== undefined) await new Promise<void>((resolve) => running.close(() => resolve()));
  };
  await listen(0);
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    cut: stop,
    restore: () => listen(port),
    close: stop,
  };
}
