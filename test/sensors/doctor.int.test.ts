import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identifyBoard, parseTegraRelease } from '../../agent/doctor/board.js';
import { doctorJson, formatDoctor, runDoctor } from '../../agent/doctor/doctor.js';
import type { ProbeEnv } from '../../agent/sensors/sensor.js';
import { runCli } from '../support/process.js';
import { copyTree, SYSFS_FIXTURES } from './support/tree.js';

const noCommands: ProbeEnv['run'] = () => {
  throw Object.assign(new Error('spawn vcgencmd ENOENT'), { code: 'ENOENT' });
};
const recordedPmic = () =>
  readFileSync(join(SYSFS_FIXTURES, 'rpi5-pmic/vcgencmd-pmic_read_adc.txt'), 'utf8') as string;

describe('board identity', () => {
  it.each([
    ['jetson-nano-iio', 'NVIDIA Jetson Nano Developer Kit', 'jetson-nano', 'R32.7.1', '4'],
    ['jetson-orin-nano-hwmon', 'NVIDIA Jetson Orin Nano Developer Kit', 'jetson-orin-nano', 'R35.4.1', '5'],
    ['no-sensor', 'Raspberry Pi 4 Model B Rev 1.4', 'rpi4', undefined, undefined],
    ['rpi5-pmic', 'Raspberry Pi 5 Model B Rev 1.0', 'rpi5', undefined, undefined],
    ['rapl-wrap', 'OptiPlex 7070', undefined, undefined, undefined],
  ])('%s: model %j, profile %s, L4T %s (JetPack %s)', (tree, model, profile, l4t, jetpack) => {
    const identity = identifyBoard(join(SYSFS_FIXTURES, tree));
    expect(identity.model).toBe(model);
    expect(identity.profile?.id).toBe(profile);
    expect(identity.l4t).toBe(l4t);
    expect(identity.jetpack).toBe(jetpack);
  });

  it('parses an L4T release line', () => {
    expect(parseTegraRelease('# R36 (release), REVISION: 3.0, GCID: 1')).toEqual({
      l4t: 'R36.3.0',
      jetpack: '6',
    });
    expect(parseTegraRelease('garbage')).toBeUndefined();
  });
});

