// The rules of the test sets (vitest.config.ts): a unit test cannot start a process, and a
// program an integration suite needs is found on PATH (never run), named with its package when
// missing, and its absence is a failure under CI.

import { execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './stack.js';
import { inCi, onPath, toolsRequirement } from './tools.js';
import { ProcessInUnitTestError } from './unit-set.js';

describe('the unit set', () => {
  it('refuses to start a process, named or imported either way', () => {
    expect(() => spawnSync('true')).toThrow(ProcessInUnitTestError);
    expect(() => spawn('mosquitto', ['-c', 'x.conf'])).toThrow(/\*\.int\.test\.ts/);
    expect(() => execFile('influxd')).toThrow(/child_process\.execFile influxd/);
  });
});

describe('programs an integration suite needs', () => {
  it('are looked up on PATH without running them, executables only', () => {
    const dir = tempDir('edgewatt-tools-');
    try {
      const bin = join(dir.path, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'influxd'), '#!/bin/sh\nexit 1\n');
      chmodSync(join(bin, 'influxd'), 0o755);
      writeFileSync(join(bin, 'mosquitto'), 'not executable');
      expect(onPath('influxd', bin)).toBe(true);
      expect(onPath('mosquitto', bin)).toBe(false);
      expect(onPath('influxd', '')).toBe(false);
    } finally {
      dir.remove();
    }
  });

  it('when missing, are named with the Debian package that has them', () => {
    const saved = process.env.PATH;
    process.env.PATH = '';
    try {
      expect(toolsRequirement(['mosquitto_passwd', 'influxd', 'systemd-analyze'])).toEqual({
        met: false,
        reason:
          '`mosquitto_passwd`, `influxd`, `systemd-analyze` not on PATH (apt-get install mosquitto influxdb systemd)',
      });
    } finally {
      process.env.PATH = saved;
    }
  });

  it('count as CI when CI is set to anything but "", "0" or "false"', () => {
    expect([undefined, '', '0', 'false', 'FALSE'].map((CI) => inCi({ CI }))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(['1', 'true', 'yes'].map((CI) => inCi({ CI }))).toEqual([true, true, true]);
  });
});
