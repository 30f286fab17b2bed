// `edgewatt bridge --monitor ppk2:<port>` against the emulated PPK2: windows on D0 become batched
// records through real Mosquitto into SQLite, with the stated accuracy as uncertainty.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type MosquittoStack, startMosquittoStack } from '../support/mosquitto-stack.js';
import { startPtyPair } from '../support/pty-pair.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith } from '../support/tools.js';
import { bridgePortOpen, runLabBridge } from './bridge-process.js';

const EMULATOR = join(import.meta.dirname, '..', '..', 'firmware-bridge', 'emulators', 'ppk2.ts');

describeWith(['socat', 'mosquitto'], 'edgewatt bridge with a PPK2', () => {
  const dir = tempDir('edgewatt-bridge-ppk2-');
  let stack: MosquittoStack;
  beforeAll(async () => {
    stack = await startMosquittoStack(dir.path, { sqliteFile: 'ppk2.sqlite' });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    dir.remove();
  });

  it('publishes one record per D0 window with the energy the emulated board drew', async () => {
    const pair = await startPtyPair(dir.path, 'ppk2');
    const bridge = runLabBridge({
      ...{ broker: stack.mosquitto.url, device: 'nrf-01', monitor: `ppk2:${pair.host}`, dir: dir.path },
      extra: ['--monitor-accuracy', '0.05', '--voltage-mv', '3000'],
    });
    try {
      await bridgePortOpen(bridge);
      const emulator = spawn(
        process.execPath,
        ['--import', 'tsx', EMULATOR, '--port', pair.device, '--seconds', '1.2'],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      emulator.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      await new Promise((resolve) => emulator.once('exit', resolve));
      const truth = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { energyJ: number });
      await waitFor(
        'every window stored',
        () => stack.sqlite.count({ device: 'nrf-01' }) >= truth.length,
        15_000,
      );
      const records = [];
      for await (const r of stack.sqlite.readRecords({ device: 'nrf-01' })) records.push(r);
      records.sort((a, b) => a.seq - b.seq);
      expect(records).toHaveLength(truth.length);
      records.forEach((r, k) => {
        expect(r.sensor).toBe('ppk2');
        expect(Math.abs(r.energyJ / (truth[k]?.energyJ ?? Number.NaN) - 1)).toBeLessThan(0.001);
        expect(r.energyUncertaintyJ / r.energyJ).toBeCloseTo(0.05, 3);
      });
    } finally {
      bridge.child.kill('SIGTERM');
      const { code } = await bridge.exited;
      await pair.unplug();
      expect(code, bridge.stderr()).toBe(0);
    }
  }, 60_000);
});
