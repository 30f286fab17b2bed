// Starts a real InfluxDB 1.x (`influxd -config <generated conf>`) on free 127.0.0.1 ports (HTTP
// and the RPC bind-address) with its meta/data/wal dirs in a temp dir, reporting disabled.
// stop() and start() again keep the data, for outage tests; remove() deletes everything.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { endChild } from './end-child.js';
import { ExitedBeforeListeningError, freePort, ownsListener } from './ports.js';
import { hasTools } from './tools.js';

export const hasInfluxd = hasTools('influxd');

export interface Influxd {
  port: number;
  url: string;
  dir: string;
  /** Runs an InfluxQL query and returns the first result's series (throws on an error). */
  query(db: string, q: string): Promise<InfluxSeries[]>;
  stop(options?: { kill?: boolean }): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
  /** Process id of the running influxd, undefined when stopped. */
  pid(): number | undefined;
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/**
 * GET with node:http(s), trusting `ca` when given (fetch cannot take a CA); `idleMs` ends a request
 * whose socket stays silent that long.
 */
function get(url: string, ca?: string, idleMs?: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? httpsGet : httpGet;
    const req = request(url, ca === undefined ? {} : { ca: readFileSync(ca) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    if (idleMs !== undefined)
      req.setTimeout(idleMs, () => req.destroy(new Error(`no answer within ${idleMs} ms`)));
  });
}

async function ping(url: string, ca?: string): Promise<boolean> {
  try {
    // Bounded: whatever holds the port before influxd binds it may accept and never answer.
    return (await get(`${url}/ping`, ca, 5_000)).status === 204;
  } catch {
    return false;
  }
}

export interface InfluxdOptions {
  /** Extra lines for the [http] section (auth-enabled, https-enabled, certificates...). */
  http?: string;
  /** Scheme and credentials the helper itself uses for /ping and query(). */
  https?: boolean;
  ca?: string;
  auth?: { username: string; password: string };
}

export async function startInfluxd(options: InfluxdOptions = {}): Promise<Influxd> {
  const dir = mkdtempSync(join(tmpdir(), 'edgewatt-influxd-'));
  let port = await freePort();
  let rpcPort = await freePort();
  const confPath = join(dir, 'influxdb.conf');
  const writeConfig = () =>
    writeFileSync(
      confPath,
      `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${dir}/meta"

[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
  max-body-size = 0
${options.http ?? ''}

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false

[logging]
  level = "warn"
`,
    );
  const url = () => `${options.https === true ? 'https' : 'http'}://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let stderr = '';
  const start = async () => {
    stderr = '';
    child = spawn('influxd', ['-config', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const started = child;
    const deadline = Date.now() + 30_000;
    // Its own answer: whatever took the port after freePort() may answer /ping too (another
    // worker's influxd), while this one exits for want of the port.
    while (
      !((await ping(url(), options.ca)) && started.pid !== undefined && ownsListener(started.pid, port))
    ) {
      if (started.exitCode !== null || started.signalCode !== null)
        throw new ExitedBeforeListeningError(
          `influxd exited with ${started.exitCode ?? started.signalCode}: ${stderr}`,
        );
      if (Date.now() > deadline) throw new Error(`influxd did not answer /ping at ${url()}: ${stderr}`);
      await sleep(50);
    }
  };
  const stop = async ({ kill = false } = {}) => {
    const running = child;
    child = undefined;
    await endChild(running, { kill });
  };
  // A free port may be taken before influxd binds it: then it exits, and other ports are tried.
  for (let attempt = 1; ; attempt++) {
    writeConfig();
    try {
      await start();
      break;
    } catch (error) {
      // An influxd that did not come up is ended: no Influxd is returned to stop it (one that never
      // answered /ping within the deadline was left running).
      await stop({ kill: true });
      const taken =
        error instanceof ExitedBeforeListeningError && /address already in use/i.test(error.message);
      if (!taken || attempt === 3) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      [port, rpcPort] = [await freePort(), await freePort()];
    }
  }
  return {
    pid: () => child?.pid,
    port,
    url: url(),
    dir,
    async query(db, q) {
      const auth: Record<string, string> =
        options.auth === undefined ? {} : { u: options.auth.username, p: options.auth.password };
      const res = await get(
        `${url()}/query?${new URLSearchParams({ db, q, epoch: 'ns', ...auth })}`,
        options.ca,
      );
      const body = JSON.parse(res.body) as {
        error?: string;
        results?: { error?: string; series?: InfluxSeries[] }[];
      };
      const first = body.results?.[0];
      const error = body.error ?? first?.error;
      if (res.status >= 300 || error !== undefined)
        throw new Error(`InfluxQL ${q} failed: ${error ?? res.status}`);
      return first?.series ?? [];
    },
    stop,
    start,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
