// Free TCP ports on 127.0.0.1 for servers the tests start, and waiting for a server to listen.
// A port from freePort() is free when it is chosen, not when the server binds it: another process
// may take it in between (a test's outgoing connection, a server another worker started). So a
// wait given the server's process fails at once when that process exits before it listens, and
// counts only a listener that process owns (Linux /proc), never a stranger on the same port;
// set-ups that start third-party servers (mosquitto.ts, influxd.ts) then retry on another port.

import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The server process exited before it listened (e.g. its port was taken after freePort()). */
export class ExitedBeforeListeningError extends Error {
  override readonly name = 'ExitedBeforeListeningError';
}

const LISTEN_STATE = '0A';

/** Socket inodes listening on `port` (any address), from /proc/net/tcp{,6}; undefined without /proc. */
function listeningInodes(port: number): Set<string> | undefined {
  const inodes = new Set<string>();
  let readAny = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    readAny = true;
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const columns = line.trim().split(/\s+/);
      const localPort = Number.parseInt(columns[1]?.split(':')[1] ?? '', 16);
      if (columns[3] === LISTEN_STATE && localPort === port && columns[9] !== undefined)
        inodes.add(columns[9]);
    }
  }
  return readAny ? inodes : undefined;
}

/**
 * Whether process `pid` holds a socket listening on `port`; true when /proc cannot tell. A process
 * that is gone (it exited and was reaped: no /proc/<pid>) owns nothing, whoever listens there.
 */
export function ownsListener(pid: number, port: number): boolean {
  const inodes = listeningInodes(port);
  if (inodes === undefined) return true;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  return fds.some((fd) => {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      return inode !== undefined && inodes.has(inode);
    } catch {
      return false; // closed meanwhile
    }
  });
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/**
 * Resolves once something accepts connections on the port; throws after `timeoutMs`. With `owner`
 * (the server's process): throws ExitedBeforeListeningError as soon as it exits, and waits for a
 * listener that process owns.
 */
export async function waitForPort(
  port: number,
  what: string,
  timeoutMs = 15_000,
  owner?: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (owner !== undefined && exited(owner))
      throw new ExitedBeforeListeningError(
        `${what} exited (${owner.exitCode ?? owner.signalCode}) before it listened on 127.0.0.1:${port}`,
      );
    if ((await canConnect(port)) && (owner?.pid === undefined || ownsListener(owner.pid, port))) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await sleep(25);
  }
}
