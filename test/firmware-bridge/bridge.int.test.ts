// `edgewatt bridge` as a user runs it: the reference firmware's emulator on one end of a socat
// pseudo-terminal, the bridge process on the other, real Mosquitto, and collectors writing to a
// SQLite file and to a real InfluxDB. Every window the emulator ran arrives as one record, once,
// in both stores, with its energy within 0.1 % of the emulator's truth.

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildFirmware } from '../support/firmware-build.js';
import { type MosquittoInfluxStack, startMosquittoStack } from '../support/mosquitto-stack.js';
import { startPtyPair } from '../support/pty-pair.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith } from '../support/tools.js';
import { bridgePortOpen, runLabBridge } from './bridge-process.js';

interface Truth {
  startIndex: number;
  endIndex: number;
  energyJ: number;
}

describeWith(
  ['g++', 'socat', 'mosquitto', 'influxd'],
  'edgewatt bridge → Mosquitto → SQLite and InfluxDB',
  () => {
    const dir = tempDir('edgewatt-bridge-');
    let stack: MosquittoInfluxStack;

    beforeAll(async () => {
      stack = await startMosquittoStack(dir.path, { influx: true, sqliteFile: 'bridge.sqlite' });
    }, 60_000);

    afterAll(async () => {
      await stack?.stop();
      dir.remove();
    });

    it('publishes one measured record per emulated window, stored once in both stores', async () => {
      const pair = await startPtyPair(dir.path);
      const bridge = runLabBridge({
        ...{ broker: stack.mosquitto.url, device: 'mcu-01', monitor: `ewfw:${pair.host}`, dir: dir.path },
        extra: ['--board', 'esp32'],
      });
      try {
        await bridgePortOpen(bridge);
        const child = spawn(
          buildFirmware().emulator,
          ['--port', pair.device, '--seconds', '2.2', '--period-ms', '200', '--noise', '0.02', '--seed', '7'],
          {
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        await new Promise((resolve) => child.once('exit', resolve));
        const truth = out
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Truth);
        expect(truth.length).toBeGreaterThanOrEqual(10);

        await waitFor(
          'every window in SQLite',
          () => stack.sqlite.count({ device: 'mcu-01' }) >= truth.length,
          15_000,
        );
        const records = [];
        for await (const stored of stack.sqlite.readRecords({ device: 'mcu-01' })) records.push(stored);
        expect(records).toHaveLength(truth.length);
        const bySeq = [...records].sort((a, b) => a.seq - b.seq);
        bySeq.forEach((record, i) => {
          expect(record.seq).toBe(i);
          expect(record.method).toBe('batched');
          expect(record.windowInferences).toBe(1);
          expect(record.provenance).toBe('measured');
          expect(record.sensor).toBe('ewfw:simulated-ina219');
          expect(record.backend).toBe('mcu');
          expect(record.variant).toBe('kws01');
          expect(Math.abs(record.energyJ / (truth[i]?.energyJ ?? Number.NaN) - 1)).toBeLessThan(0.001);
          // The firmware's stated ±1 % as the uncertainty; the idle power between windows as the baseline.
          expect(record.energyUncertaintyJ / record.energyJ).toBeCloseTo(0.01, 3);
          expect(record.baselineW).toBeGreaterThan(0.015);
          expect(record.baselineW).toBeLessThan(0.018);
        });
        let influxCount = 0;
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline) {
          influxCount = await stack.influx.countRecords({ device: 'mcu-01' });
          if (influxCount >= truth.length) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(influxCount).toBe(truth.length);
      } finally {
        bridge.child.kill('SIGTERM');
        const { code } = await bridge.exited;
        await pair.unplug();
        expect(code, bridge.stderr()).toBe(0);
      }
    }, 60_000);
  },
);
