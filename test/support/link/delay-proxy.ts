// A delaying TCP proxy: the latency half of an emulated link (netns.ts + tbf give the bandwidth;
// this kernel has no netem). Every chunk read from one side is written to the other after the
// one-way delay of its direction, ± jitter, never reordered (a TCP stream cannot be). A new
// connection also pays one emulated round trip before its first byte moves (the handshake the
// real link would have cost). Loss is emulated at this layer only coarsely, by its EFFECT: TCP
// hides lost packets from the application, which sees a stall while the segment is
// retransmitted, so a "lost" chunk is held back one extra retransmission timeout (and the chunks
// behind it wait too); cuts reset both sides of a connection, as a dropped link or NAT does.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LinkDelays {
  /** Client → target one-way delay, milliseconds. */
  uplinkDelayMs: number;
  /** Target → client one-way delay, milliseconds. */
  downlinkDelayMs: number;
  /** Each chunk's delay is uniform in [delay − jitter, delay + jitter] (at least 0), milliseconds. */
  jitterMs?: number;
  /** Probability that a chunk is "lost": held back retransmitTimeoutMs more (coarse; see above). */
  lossProbability?: number;
  /** Stall per lost chunk; 200 ms is Linux's minimum retransmission timeout (TCP_RTO_MIN). */
  retransmitTimeoutMs?: number;
  /** Probability per chunk that the whole connection is cut (both sides reset). */
  cutProbability?: number;
}

export interface DelayProxyOptions extends LinkDelays {
  target: { host: string; port: number };
  /** Where the proxy listens; default 127.0.0.1 on a free port. */
  listen?: { host?: string; port?: number };
  /** Seed of the jitter/loss/cut draws, so a run can be repeated. */
  seed?: number;
}

export interface DelayProxyStats {
  connections: number;
  uplinkBytes: number;
  downlinkBytes: number;
  lostChunks: number;
  cutConnections: number;
}

export interface DelayProxy {
  readonly host: string;
  readonly port: number;
  stats(): DelayProxyStats;
  /** New delays for chunks read from now on (a bench switches presets without reconnecting). */
  setDelays(delays: LinkDelays): void;
  /** Cuts every open connection now (a deterministic cut for failure tests); returns how many. */
  cutAll(): number;
  close(): Promise<void>;
}

/** Above this many bytes waiting in one direction, reading from its source pauses. */
const HIGH_WATER_BYTES = 4 * 2 ** 20;

/** mulberry32: a small seeded generator, enough for jitter and loss draws. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DELAY_KEYS = [
  'uplinkDelayMs',
  'downlinkDelayMs',
  'jitterMs',
  'lossProbability',
  'retransmitTimeoutMs',
  'cutProbability',
] as const;

/** The delay fields of `input` (a preset carries more), each checked. */
function checkDelays(input: LinkDelays): LinkDelays {
  const delays: LinkDelays = { uplinkDelayMs: 0, downlinkDelayMs: 0 };
  for (const key of DELAY_KEYS) {
    const value = input[key];
    if (value === undefined) continue;
    const max = key === 'lossProbability' || key === 'cutProbability' ? 1 : Number.POSITIVE_INFINITY;
    if (!(Number.isFinite(value) && value >= 0 && value <= max))
      throw new RangeError(`delay proxy: ${key} must be within 0…${max}, got ${value}`);
    delays[key] = value;
  }
  return delays;
}

/** One direction of one connection: a queue of chunks, each with the time it may be written. */
class DelayedDirection {
  private readonly queue: { atMs: number; data: Buffer }[] = [];
  private queuedBytes = 0;
  private lastAtMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private sourceEnded = false;

  constructor(
    private readonly source: Socket,
    private readonly sink: Socket,
    /** Before this time the source could not have sent (the emulated handshake). */
    private gateMs: number,
  ) {
    sink.on('drain', () => this.maybeResume());
  }

  push(data: Buffer, delayMs: number): void {
    // Sent no earlier than the gate, then in flight for its delay; never before the chunk ahead.
    const atMs = Math.max(this.lastAtMs, Math.max(performance.now(), this.gateMs) + delayMs);
    this.lastAtMs = atMs;
    this.queue.push({ atMs, data });
    this.queuedBytes += data.length;
    if (this.queuedBytes + this.sink.writableLength > HIGH_WATER_BYTES) this.source.pause();
    this.schedule();
  }

  end(): void {
    this.sourceEnded = true;
    this.schedule();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }

