// Starts the emulated MLPerf Tiny energy bench (an LPM01A and a DUT on two socat pseudo-terminals,
// firmware-bridge/emulators/mlperf-bench.ts) and connects drivers to it the way the bridge does.

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Lpm01aDriver } from '../../firmware-bridge/devices/lpm01a/driver.js';
import { DutDriver } from '../../firmware-bridge/devices/mlperf-dut/driver.js';
import { LineSplitter } from '../../firmware-bridge/framing/lines.js';
import { ReopeningPort } from '../../firmware-bridge/serial/reopening-port.js';
import { type PtyPair, startPtyPair } from './pty-pair.js';

const EMULATOR = join(import.meta.dirname, '..', '..', 'firmware-bridge', 'emulators', 'mlperf-bench.ts');

export interface Bench {
  lpmPair: PtyPair;
  dutPair: PtyPair;
  emulator: ChildProcess;
  /** The emulator's truth lines so far. */
  truth(): { window: number; energyJ: number }[];
  stop(): Promise<void>;
}

export async function startBench(dir: string, args: string[] = []): Promise<Bench> {
  const lpmPair = await startPtyPair(dir, 'lpm');
  const dutPair = await startPtyPair(dir, 'dut');
  const emulator = spawn(
    process.execPath,
    ['--import', 'tsx', EMULATOR, '--lpm', lpmPair.device, '--dut', dutPair.device, ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  emulator.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => emulator.once('exit', () => resolve()));
  return {
    lpmPair,
    dutPair,
    emulator,
    truth: () =>
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { window: number; energyJ: number }),
    async stop() {
      if (emulator.exitCode === null) emulator.kill('SIGTERM');
      await exited;
      await lpmPair.unplug();
      await dutPair.unplug();
    },
  };
}

/** Drivers on the host ends of the bench's ports, as the bridge wires them. */
export function connectDrivers(bench: Bench) {
  let lpm: Lpm01aDriver;
  let dut: DutDriver;
  const lpmLines = new LineSplitter((line) => lpm.onLine(line));
  const dutLines = new LineSplitter((line) => dut.onLine(line));
  const lpmPort = new ReopeningPort({
    path: bench.lpmPair.host,
    baudRate: 3_686_400,
    onData: (c) => lpmLines.push(c),
  });
  const dutPort = new ReopeningPort({
    path: bench.dutPair.host,
    baudRate: 9_600,
    onData: (c) => dutLines.push(c),
  });
  lpm = new Lpm01aDriver((text) => lpmPort.write(text));
  dut = new DutDriver((text) => dutPort.write(text));
  lpmPort.start();
  dutPort.start();
  return {
    lpm,
    dut,
    lpmPort,
    dutPort,
    async stop() {
      await lpmPort.stop();
      await dutPort.stop();
    },
  };
}
