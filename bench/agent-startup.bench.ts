// `npm run bench:agent`: start-up time of `edgewatt agent` to its first inference and its resident
// memory with the WASM backend and the demo model loaded, over several fresh processes. The agent
// reports both in its own log lines ('first inference', 'agent stopped'), read here from stderr.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker } from '../collector/broker/embedded.js';
import { demoModel, demoTrustedKey } from '../test/support/stack.js';
import { machineLine } from './machine.js';

const RUNS = 5;
const INFERENCES = 300;

interface Run {
  sinceProcessStartMs: number;
  agentStartMs: number;
  rssAtFirstMiB: number;
  rssAfterMiB: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const dir = mkdtempSync(join(tmpdir(), 'edgewatt-bench-'));
const modelPath = await demoModel(dir);
const broker = await startEmbeddedBroker();
const runs: Run[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const child = spawn(
      process.execPath,
      [
        'bin/edgewatt.js',
        'agent',
        '--broker',
        broker.url,
        '--device',
        `bench-${i}`,
        '--sensor',
        'simulated:rpi4',
        '--model',
        modelPath,
        '--trusted-key',
        demoTrustedKey(modelPath),
        '--rate',
        '0',
        '--count',
        String(INFERENCES),
        '--state-dir',
        join(dir, `state-${i}`),
        '--backend',
        'wasm',
      ],
      { env: { ...process.env, EDGEWATT_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, 'exit');
    if (code !== 0) throw new Error(`agent exited with ${code}: ${stderr}`);
    const lines = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    const first = lines.find((line) => line.msg === 'first inference');
    const stopped = lines.find((line) => line.msg === 'agent stopped');
    if (first === undefined || stopped === undefined)
      throw new Error(`agent did not report start-up:\n${stderr}`);
    runs.push({
      sinceProcessStartMs: first.sinceProcessStartMs,
      agentStartMs: first.startupMs,
      rssAtFirstMiB: first.rssBytes / 2 ** 20,
      rssAfterMiB: stopped.rssBytes / 2 ** 20,
    });
  }
} finally {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
}

const row = (label: string, values: number[], unit: string) =>
  `| ${label} | ${median(values).toFixed(0)} ${unit} | ${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} ${unit} |`;
console.log(
  `machine: ${machineLine()}; backend wasm; demo CNN (28×28×1 → 10, seeded); ${RUNS} fresh processes\n`,
);
console.log('| agent figure | median | range |');
console.log('|---|---|---|');
console.log(
  row(
    'process start → first inference',
    runs.map((r) => r.sinceProcessStartMs),
    'ms',
  ),
);
console.log(
  row(
    'of which Agent.start → first inference (backend, model, sensor, MQTT)',
    runs.map((r) => r.agentStartMs),
    'ms',
  ),
);
console.log(
  row(
    'resident memory at first inference',
    runs.map((r) => r.rssAtFirstMiB),
    'MiB',
  ),
);
console.log(
  row(
    `resident memory after ${INFERENCES} inferences`,
    runs.map((r) => r.rssAfterMiB),
    'MiB',
  ),
);
