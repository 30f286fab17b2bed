// A network namespace joined to this host by a veth pair, its bandwidth shaped with `tc ... tbf`
// on the egress of each end: the emulated link between a device (this host's side) and a server
// (a process started inside the namespace). This kernel has tbf but no netem, so delay is the
// delay proxy's job (delay-proxy.ts). Needs root and iproute2; everything made here is removed
// on close(), on process exit and on SIGINT/SIGTERM, and namespaces left by a killed run are swept.

import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';

/** Bandwidth per direction, megabits per second; `null` leaves that direction unshaped. */
export interface LinkRates {
  /** Device → server: the egress of the host's veth end. */
  uplinkMbit: number | null;
  /** Server → device: the egress of the namespace's veth end. */
  downlinkMbit: number | null;
}

export interface LinkNamespace {
  readonly name: string;
  /** The host's address on the link (the device side). */
  readonly hostIp: string;
  /** The namespace's address (where a server started with spawn() is reached). */
  readonly peerIp: string;
  readonly hostInterface: string;
  readonly peerInterface: string;
  /** Replaces the shaping of both directions (tc qdisc replace / del). */
  shape(rates: LinkRates): void;
  /** Bytes and packets tbf sent, and packets it dropped, per direction (tc -s). */
  qdiscStats(): { uplink: QdiscStats | null; downlink: QdiscStats | null };
  /** A process run inside the namespace (`ip netns exec`, which execs: the child's pid is its own). */
  spawn(argv: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Ends the processes inside the namespace and removes the veth pair and the namespace. */
  close(): void;
}

export interface QdiscStats {
  sentBytes: number;
  sentPackets: number;
  droppedPackets: number;
}

const PREFIX = 'edgewatt-link';
const open = new Set<LinkNamespace>();
let counter = 0;
let hooksInstalled = false;

function run(args: readonly string[]): string {
  const [command = '', ...rest] = args;
  return execFileSync(command, rest, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(args: readonly string[]): void {
  try {
    run(args);
  } catch {
    // Cleanup: the object may already be gone.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces of ours whose creating process is dead (a run killed with SIGKILL): deleted. */
function sweepStale(): void {
  const names = run(['ip', 'netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '');
  for (const name of names) {
    const match = new RegExp(`^${PREFIX}-(\\d+)-\\d+$`).exec(name);
    if (match === null || alive(Number(match[1]))) continue;
    // Deleting the name frees the namespace (and its veth pair) once nothing runs in it; the
    // processes a dead run left there are not ours to end.
    tryRun(['ip', 'netns', 'del', name]);
  }
}

/** A free /30 in 10.222.0.0/16: host .1, namespace .2 (checked against the addresses in use). */
function freeSubnet(): { hostIp: string; peerIp: string } {
  const used = new Set(
    [...run(['ip', '-4', '-o', 'addr', 'show']).matchAll(/inet (10\.222\.\d+\.\d+)/g)].map((m) =>
      Math.floor(ipToInt(m[1] ?? '') / 4),
    ),
  );
  const base = ipToInt('10.222.0.0') / 4;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const block = base + ((process.pid * 31 + counter * 7 + attempt * 13) % 16384);
    if (used.has(block)) continue;
    return { hostIp: intToIp(block * 4 + 1), peerIp: intToIp(block * 4 + 2) };
  }
  throw new Error('no free /30 in 10.222.0.0/16 for a link namespace');
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function intToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/**
 * The bucket: 2 ms of the rate, at least one full frame. After an idle gap it is full, so the
 * first this-many bytes of a request pass at once and only the rest waits for the rate.
 */
export function tbfBurstBytes(rateMbit: number): number {
  return Math.max(1600, Math.ceil(((rateMbit * 1e6) / 8) * 0.002));
}

/**
 * tbf settings for a rate. burst: the bucket holds 2 ms of the rate but at least one full frame
 * (1514 B; tbf drops a packet larger than its bucket) — a radio has no burst allowance, and a
 * bucket of tens of kB would let a 3 kB request through at loopback speed. limit: 500 ms of
 * queue, so a bulk sender is slowed by the queue, not by tail drops.
 */
export function tbfArgs(rateMbit: number): string[] {
  const bytesPerS = (rateMbit * 1e6) / 8;
  const burstB = tbfBurstBytes(rateMbit);
  const limitB = Math.max(burstB * 4, Math.ceil(bytesPerS * 0.5));
  return ['tbf', 'rate', `${rateMbit}mbit`, 'burst', String(burstB), 'limit', String(limitB)];
}

function shapeOne(netns: readonly string[], device: string, rateMbit: number | null): void {
  if (rateMbit === null) {
    tryRun(['tc', ...netns, 'qdisc', 'del', 'dev', device, 'root']);
    return;
  }
  if (!(rateMbit > 0)) throw new RangeError(`link rate must be > 0 Mbit/s, got ${rateMbit}`);
  run(['tc', ...netns, 'qdisc', 'replace', 'dev', device, 'root', ...tbfArgs(rateMbit)]);
}

function parseStats(text: string): QdiscStats | null {
  if (!text.includes('qdisc tbf')) return null;
  const sent = /Sent (\d+) bytes (\d+) pkt \(dropped (\d+)/.exec(text);
  return {
    sentBytes: Number(sent?.[1] ?? 0),
    sentPackets: Number(sent?.[2] ?? 0),
    droppedPackets: Number(sent?.[3] ?? 0),
  };
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', closeAllLinkNamespaces);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      closeAllLinkNamespaces();
      // Die of the signal as we would have without this listener.
      process.kill(process.pid, signal);
    });
  }
}

/** Closes every namespace this process opened (safe to call twice). */
export function closeAllLinkNamespaces(): void {
  for (const link of [...open]) link.close();
}

/** Makes the namespace, the veth pair and the shaping. Throws (with tc/ip's message) if any step fails. */
export function createLinkNamespace(rates: LinkRates): LinkNamespace {
  installHooks();
  sweepStale();
  const index = counter++;
  const name = `${PREFIX}-${process.pid}-${index}`;
  const tag = `${process.pid % 1e6}x${index % 1000}`;
  const hostInterface = `ewh${tag}`;
  const peerInterface = `ewp${tag}`;
  const { hostIp, peerIp } = freeSubnet();
  const ns = ['-n', name];
  let closed = false;

  const link: LinkNamespace = {
    name,
    hostIp,
    peerIp,
    hostInterface,
    peerInterface,
    shape(next) {
      shapeOne([], hostInterface, next.uplinkMbit);
      shapeOne(ns, peerInterface, next.downlinkMbit);
    },
    qdiscStats() {
      return {
        uplink: parseStats(run(['tc', '-s', 'qdisc', 'show', 'dev', hostInterface])),
        downlink: parseStats(run(['tc', ...ns, '-s', 'qdisc', 'show', 'dev', peerInterface])),
      };
    },
    spawn(argv, options = {}) {
      return spawn('ip', ['netns', 'exec', name, ...argv], options);
    },
    close() {
      if (closed) return;
      closed = true;
      open.delete(link);
      // Only processes inside this namespace, which only this object started.
      let pids: number[] = [];
      try {
        pids = run(['ip', 'netns', 'pids', name]).split(/\s+/).filter(Boolean).map(Number);
      } catch {
        // The namespace was never made or is gone.
      }
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already exited.
        }
      }
      tryRun(['ip', 'link', 'del', hostInterface]);
      tryRun(['ip', 'netns', 'del', name]);
    },
  };
  open.add(link);
  try {
    run(['ip', 'netns', 'add', name]);
    run(['ip', 'link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', peerInterface]);
    run(['ip', 'link', 'set', peerInterface, 'netns', name]);
    run(['ip', 'addr', 'add', `${hostIp}/30`, 'dev', hostInterface]);
    run(['ip', 'link', 'set', hostInterface, 'up']);
    run(['ip', ...ns, 'addr', 'add', `${peerIp}/30`, 'dev', peerInterface]);
    run(['ip', ...ns, 'link', 'set', peerInterface, 'up']);
    run(['ip', ...ns, 'link', 'set', 'lo', 'up']);
    link.shape(rates);
  } catch (error) {
    link.close();
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`could not make link namespace ${name}: ${stderr || (error as Error).message}`);
  }
  return link;
}
