// Starts a real `mosquitto -c <generated conf>` on a free 127.0.0.1 port in a temp dir, for
// integration tests and benchmarks; stop() ends it (SIGTERM) and waits for the exit.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { endChild } from './end-child.js';
import { freePort, waitForPort } from './ports.js';
import { hasTools } from './tools.js';

export const hasMosquitto = hasTools('mosquitto');

export interface MosquittoOptions {
  /** Extra lines appended to the generated mosquitto.conf (listener options, ACLs...). */
  extraConfig?: string;
  /** Keep sessions and queued messages across restarts (default true). */
  persistence?: boolean;
  /** Replaces the generated config (e.g. a deploy/ file adapted to the port and temp dir). */
  config?: (port: number, dir: string) => string;
}

export interface Mosquitto {
  port: number;
  url: string;
  dir: string;
  log(): string;
  /** Process id of the running broker, undefined when stopped. */
  pid(): number | undefined;
  /** Stops the process (SIGTERM; SIGKILL with `kill: true`). */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same port and directory (after stop). */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  remove(): Promise<void>;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'edgewatt-mosquitto-'));
  const port = await freePort();
  const confPath = join(dir, 'mosquitto.conf');
  const logPath = join(dir, 'mosquitto.log');
  writeFileSync(
    confPath,
    options.config?.(port, dir) ??
      [
        `listener ${port} 127.0.0.1`,
        // Run as root, mosquitto would switch to user "mosquitto", which cannot write this temp dir.
        `user ${userInfo().username}`,
        'allow_anonymous true',
        `persistence ${options.persistence === false ? 'false' : 'true'}`,
        `persistence_location ${dir}/`,
        // Unbounded queues for the tests: a lost message must be our bug, never a broker limit.
        'max_queued_messages 0',
        'max_queued_bytes 0',
        `log_dest file ${logPath}`,
        'log_type error',
        'log_type warning',
        'log_type notice',
        options.extraConfig ?? '',
      ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('mosquitto', ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitForPort(port, 'mosquitto');
  };
  const stop = async ({ kill = false } = {}) => {
    const running = child;
    child = undefined;
    await endChild(running, { kill });
  };
  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    log: () => {
      try {
        return readFileSync(logPath, 'utf8');
      } catch {
        return '';
      }
    },
    stop,
    start,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    pid: () => child?.pid,
  };
}
