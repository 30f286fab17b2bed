// The link-emulation tooling alone (test/support/link/): a TCP peer inside a namespace whose veth
// pair is shaped by tbf, reached directly and through the delaying proxy. Throughput follows the
// configured rate per direction, the proxy adds its delays (and its handshake round trip), keeps
// order under jitter, stalls "lost" chunks, cuts connections, and everything is removed on close,
// on a crash and on SIGTERM.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DelayProxy, startDelayProxy } from '../support/link/delay-proxy.js';
import { waitForListener } from '../support/link/emulated-link.js';
import { createLinkNamespace, type LinkNamespace } from '../support/link/netns.js';
import { linkRequirement } from '../support/link/requirement.js';
import { describeIf } from '../support/tools.js';

const PEER = fileURLToPath(new URL('../support/link/tcp-peer.ts', import.meta.url));
const NETNS = fileURLToPath(new URL('../support/link/netns.ts', import.meta.url));
const PORT = 7000;
const UP_MBIT = 16;
const DOWN_MBIT = 4;
/** TCP payload per Ethernet frame with timestamps (1448 of 1514 B): tbf counts whole frames. */
const GOODPUT_SHARE = 1448 / 1514;

function connect(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port, noDelay: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function header(kind: 'S' | 'R', count: number): Buffer {
  const head = Buffer.alloc(5);
  head.write(kind, 0);
  head.writeUInt32BE(count, 1);
  return head;
}

/** Seconds to push `bytes` to the peer until it acknowledges the last one. */
async function uplinkSeconds(host: string, port: number, bytes: number): Promise<number> {
  const socket = await connect(host, port);
  const start = performance.now();
  socket.write(header('R', bytes));
  socket.write(Buffer.alloc(bytes, 1));
  await once(socket, 'data');
  const seconds = (performance.now() - start) / 1e3;
  socket.destroy();
  return seconds;
}

/** Seconds from the first to the last of `bytes` the peer sends. */
async function downlinkSeconds(host: string, port: number, bytes: number): Promise<number> {
  const socket = await connect(host, port);
  let first = 0;
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    if (received === 0) first = performance.now();
    received += chunk.length;
  });
  socket.write(header('S', bytes));
  await once(socket, 'end');
  const seconds = (performance.now() - first) / 1e3;
  socket.destroy();
  expect(received).toBe(bytes);
  return seconds;
}

/** Echo round trips of one small message each, in milliseconds (the first includes the handshake). */
async function echoRoundTrips(socket: Socket, count: number): Promise<number[]> {
  const rtts: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    socket.write(i === 0 ? 'Eping' : 'ping');
    await once(socket, 'data');
    rtts.push(performance.now() - start);
  }
  return rtts;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

function namespaces(): string {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
}

