// The systemd units in deploy/systemd are checked by systemd itself (`systemd-analyze verify`:
// unknown keys, bad values, a command that is not executable), and every edgewatt flag on their
// ExecStart lines must be one the CLI knows. No unit is started here: this machine has no systemd
// running as init.

import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/process.js';
import { tempDir } from '../support/stack.js';
import { describeWith } from '../support/tools.js';

const UNITS = fileURLToPath(new URL('../../deploy/systemd/', import.meta.url));

const units = readdirSync(UNITS).filter((name) => name.endsWith('.service'));
const dir = tempDir('edgewatt-units-');
afterAll(() => dir.remove());

describeWith(['systemd-analyze'], 'deploy/systemd units', () => {
  it.each(units)('%s passes systemd-analyze verify without a warning', (unit) => {
    const copy = join(dir.path, unit);
    copyFileSync(join(UNITS, unit), copy);
    const run = spawnSync('systemd-analyze', ['verify', '--man=no', copy], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr.trim()).toBe('');
  });
});

describe('deploy/systemd ExecStart lines', () => {
  it('has an agent and a collector unit', () => {
    expect(units.sort()).toEqual(['edgewatt-agent.service', 'edgewatt-collector.service']);
  });

  it.each(units)('%s runs an edgewatt command with flags the CLI knows', async (unit) => {
    const exec = /^ExecStart=\/usr\/bin\/env edgewatt (\S+)(.*)$/m.exec(
      readFileSync(join(UNITS, unit), 'utf8'),
    );
    expect(exec, 'ExecStart=/usr/bin/env edgewatt <command> ...').not.toBeNull();
    const [, command = '', rest = ''] = exec ?? [];
    const help = runCli([command, '--help']);
    expect((await help.exited).code).toBe(0);
    const flags = rest.match(/--[a-z-]+/g) ?? [];
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) expect(help.stdout(), `${command} ${flag}`).toContain(flag);
  });
});
