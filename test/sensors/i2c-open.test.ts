// An INA sensor on a machine without its I2C bus: one line naming the bus path, the fix, and
// `edgewatt doctor`, at every level (the bus opener, the sampling worker, the agent process), never
// the bare ENOENT that i2c-bus raises at its first register write. Bus 9999 exists on no machine.

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { I2cOpenError, openI2cBus } from '../../agent/sensors/i2c.js';
import { createSensor } from '../../agent/sensors/index.js';
import { runCli } from '../support/process.js';

const MISSING_BUS = 9999;
const ZOO_MODEL = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));

function expectOneLineWithFix(message: string): void {
  expect(message).toContain(`/dev/i2c-${MISSING_BUS}`);
  expect(message).toContain('ENOENT');
  expect(message).toContain('enable I2C');
  expect(message).toContain('`edgewatt doctor`');
  expect(message).not.toContain('\n');
}

describe('opening an I2C bus that does not exist', () => {
  it('precondition: there is no /dev/i2c-9999 here', () => {
    expect(existsSync(`/dev/i2c-${MISSING_BUS}`)).toBe(false);
  });

  it('throws I2cOpenError naming the bus path and pointing to edgewatt doctor', async () => {
    const error = await openI2cBus(MISSING_BUS).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(I2cOpenError);
    expectOneLineWithFix((error as Error).message);
  });

  it('says the same through the sampling worker when the sensor opens', async () => {
    const sensor = createSensor(`ina219:rpi4:bus=${MISSING_BUS},baselineMs=0`);
    const error = await sensor.open().catch((caught: unknown) => caught);
    await sensor.close();
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`sensor "ina219:rpi4:bus=${MISSING_BUS},baselineMs=0"`);
    expectOneLineWithFix((error as Error).message);
  });

  it('ends `edgewatt agent` with that one line and no stack trace', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'edgewatt-i2c-'));
    const run = runCli([
      'agent',
      '--device',
      'pi4-i2c',
      '--sensor',
      `ina219:rpi4:bus=${MISSING_BUS}`,
      '--model',
      ZOO_MODEL,
      '--state-dir',
      stateDir,
      '--broker',
      'mqtt://127.0.0.1:1',
      '--count',
      '1',
    ]);
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    const lines = run
      .stderr()
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('{'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^edgewatt: sensor "ina219:rpi4:bus=9999": cannot open I2C bus \/dev\/i2c-9999 /,
    );
    expectOneLineWithFix(lines[0] ?? '');
  }, 60_000);
});
