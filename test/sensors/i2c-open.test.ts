// An INA sensor on a machine without its I2C bus: one line naming the bus path, the fix, and
// `edgewatt doctor`, from the bus opener and through the sampling worker, never the bare ENOENT
// that i2c-bus raises at its first register write (the agent process: i2c-open.int.test.ts).
// Bus 9999 exists on no machine.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { I2cOpenError, openI2cBus } from '../../agent/sensors/i2c.js';
import { createSensor } from '../../agent/sensors/index.js';

const MISSING_BUS = 9999;

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
});
