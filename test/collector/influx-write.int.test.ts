// The InfluxDB sink's own POST /write (collector/sink/influx-write.ts) against a real HTTP server
// on loopback that answers as InfluxDB does, or stops in the middle of its answer: a write whose
// answer is cut off fails (the sink then retries it) instead of hanging for ever.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InfluxWriteRequests } from '../../collector/sink/influx-write.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(answer: Parameters<typeof createServer>[1]): Promise<InfluxWriteRequests> {
  server = createServer(answer);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return new InfluxWriteRequests({
    host: '127.0.0.1',
    port,
    database: 'edgewatt',
    https: false,
    tls: {},
    timeoutMs: 60_000,
  });
}

const BODY = Buffer.from('inference,fleet=f,device=d energyJ=1 1\n');

describe('InfluxWriteRequests.write', () => {
  it('resolves on 204 with the body and the database as sent', async () => {
    let seen = '';
    let url = '';
    const writes = await serve((req, res) => {
      url = req.url ?? '';
      req.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
      });
      req.on('end', () => res.writeHead(204).end());
    });
    await writes.write(BODY);
    expect(seen).toBe(BODY.toString());
    expect(url).toBe('/write?db=edgewatt&precision=n');
    writes.close();
  });

  it('rejects (does not hang) when the answer is cut off after its headers', async () => {
    const writes = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"results":');
        // The connection drops with 89 bytes of the answer still to come.
        setTimeout(() => res.socket?.destroy(), 20);
      });
    });
    const outcome = await Promise.race([
      writes.write(BODY).then(
        () => 'resolved',
        (error: Error) => error.message,
      ),
      // A hang detector, generous for a loaded machine: the cut comes 20 ms after the headers.
      new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 10 s'), 10_000)),
    ]);
    expect(outcome).toMatch(/closed the connection before its answer ended|aborted|socket hang up/);
    writes.close();
  });
});