describeIf(linkRequirement(), 'emulated link tooling (netns + tbf + delaying proxy)', () => {
  let ns: LinkNamespace;
  let peer: ChildProcess;

  beforeAll(async () => {
    ns = createLinkNamespace({ uplinkMbit: UP_MBIT, downlinkMbit: DOWN_MBIT });
    peer = ns.spawn([process.execPath, '--import', 'tsx', PEER, ns.peerIp, String(PORT)], {
      stdio: 'ignore',
    });
    await waitForListener(ns.peerIp, PORT, 'tcp-peer in the namespace');
  });

  afterAll(() => {
    peer?.kill();
    ns?.close();
  });

  it('shapes each direction to its tbf rate (goodput within 12 % of the rate less framing)', async () => {
    const upBytes = 1_000_000; // 0.5 s at 16 Mbit/s
    const downBytes = 400_000; // 0.8 s at 4 Mbit/s
    const upMbit = (upBytes * 8) / (await uplinkSeconds(ns.peerIp, PORT, upBytes)) / 1e6;
    const downMbit = (downBytes * 8) / (await downlinkSeconds(ns.peerIp, PORT, downBytes)) / 1e6;
    expect(upMbit).toBeGreaterThan(UP_MBIT * GOODPUT_SHARE * 0.88);
    expect(upMbit).toBeLessThan(UP_MBIT * GOODPUT_SHARE * 1.12);
    expect(downMbit).toBeGreaterThan(DOWN_MBIT * GOODPUT_SHARE * 0.88);
    expect(downMbit).toBeLessThan(DOWN_MBIT * GOODPUT_SHARE * 1.12);
    // The bytes went through the qdiscs, not around them.
    const stats = ns.qdiscStats();
    expect(stats.uplink?.sentBytes).toBeGreaterThan(upBytes);
    expect(stats.downlink?.sentBytes).toBeGreaterThan(downBytes);
  });

  it('is the shaping that limits: unshaped, the same transfer is far faster', async () => {
    ns.shape({ uplinkMbit: null, downlinkMbit: null });
    try {
      const bytes = 1_000_000;
      const upMbit = (bytes * 8) / (await uplinkSeconds(ns.peerIp, PORT, bytes)) / 1e6;
      expect(upMbit).toBeGreaterThan(UP_MBIT * 3);
      expect(ns.qdiscStats().uplink).toBeNull();
    } finally {
      ns.shape({ uplinkMbit: UP_MBIT, downlinkMbit: DOWN_MBIT });
    }
  });

  describe('the delaying proxy', () => {
    let proxy: DelayProxy;

    beforeAll(async () => {
      proxy = await startDelayProxy({
        target: { host: ns.peerIp, port: PORT },
        uplinkDelayMs: 30,
        downlinkDelayMs: 20,
      });
    });

    afterAll(async () => {
      await proxy?.close();
    });

    it('adds its one-way delays to every round trip, and one round trip for the handshake', async () => {
      proxy.setDelays({ uplinkDelayMs: 30, downlinkDelayMs: 20 });
      const socket = await connect(proxy.host, proxy.port);
      const [first = 0, ...rest] = await echoRoundTrips(socket, 8);
      socket.destroy();
      // Never less than configured (timers fire late, never early); the slack is this shared machine's.
      expect(Math.min(...rest)).toBeGreaterThanOrEqual(50 - 1);
      expect(median(rest)).toBeLessThan(50 + 30);
      expect(first).toBeGreaterThanOrEqual(100 - 1);
      expect(first).toBeLessThan(100 + 40);
      expect(proxy.stats().uplinkBytes).toBeGreaterThanOrEqual(5 + 7 * 4);
    });

    it('keeps the byte order under jitter', async () => {
      proxy.setDelays({ uplinkDelayMs: 5, downlinkDelayMs: 5, jitterMs: 5 });
      const socket = await connect(proxy.host, proxy.port);
      let echoed = '';
      socket.on('data', (chunk: Buffer) => {
        echoed += chunk.toString();
      });
      socket.write('E');
      let sent = '';
      for (let i = 0; i < 200; i++) {
        const piece = `${i},`;
        sent += piece;
        socket.write(piece);
        if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const deadline = Date.now() + 5000;
      while (echoed.length < sent.length && Date.now() < deadline) await once(socket, 'data');
      socket.destroy();
      expect(echoed).toBe(sent);
    });

    it('holds a "lost" chunk back one retransmission timeout per direction', async () => {
      proxy.setDelays({
        uplinkDelayMs: 10,
        downlinkDelayMs: 10,
        lossProbability: 1,
        retransmitTimeoutMs: 100,
      });
      const socket = await connect(proxy.host, proxy.port);
      const before = proxy.stats().lostChunks;
      const rtts = await echoRoundTrips(socket, 3);
      socket.destroy();
      expect(Math.min(...rtts.slice(1))).toBeGreaterThanOrEqual(20 + 200 - 1);
      expect(proxy.stats().lostChunks - before).toBe(6);
    });

    it('cuts connections: at random (cutProbability) and on demand (cutAll), both sides reset', async () => {
      proxy.setDelays({ uplinkDelayMs: 1, downlinkDelayMs: 1, cutProbability: 1 });
      const random = await connect(proxy.host, proxy.port);
      random.write('Eping');
      const [error] = (await once(random, 'error')) as [NodeJS.ErrnoException];
      expect(error.code).toBe('ECONNRESET');

      proxy.setDelays({ uplinkDelayMs: 1, downlinkDelayMs: 1 });
      const open = await connect(proxy.host, proxy.port);
      await echoRoundTrips(open, 1);
      const cutsBefore = proxy.stats().cutConnections;
      expect(proxy.cutAll()).toBe(1);
      const [reset] = (await once(open, 'error')) as [NodeJS.ErrnoException];
      expect(reset.code).toBe('ECONNRESET');
      expect(proxy.stats().cutConnections - cutsBefore).toBe(1);
    });
  });

  it('removes its namespace and veth pair on close()', () => {
    const other = createLinkNamespace({ uplinkMbit: 1, downlinkMbit: null });
    expect(namespaces()).toContain(other.name);
    other.close();
    expect(namespaces()).not.toContain(other.name);
    expect(() => execFileSync('ip', ['link', 'show', other.hostInterface], { stdio: 'ignore' })).toThrow();
  });

  it.each([
    ['a crash (uncaught error)', 'throw'],
    ['SIGTERM', 'wait'],
  ])('removes its namespace when the process ends by %s', async (_how, mode) => {
    const script = `
      import { createLinkNamespace } from ${JSON.stringify(NETNS)};
      const ns = createLinkNamespace({ uplinkMbit: 2, downlinkMbit: 2 });
      process.stdout.write(ns.name + '\\n');
      if (${JSON.stringify(mode)} === 'throw') throw new Error('boom');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const name = line.toString().trim();
    expect(namespaces()).toContain(name);
    if (mode === 'wait') child.kill('SIGTERM');
    const [code, signal] = await once(child, 'exit');
    expect(mode === 'throw' ? code : signal).toBe(mode === 'throw' ? 1 : 'SIGTERM');
    expect(namespaces()).not.toContain(name);
  });
});
