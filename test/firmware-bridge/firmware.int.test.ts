// The reference firmware end to end on this machine: its C++ logic built with g++ and unit-tested
// against a fake hardware layer; then built as an emulator that speaks the real bytes over a socat
// pseudo-terminal, read by the bridge's serial layer and decoder. Each window's energy must be
// within 0.1 % of the emulator's truth (the unquantised power it simulated over the same samples).

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EwfwMonitor } from '../../firmware-bridge/devices/ewfw/monitor.js';
import type { MeasuredWindow } from '../../firmware-bridge/devices/sample-windows.js';
import { ReopeningPort } from '../../firmware-bridge/serial/reopening-port.js';
import { buildFirmware } from '../support/firmware-build.js';
import { startPtyPair } from '../support/pty-pair.js';
import { describeWith } from '../support/tools.js';

interface Truth {
  window: number;
  startIndex: number;
  endIndex: number;
  energyJ: number;
}

/** Runs the emulator on `port` and resolves with its truth lines once it exits. */
function runEmulator(emulator: string, port: string, args: string[]): Promise<Truth[]> {
  const child = spawn(emulator, ['--port', port, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`emulator exited ${code}`));
      else
        resolve(
          out
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as Truth),
        );
    });
  });
}

function collect() {
  const windows: MeasuredWindow[] = [];
  const monitor = new EwfwMonitor((w) => windows.push(w));
  return { windows, monitor };
}

describeWith(['g++', 'socat'], 'reference bridge firmware', () => {
  let dir: string;
  let programs: { tests: string; emulator: string };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ewfw-pty-'));
    programs = buildFirmware();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes its own unit tests (CRC check value, COBS, batching, marks, drop counts)', () => {
    expect(execFileSync(programs.tests, { encoding: 'utf8' })).toContain('firmware tests passed');
  });

  it('measures each window within 0.1 % of the emulated truth over a pseudo-terminal, through line noise', async () => {
    const pair = await startPtyPair(dir, 'noise');
    const { windows, monitor } = collect();
    const port = new ReopeningPort({ path: pair.host, baudRate: 921_600, onData: (c) => monitor.push(c) });
    port.start();
    await expect.poll(() => port.isOpen).toBe(true);
    const truth = await runEmulator(programs.emulator, pair.device, [
      '--seconds',
      '2.5',
      '--rate',
      '1000',
      '--period-ms',
      '200',
      '--infer-ms',
      '50',
      '--noise',
      '0.02',
      '--garbage-every',
      '97',
    ]);
    await expect.poll(() => windows.length).toBeGreaterThanOrEqual(truth.length);
    await port.stop();
    await pair.unplug();
    expect(truth.length).toBeGreaterThanOrEqual(11);
    for (const t of truth) {
      const w = windows.find((x) => x.startIndex === t.startIndex);
      expect(w, `window at sample ${t.startIndex}`).toBeDefined();
      expect(w?.missingSamples).toBe(0);
      expect(w?.endIndex).toBe(t.endIndex);
      expect(Math.abs((w?.energyJ ?? 0) / t.energyJ - 1)).toBeLessThan(0.001);
    }
    // The noise was seen and counted, and did not become values.
    expect(monitor.counters.framingErrors + monitor.counters.crcErrors).toBeGreaterThan(0);
  }, 60_000);

  it('reopens the port after the cable is pulled and measures again after it is plugged back', async () => {
    const first = await startPtyPair(dir, 'plug');
    const { windows, monitor } = collect();
    const port = new ReopeningPort({
      path: first.host,
      baudRate: 921_600,
      onData: (c) => monitor.push(c),
      reconnect: { minMs: 50, maxMs: 200 },
    });
    port.start();
    await expect.poll(() => port.isOpen).toBe(true);
    const before = await runEmulator(programs.emulator, first.device, [
      '--seconds',
      '0.8',
      '--period-ms',
      '200',
    ]);
    await expect.poll(() => windows.length).toBeGreaterThanOrEqual(before.length);
    await first.unplug();
    // The pty's hang-up reaches serialport's poller after a scheduler tick or two; on a loaded
    // machine that took longer than poll's 1 s default (CI run of stop 20).
    await expect.poll(() => port.isOpen, { timeout: 15_000 }).toBe(false);
    const second = await startPtyPair(dir, 'plug');
    await expect.poll(() => port.opens, { timeout: 15_000 }).toBe(2);
    // The re-plugged board rebooted: its sample indices start over.
    const after = await runEmulator(programs.emulator, second.device, [
      '--seconds',
      '2.2',
      '--period-ms',
      '200',
    ]);
    await expect.poll(() => windows.length).toBeGreaterThanOrEqual(before.length + after.length);
    await port.stop();
    await second.unplug();
    expect(monitor.restarts).toBe(1);
    expect(windows.filter((w) => w.missingSamples === 0)).toHaveLength(before.length + after.length);
  }, 60_000);
});
