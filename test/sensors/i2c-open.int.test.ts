// `edgewatt agent --sensor ina219:rpi4:bus=<n>` on a machine without that I2C bus ends with one
// line naming /dev/i2c-<n> and pointing to `edgewatt doctor`, no stack trace. Bus 9999 exists on
// no machine.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/process.js';

const MISSING_BUS = 9999;
const ZOO_MODEL = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));

describe('edgewatt agent with an INA on a missing I2C bus', () => {
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
    const line = lines[0] ?? '';
    expect(line).toContain('ENOENT');
    expect(line).toContain('enable I2C');
    expect(line).toContain('`edgewatt doctor`');
  }, 60_000);
});
