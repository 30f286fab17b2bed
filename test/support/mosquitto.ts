// Starts a real `mosquitto -c <generated conf>` on a free 127.0.0.1 port in a temp dir, for
// integration tests and benchmarks; stop() ends it (SIGTERM) and waits for the exit.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { endChild } from './end-child.js';
import { ExitedBeforeListeningError, freePort, waitForPort } from './ports.js';
import { hasTools } from './tools.js';

export const hasMosquitto = hasTools('mosquitto');

export interface MosquittoOptions {
  /** Extra lines appended to the generated mosquitto.conf (listener options, ACLs...). */
  extraConfig?: string;
  /** Keep sessions and queued messages across restarts (default true). */
  persistence?: boolean;
  /** Replaces the generated config (e.g. a deploy/ file adapted to the port and temp dir). */
  config?: (port: number, dir: string) => string;
  /** How long a start waits for the broker to listen, ms (default 15 s). */
  startTimeoutMs?: number;
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
  let port = await freePort();
  const confPath = join(dir, 'mosquitto.conf');
  const logPath = join(dir, 'mosquitto.log');
  const writeConfig = () =>
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
  const log = () => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  let child: ChildProcess | undefined;
  let stderr = '';
  const start = async () => {
    stderr = '';
    const started = spawn('mosquitto', ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    started.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    try {
      await waitForPort(port, 'mosquitto', options.startTimeoutMs ?? 15_000, started);
    } catch (error) {
      if (error instanceof ExitedBeforeListeningError)
        throw new ExitedBeforeListeningError(`${error.message}: ${stderr}${log().slice(-2000)}`);
      throw error;
    }
  };
  const stop = async ({ kill = false } = {}) => {
    const running = child;
    child = undefined;
    await endChild(running, { kill });
  };
  // The free port may be taken before mosquitto binds it: then it exits, and another is tried.
  for (let attempt = 1; ; attempt++) {
    writeConfig();
    try {
      await start();
      break;
    } catch (error) {
      // A broker that did not come up is ended: no Mosquitto is returned to stop it (one that
      // never listened within the deadline was left running, for as long as the machine ran).
      await stop({ kill: true });
      const taken =
        error instanceof ExitedBeforeListeningError && /address already in use/i.test(error.message);
      if (!taken || attempt === 3) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      port = await freePort();
    }
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    log,
    stop,
    start,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    pid: () => child?.pid,
  };
}