  private schedule(): void {
    if (this.timer !== null) return;
    const head = this.queue[0];
    if (head === undefined) {
      if (this.sourceEnded && this.sink.writable) this.sink.end();
      return;
    }
    this.timer = setTimeout(() => this.release(), Math.max(0, head.atMs - performance.now()));
  }

  private release(): void {
    this.timer = null;
    const now = performance.now();
    while (this.queue[0] !== undefined && this.queue[0].atMs <= now + 0.5) {
      const { data } = this.queue.shift() as { data: Buffer };
      this.queuedBytes -= data.length;
      if (this.sink.writable) this.sink.write(data);
    }
    this.maybeResume();
    this.schedule();
  }

  private maybeResume(): void {
    if (this.source.isPaused() && this.queuedBytes + this.sink.writableLength < HIGH_WATER_BYTES / 2)
      this.source.resume();
  }
}

export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  let delays = checkDelays(options);
  const random = seededRandom(options.seed ?? 1);
  const stats: DelayProxyStats = {
    connections: 0,
    uplinkBytes: 0,
    downlinkBytes: 0,
    lostChunks: 0,
    cutConnections: 0,
  };
  /** Open connections: cut() counts as an emulated cut, finish() is a quiet teardown. */
  const live = new Set<{ cut: () => void; finish: (reset: boolean) => void }>();

  /** The delay of one chunk in a direction, or 'cut'. */
  function draw(baseMs: number): number | 'cut' {
    if ((delays.cutProbability ?? 0) > 0 && random() < (delays.cutProbability ?? 0)) return 'cut';
    const jitterMs = delays.jitterMs ?? 0;
    let delayMs = Math.max(0, baseMs + (random() * 2 - 1) * jitterMs);
    if ((delays.lossProbability ?? 0) > 0 && random() < (delays.lossProbability ?? 0)) {
      stats.lostChunks++;
      delayMs += delays.retransmitTimeoutMs ?? 200;
    }
    return delayMs;
  }

  function relay(client: Socket): void {
    stats.connections++;
    const upstream = createConnection({ ...options.target, allowHalfOpen: true, noDelay: true });
    const acceptedMs = performance.now();
    // The client could not have sent before its SYN went up and the SYN-ACK came back.
    const handshakeMs = delays.uplinkDelayMs + delays.downlinkDelayMs;
    const up = new DelayedDirection(client, upstream, acceptedMs + handshakeMs);
    const down = new DelayedDirection(upstream, client, 0);
    let done = false;
    const finish = (reset: boolean) => {
      if (done) return;
      done = true;
      live.delete(entry);
      up.stop();
      down.stop();
      for (const socket of [client, upstream]) {
        if (socket.destroyed) continue;
        if (reset) socket.resetAndDestroy();
        else socket.destroy();
      }
    };
    const cut = () => {
      stats.cutConnections++;
      finish(true);
    };
    const entry = { cut, finish };
    live.add(entry);
    const forward = (direction: DelayedDirection, baseMs: () => number, count: (n: number) => void) => {
      return (data: Buffer) => {
        const delayMs = draw(baseMs());
        if (delayMs === 'cut') {
          cut();
          return;
        }
        count(data.length);
        direction.push(data, delayMs);
      };
    };
    client.on(
      'data',
      forward(
        up,
        () => delays.uplinkDelayMs,
        (n) => {
          stats.uplinkBytes += n;
        },
      ),
    );
    upstream.on(
      'data',
      forward(
        down,
        () => delays.downlinkDelayMs,
        (n) => {
          stats.downlinkBytes += n;
        },
      ),
    );
    client.on('end', () => up.end());
    upstream.on('end', () => down.end());
    // A reset or failure on one side resets the other: the client sees what a broken link does.
    client.on('error', () => finish(true));
    upstream.on('error', () => finish(true));
    // Half-closes travel through (allowHalfOpen): the connection is over when both sides closed.
    client.on('close', () => {
      if (upstream.closed) finish(false);
    });
    upstream.on('close', () => {
      if (client.closed) finish(false);
    });
  }

  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, relay);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen?.port ?? 0, options.listen?.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('delay proxy: no TCP address');
  return {
    host: address.address,
    port: address.port,
    stats: () => ({ ...stats }),
    setDelays(next) {
      delays = checkDelays(next);
    },
    cutAll() {
      const open = [...live];
      for (const connection of open) connection.cut();
      return open.length;
    },
    close() {
      for (const connection of [...live]) connection.finish(true);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
