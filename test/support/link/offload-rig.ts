// A real agent offloading to a real server through an emulated link: `edgewatt serve` runs inside
// the link's namespace, `edgewatt agent --placement offload` runs on the host with its local API
// on, pointed at the delaying proxy. infer() posts one input to the agent's API and returns the
// answer, whose `offload` part holds the offload record's figures (round trip, bytes, device
// energy). Shared by test/link/offload-link.int.test.ts and bench/offload.bench.ts.

import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '../ports.js';
import { BIN, type Running, runCli } from '../process.js';
import { waitFor as waitUntil } from '../stack.js';
import { type EmulatedLink, startEmulatedLink, waitForListener } from './emulated-link.js';
import type { LinkPreset } from './presets.js';

export const ZOO_MODEL = fileURLToPath(new URL('../../../models/zoo/cnn-base', import.meta.url));
export const ZOO_KEY = fileURLToPath(new URL('../../../models/zoo/zoo.pub.pem', import.meta.url));
const SERVER_PORT = 8790;

/** The figures of one offloaded input, as the agent's API answer gives its offload record's. */
export interface OffloadFiguresAnswer {
  seq: number;
  outcome: string;
  roundTripMs: number;
  requestBytes: number;
  responseBytes: number;
  socketBytesSent: number;
  socketBytesReceived: number;
  deviceEnergyJ: number;
  deviceEnergyUncertaintyJ: number;
  energyProvenance: string;
  serverEnergy?: { requestJ: number; provenance: string };
  serverBatchSize?: number;
  serverLatencyMs?: number;
}

export interface OffloadRigOptions {
  preset: LinkPreset;
  /** Scratch folder (credentials, agent state). */
  dir: string;
  /** Agent's --sensor; default simulated:rpi4 (labelled estimated). */
  sensor?: string;
  device?: string;
  /** Broker the agent publishes to; default none reachable (records wait in its spool). */
  broker?: string;
  fleet?: string;
  /** More agent flags (e.g. experiment tags). */
  agentArgs?: readonly string[];
  /** The agent's --placement; default offload (edge: the same agent and inputs, run on the board). */
  placement?: 'edge' | 'offload';
}

export interface OffloadRig {
  readonly link: EmulatedLink;
  readonly server: Running;
  readonly agent: Running;
  readonly apiUrl: string;
  /** One input through the agent's API; the parsed answer (2xx or not). */
  infer(values?: Float32Array): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A server process run inside the namespace, with its output collected like runCli's. */
function serveInNamespace(link: EmulatedLink, args: readonly string[]): Running {
  const child = link.ns.spawn([process.execPath, BIN, 'serve', ...args], {
    env: { ...process.env, EDGEWATT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function stop(running: Running): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 5000);
  await running.exited;
  clearTimeout(timer);
}

export async function startOffloadRig(options: OffloadRigOptions): Promise<OffloadRig> {
  const device = options.device ?? 'link-device';
  const token = randomBytes(24).toString('hex');
  const credentials = join(options.dir, 'serve-credentials');
  writeFileSync(credentials, `${device} ${createHash('sha256').update(token).digest('hex')}\n`);
  const link = await startEmulatedLink(options.preset, SERVER_PORT);
  let server: Running | undefined;
  let agent: Running | undefined;
  try {
    server = serveInNamespace(link, [
      '--model',
      ZOO_MODEL,
      '--trusted-key',
      ZOO_KEY,
      '--listen',
      `${link.ns.peerIp}:${SERVER_PORT}`,
      '--credentials',
      credentials,
      '--server-id',
      'link-server',
      '--grid-region',
      'FR',
      '--pue-class',
      'hyperscale',
      // One request at a time arrives here: a batch of one, answered at once.
      '--max-queue-delay-ms',
      '0',
    ]);
    const serving = server;
    await Promise.race([
      // It listens (answering 503) while the model loads: wait for the line that says it is ready.
      waitForListener(link.ns.peerIp, SERVER_PORT, 'edgewatt serve in the link namespace', 60_000).then(() =>
        waitUntil('edgewatt serve to load its model', () => serving.stderr().includes('ready on'), 60_000),
      ),
      server.exited.then(({ code }) => {
        throw new Error(`edgewatt serve exited (${code}) before listening: ${server?.stderr()}`);
      }),
    ]);
    const apiPort = await freePort();
    agent = runCli(
      [
        'agent',
        '--broker',
        options.broker ?? 'mqtt://127.0.0.1:1',
        '--fleet',
        options.fleet ?? 'link',
        '--device',
        device,
        '--sensor',
        options.sensor ?? 'simulated:rpi4',
        '--model',
        ZOO_MODEL,
        '--trusted-key',
        ZOO_KEY,
        '--inputs',
        'none',
        '--warmup',
        '0',
        '--state-dir',
        join(options.dir, `agent-${device}`),
        '--api',
        `127.0.0.1:${apiPort}`,
        '--placement',
        options.placement ?? 'offload',
        '--offload-server',
        link.url,
        '--offload-token',
        token,
        '--offload-timeout-ms',
        '10000',
        ...(options.agentArgs ?? []),
      ],
      {},
    );
    const running = agent;
    await Promise.race([
      waitForPort(apiPort, 'the agent API', 60_000, running.child),
      running.exited.then(({ code }) => {
        throw new Error(`edgewatt agent exited (${code}) before its API listened: ${running.stderr()}`);
      }),
    ]);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const serverRunning = server;
    return {
      link,
      server: serverRunning,
      agent: running,
      apiUrl,
      async infer(values = new Float32Array(784).fill(0.3)) {
        const response = await fetch(`${apiUrl}/v1/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream', 'x-edgewatt-shape': '28,28,1' },
          body: Buffer.from(values.buffer, values.byteOffset, values.byteLength),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      },
      async close() {
        await stop(running);
        await stop(serverRunning);
        await link.close();
      },
    };
  } catch (error) {
    if (agent !== undefined) await stop(agent);
    if (server !== undefined) await stop(server);
    await link.close();
    throw error;
  }
}