describe('runDoctor', () => {
  it('chooses the Jetson input rail on an Orin, with the board id in the spec', async () => {
    const root = copyTree('jetson-orin-nano-hwmon');
    const report = await runDoctor({ root, run: noCommands });
    expect(report.sensors.map((s) => [s.kind, s.usable])).toEqual([['jetson-ina3221', true]]);
    expect(report.chosen?.spec).toBe(`jetson-ina3221:jetson-orin-nano:root=${root}`);
    expect(report.chosen?.provenance).toBe('measured');
    expect(formatDoctor(report)).toContain('agent will use: --sensor jetson-ina3221:jetson-orin-nano');
  });

  it('falls back to the labelled estimate on a Pi 4 without sensors', async () => {
    const report = await runDoctor({ root: copyTree('no-sensor'), run: noCommands });
    expect(report.sensors).toEqual([]);
    expect(report.chosen).toEqual(
      expect.objectContaining({ spec: 'simulated:rpi4', provenance: 'estimated' }),
    );
    expect(report.chosen?.reason).toContain('to measure instead: ina219, ina226');
  });

  it('lists RAPL as unusable with the fix when permission is denied, and chooses nothing measured', async () => {
    const report = await runDoctor({ root: copyTree('rapl-wrap'), run: noCommands, canRead: () => false });
    expect(report.sensors).toHaveLength(1);
    expect(report.sensors[0]?.usable).toBe(false);
    expect(formatDoctor(report)).toMatch(/unusable rapl: permission denied .*chmod o\+r/);
    expect(report.chosen).toBeUndefined();
    expect(formatDoctor(report)).toContain('no sensor and no known board');
  });

  it('puts the estimate to fall back on into the JSON as well as the text, with the boards to pick from', async () => {
    const report = await runDoctor({ root: copyTree('rapl-wrap'), run: noCommands, canRead: () => false });
    expect(formatDoctor(report)).toContain('--sensor simulated:<board> (an estimate)');
    const json = doctorJson(report) as Record<string, unknown>;
    expect(json.chosen).toBeNull();
    expect(json.fallback).toEqual({
      spec: 'simulated:<board>',
      provenance: 'estimated',
      reason: expect.stringContaining('rpi4, rpi5, jetson-nano, jetson-orin-nano, esp32'),
      boards: ['rpi4', 'rpi5', 'jetson-nano', 'jetson-orin-nano', 'esp32'],
    });
  });

  it("gives the recognised board's estimate as the fallback next to a measured choice", async () => {
    const report = await runDoctor({ root: copyTree('jetson-orin-nano-hwmon'), run: noCommands });
    expect(report.chosen?.provenance).toBe('measured');
    expect(doctorJson(report)).toMatchObject({
      fallback: { spec: 'simulated:jetson-orin-nano', provenance: 'estimated' },
    });
  });

  it('leaves the board out of the spec of a sensor that board does not list', async () => {
    const root = copyTree('rapl-wrap');
    writeFileSync(join(root, 'sys/class/dmi/id/product_name'), 'Raspberry Pi 4 Model B Rev 1.4\n');
    const report = await runDoctor({ root, run: noCommands });
    expect(report.board.profile?.id).toBe('rpi4');
    expect(report.chosen?.spec).toBe(`rapl:root=${root}`);
  });

  it('uses the Pi 5 PMIC when vcgencmd prints rails', async () => {
    const report = await runDoctor({ root: copyTree('rpi5-pmic'), run: recordedPmic });
    expect(report.chosen?.spec).toBe('pi5-pmic:rpi5');
    expect(report.sensors[0]?.rails).toHaveLength(12);
  });

  it('prefers an input-rail measurement over RAPL when both are there', async () => {
    const root = copyTree('jetson-orin-nano-hwmon');
    const rapl = copyTree('rapl-wrap');
    cpSync(join(rapl, 'sys/class/powercap'), join(root, 'sys/class/powercap'), { recursive: true });
    const report = await runDoctor({ root, run: noCommands });
    expect(report.sensors.map((s) => s.kind).sort()).toEqual(['jetson-ina3221', 'rapl']);
    expect(report.chosen?.spec.startsWith('jetson-ina3221')).toBe(true);
  });
});

describe('edgewatt doctor (process)', () => {
  it('prints JSON for a fake Jetson Nano tree', async () => {
    const root = copyTree('jetson-nano-iio');
    const run = runCli(['doctor', '--json', '--root', root]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    const report = JSON.parse(run.stdout());
    expect(report.board.model).toBe('NVIDIA Jetson Nano Developer Kit');
    expect(report.board.jetpack).toBe('4');
    expect(report.sensors[0].kind).toBe('jetson-ina3221');
    expect(report.sensors[0].totalW).toBeCloseTo(6.208, 9);
    expect(report.board.profile).toBe('jetson-nano');
    expect(report.chosen.spec).toBe(`jetson-ina3221:jetson-nano:root=${root}`);
    expect(report.fallback).toMatchObject({ spec: 'simulated:jetson-nano', provenance: 'estimated' });
  });

  it('prints the fallback estimate in --json when there is no sensor and no known board', async () => {
    const root = copyTree('rapl-wrap');
    rmSync(join(root, 'sys/class/powercap'), { recursive: true });
    const run = runCli(['doctor', '--json', '--root', root]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    const report = JSON.parse(run.stdout());
    expect(report.chosen).toBeNull();
    expect(report.fallback.spec).toBe('simulated:<board>');
    expect(report.fallback.provenance).toBe('estimated');
    expect(report.fallback.boards).toContain('esp32');
  });

  it('runs the given vcgencmd for the Pi 5 PMIC', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgewatt-vcgencmd-'));
    const script = join(dir, 'vcgencmd');
    writeFileSync(
      script,
      `#!/bin/sh\ncat '${join(SYSFS_FIXTURES, 'rpi5-pmic/vcgencmd-pmic_read_adc.txt')}'\n`,
    );
    chmodSync(script, 0o755);
    const run = runCli(['doctor', '--root', copyTree('rpi5-pmic'), '--vcgencmd', script]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    expect(run.stdout()).toContain('usable   pi5-pmic: 12 PMIC rails');
    expect(run.stdout()).toContain('agent will use: --sensor pi5-pmic:rpi5 (measured)');
  });
});
