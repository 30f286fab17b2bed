// `npm run bench:bridge`: the bridge as a process, fed by the emulators over socat ptys at the
// monitors' real rates: CPU share and resident memory at 100 kS/s (PPK2) and at 1 kS/s (LPM01A
// energy mode, DUT on its own port), samples lost, and the delay from a window's end on the board
// (reference firmware emulator, 1 kS/s) to its record in the collector's SQLite store through
// Mosquitto. CPU comes from /proc/<pid>/stat (utime + stime) over the streaming period.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Collector } from '../collector/collector.js';
import { SqliteStore } from '../collector/store/sqlite.js';
import { buildFirmware } from '../test/support/firmware-build.js';
import { startMosquitto } from '../test/support/mosquitto.js';
import { runCli } from '../test/support/process.js';
import { startPtyPair } from '../test/support/pty-pair.js';
import { tempDir, waitFor } from '../test/support/stack.js';
import { machineLine } from './machine.js';

const EMULATORS = join(import.meta.dirname, '..', 'firmware-bridge', 'emulators');
const TICKS_PER_S = 100; // USER_HZ on Linux

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return Number(line?.[1] ?? 0) / 1024;
}
function lastLog(output: string, msg: string): Record<string, unknown> | undefined {
  return output
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .at(-1);
}
async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const dir = tempDir('edgewatt-bench-bridge-');
const mosquitto = await startMosquitto();
const store = new SqliteStore(join(dir.path, 'bench.sqlite'));
const collector = new Collector(store, { broker: mosquitto.url, clientId: 'bench-collector' });
await collector.start();
const rows: string[] = [];

/** `edgewatt bridge` for device `device` in fleet `bench`, with the monitor's own arguments. */
function runBridge(device: string, args: string[]) {
  return runCli(
    [
      'bridge',
      '--broker',
      mosquitto.url,
      '--fleet',
      'bench',
      '--device',
      device,
      '--model',
      'kws01',
      ...args,
    ],
    { EDGEWATT_LOG_LEVEL: 'info' },
  );
}

/** Runs the bridge with `monitorArgs` and an emulator; measures CPU over `seconds` of streaming. */
async function measure(
  name: string,
  device: string,
  monitorArgs: (pair: { host: string }) => string[],
  emulator: (pair: { device: string }) => ChildProcess,
  seconds: number,
) {
  const pair = await startPtyPair(dir.path, device);
  const bridge = runBridge(device, ['--state-dir', join(dir.path, device), ...monitorArgs(pair)]);
  await waitFor('port open', () => /serial port open/.test(bridge.stdout() + bridge.stderr()), 20_000);
  const emu = emulator(pair);
  await sleep(1_000); // start-up transients out
  const pid = bridge.child.pid as number;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const cpuShare = (cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
  const rss = rssMiB(pid);
  await stop(emu);
  await stop(bridge.child);
  await pair.unplug();
  const stopped = lastLog(bridge.stdout() + bridge.stderr(), 'bridge stopped');
  rows.push(
    `| ${name} | ${(cpuShare * 100).toFixed(1)} % of one core | ${rss.toFixed(0)} MiB | ${JSON.stringify(stopped?.monitor ?? {})} |`,
  );
}

await measure(
  'PPK2, 100 kS/s (uint32 samples, counter check, calibration)',
  'ppk2',
  (p) => ['--monitor', `ppk2:${p.host}`, '--monitor-accuracy', '0.05'],
  (p) =>
    spawn(
      process.execPath,
      ['--import', 'tsx', join(EMULATORS, 'ppk2.ts'), '--port', p.device, '--seconds', '30'],
      { stdio: 'ignore' },
    ),
  10,
);

const lpm = await startPtyPair(dir.path, 'lpm');
const dutPair = await startPtyPair(dir.path, 'dut');
{
  const bridge = runBridge('nucleo', [
    '--monitor',
    `lpm01a:${lpm.host}`,
    '--dut',
    dutPair.host,
    '--state-dir',
    join(dir.path, 'nucleo'),
  ]);
  const emu = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(EMULATORS, 'mlperf-bench.ts'),
      '--lpm',
      lpm.device,
      '--dut',
      dutPair.device,
      '--speed',
      '1',
    ],
    { stdio: 'ignore' },
  );
  await waitFor('run started', () => /energy run starting/.test(bridge.stdout() + bridge.stderr()), 20_000);
  await sleep(1_000);
  const pid = bridge.child.pid as number;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(10_000);
  const cpuShare = (cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
  rows.push(
    `| LPM01A energy mode, 1 kS/s ASCII + DUT at 9,600 baud | ${(cpuShare * 100).toFixed(1)} % of one core | ${rssMiB(pid).toFixed(0)} MiB | (run in progress; TimeStamp check counts) |`,
  );
  await stop(emu);
  await stop(bridge.child);
  await lpm.unplug();
  await dutPair.unplug();
}

// End-to-end delay: window end on the board → record in SQLite, reference firmware at 1 kS/s.
for (const flushMs of [1000, 100]) {
  const device = `ewfw-${flushMs}`;
  const pair = await startPtyPair(dir.path, device);
  const bridge = runBridge(device, [
    '--monitor',
    `ewfw:${pair.host}`,
    '--flush-ms',
    String(flushMs),
    '--state-dir',
    join(dir.path, device),
  ]);
  await waitFor('port open', () => /serial port open/.test(bridge.stdout() + bridge.stderr()), 20_000);
  const emu = spawn(
    buildFirmware().emulator,
    ['--port', pair.device, '--seconds', '10', '--period-ms', '200'],
    { stdio: 'ignore' },
  );
  await new Promise((resolve) => emu.once('exit', resolve));
  await sleep(flushMs + 1_500);
  const delaysMs: number[] = [];
  for await (const r of store.readRecords({ device })) {
    if (r.receivedUs !== undefined) delaysMs.push((r.receivedUs - (r.startUs + r.durationUs)) / 1000);
  }
  delaysMs.sort((a, b) => a - b);
  const q = (p: number) =>
    delaysMs[Math.min(delaysMs.length - 1, Math.floor(p * delaysMs.length))] ?? Number.NaN;
  rows.push(
    `| window end → record in SQLite (ewfw 1 kS/s, --flush-ms ${flushMs}) | median ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms | ${delaysMs.length} records | |`,
  );
  await stop(bridge.child);
  await pair.unplug();
}

await collector.stop();
await mosquitto.remove();
dir.remove();
process.stdout.write(
  [
    `bench:bridge on ${machineLine()}; load average ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    '',
    '| what | bridge CPU / delay | memory / count | monitor counters at stop |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
process.exit(0);
