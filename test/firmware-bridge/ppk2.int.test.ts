// The PPK2 driver against an emulated PPK2 over a socat pseudo-terminal: metadata read and used
// (the emulator's calibration differs from Nordic's defaults in every term), 100 kS/s samples,
// D0 as the window pin; each window within 0.1 % of the emulated truth; lost samples detected
// by the 6-bit counter and the windows they hit marked.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Ppk2Driver } from '../../firmware-bridge/devices/ppk2/driver.js';
import type { MeasuredWindow } from '../../firmware-bridge/devices/sample-windows.js';
import { ReopeningPort } from '../../firmware-bridge/serial/reopening-port.js';
import { startPtyPair } from '../support/pty-pair.js';
import { tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

const EMULATOR = join(import.meta.dirname, '..', '..', 'firmware-bridge', 'emulators', 'ppk2.ts');

async function run(extra: string[]) {
  const dir = tempDir('edgewatt-ppk2-');
  const pair = await startPtyPair(dir.path, 'ppk2');
  const windows: MeasuredWindow[] = [];
  let driver: Ppk2Driver | undefined;
  const port = new ReopeningPort({ path: pair.host, baudRate: 115_200, onData: (c) => driver?.onData(c) });
  driver = new Ppk2Driver(
    (bytes) => port.write(bytes),
    (w) => windows.push(w),
  );
  port.start();
  await expect.poll(() => port.isOpen).toBe(true);
  const emulator = spawn(process.execPath, ['--import', 'tsx', EMULATOR, '--port', pair.device, ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  emulator.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise((resolve) => emulator.once('exit', resolve));
  await driver.start('source', 3300);
  await exited;
  const truth = out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { window: number; energyJ: number });
  await expect.poll(() => windows.length).toBeGreaterThanOrEqual(truth.length);
  await port.stop();
  await pair.unplug();
  dir.remove();
  return { windows, truth, decoder: driver.decoder };
}

describeWith(['socat'], 'PPK2 driver against an emulated PPK2', () => {
  it('reads the calibration and measures each D0 window within 0.1 % of truth at 100 kS/s', async () => {
    const { windows, truth, decoder } = await run(['--seconds', '1.5']);
    expect(truth.length).toBeGreaterThanOrEqual(14);
    expect(decoder?.lostSamples).toBe(0);
    truth.forEach((t, k) => {
      const w = windows[k];
      expect(w?.missingSamples).toBe(0);
      expect(w?.sampleCount).toBe(3000); // 30 ms at 100 kS/s
      expect(Math.abs((w?.energyJ ?? 0) / t.energyJ - 1)).toBeLessThan(0.001);
    });
  }, 30_000);

  it('detects lost samples by the counter and marks the windows they fall in', async () => {
    const { windows, decoder } = await run(['--seconds', '1', '--drop-every', '7001']);
    expect(decoder?.lostSamples).toBeGreaterThanOrEqual(14);
    expect(windows.some((w) => w.missingSamples > 0)).toBe(true);
    expect(windows.some((w) => w.missingSamples === 0)).toBe(true);
  }, 30_000);
});
