// startInfluxd (test/support/influxd.ts) when the port freePort() gave is taken before influxd binds
// it, by a server that answers GET /ping as influxd does (another worker's influxd): the set-up must
// not take that stranger for its own influxd (its writes and queries would go to another test's
// database while its own influxd has exited); it tries other ports, as for any taken port.

import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, expect, it, vi } from 'vitest';
import { describeWith } from './tools.js';

const held = vi.hoisted(() => ({ port: 0, handedOut: false }));

vi.mock('./ports.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./ports.js')>();
  return {
    ...original,
    // The first port handed out is the stranger's; the rest are really free.
    freePort: async () => {
      if (!held.handedOut && held.port !== 0) {
        held.handedOut = true;
        return held.port;
      }
      return original.freePort();
    },
  };
});

const { startInfluxd } = await import('./influxd.js');

let stranger: Server | undefined;
afterAll(async () => {
  if (stranger !== undefined) await new Promise((resolve) => stranger?.close(resolve));
});

describeWith(['influxd'], 'startInfluxd', () => {
  it('does not take a stranger answering /ping on its port for its own influxd', async () => {
    stranger = createServer((req, res) => {
      res.writeHead(req.url === '/ping' ? 204 : 404);
      res.end();
    });
    stranger.listen(0, '127.0.0.1');
    await once(stranger, 'listening');
    held.port = (stranger.address() as { port: number }).port;
    const influx = await startInfluxd();
    try {
      expect(held.handedOut).toBe(true); // the stranger's port was the one first given to influxd
      expect(influx.port).not.toBe(held.port);
      expect(influx.pid()).toBeDefined();
      expect((await fetch(`${influx.url}/ping`)).status).toBe(204);
    } finally {
      await influx.remove();
    }
  }, 60_000);
});
