import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatEnergy, formatEnergyWithUncertainty, renderTable } from '../../cli/table.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'edgewatt.js');

/** The environment without any EDGEWATT_* setting of the machine running the tests. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith('EDGEWATT_')),
);

function help(...args: string[]): string {
  return execFileSync(process.execPath, [BIN, ...args, '--help'], {
    cwd: ROOT,
    env: cleanEnv,
    encoding: 'utf8',
  });
}

function run(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: cleanEnv,
    encoding: 'utf8',
    timeout: 20_000,
  });
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` before the CLI tests');
  }
});

describe('edgewatt --help', () => {
  it('lists the subcommands', () => {
    const text = help();
    for (const command of ['agent', 'collector', 'demo', 'export']) expect(text).toContain(command);
  });

  it.each([
    ['agent', ['--broker', '--fleet', '--device', '--sensor', '--model', '--rate', '--count', '--state-dir']],
    ['collector', ['--broker', '--store', '--client-id', '--stats-interval']],
    ['demo', ['--duration', '--interval', '--rate', '--data-dir']],
    ['export', ['--store', '--format', '--out']],
  ])('edgewatt %s --help names its key flags', (command, flags) => {
    const text = help(command);
    expect(text).toContain(`Usage: edgewatt ${command}`);
    for (const flag of [...flags, '--config']) expect(text).toContain(flag);
  });
});

describe('edgewatt exits non-zero with a clear message', () => {
  it('lists the device, sensor and model problems of `edgewatt agent` without flags', () => {
    const result = run('agent');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('--device');
    expect(result.stderr).toContain('--sensor');
    expect(result.stderr).toContain('--model');
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it('names the limit a number broke (--count -5, --batch-max 2000), in one message', () => {
    const result = run(
      'agent',
      ...['--device', 'pi4-a', '--sensor', 'simulated:rpi4', '--model', 'm'],
      ...['--count', '-5', '--batch-max', '2000'],
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--count from --count = "-5": must be ≥ 1');
    expect(result.stderr).toContain('--batch-max from --batch-max = "2000": must be ≤ 1,000');
    expect(result.stderr).not.toContain('expected a number');
  });

  it('warns about a deprecated spelling with the new one, and names an unknown config key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgewatt-cli-'));
    try {
      const config = join(dir, 'edgewatt.json');
      writeFileSync(config, JSON.stringify({ collector: { spoolMaxMB: 5 } }));
      const result = run('collector', '--config', config, '--spool-max-mb', '5', '--spool-fsync', 'true');
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        'edgewatt: warning: --spool-max-mb is deprecated and will be removed in the next release; use --spool-max-bytes 5MiB',
      );
      expect(result.stderr).toContain('use --spool-fsync always');
      expect(result.stderr).toContain(
        `config file ${config}: unknown key "spoolMaxMB" in section "collector" (did you mean "spoolMaxMb"?)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the path of a SQLite store that does not exist', () => {
    const result = run('export', '--store', 'sqlite:/nonexistent/x.sqlite');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('/nonexistent/x.sqlite');
    expect(result.stdout).toBe('');
  });

  it('names a store URL with an unknown scheme', () => {
    const result = run('export', '--store', 'influx:whatever');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('influx:whatever');
    expect(result.stderr).toContain('sqlite:<path>');
  });

  it('rejects an unknown subcommand', () => {
    expect(run('frobnicate').status).not.toBe(0);
  });

  it('exports a header only from an empty store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgewatt-cli-'));
    try {
      const store = `sqlite:${join(dir, 'empty.sqlite')}`;
      // Create the store by opening it read-write through the collector's store module.
      const created = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { createStore } = await import(${JSON.stringify(join(ROOT, 'dist/collector/store/index.js'))});
           const s = createStore(${JSON.stringify(store)}); await s.connect(); await s.close();`,
        ],
        { cwd: ROOT, env: cleanEnv, encoding: 'utf8' },
      );
      expect(created.status, created.stderr).toBe(0);
      const result = run('export', '--store', store, '--format', 'csv');
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout.split('\n')[0]).toMatch(/^fleet,device,seq,startUs/);
      expect(result.stderr).toContain('exported 0 records');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('renderTable', () => {
  it('pads text columns left and number columns (header included) right, with a rule', () => {
    const table = renderTable(
      ['device', 'energy'],
      [
        ['rpi4', '1.5 mJ'],
        ['jetson-orin-nano', '12.0 mJ'],
      ],
    );
    expect(table.split('\n')).toEqual([
      'device             energy',
      '----------------  -------',
      'rpi4               1.5 mJ',
      'jetson-orin-nano  12.0 mJ',
    ]);
  });

  it('treats a column as text as soon as one cell is not a number', () => {
    const table = renderTable(['n'], [['10'], ['n/a']]);
    expect(table.split('\n')).toEqual(['n', '---', '10', 'n/a']);
  });

  it('renders a header and a rule for no rows', () => {
    expect(renderTable(['a', 'bb'], [])).toBe('a  bb\n-  --');
  });

  it('fills missing cells with blanks', () => {
    expect(renderTable(['a', 'b'], [['x']]).split('\n')).toEqual(['a  b', '-  -', 'x']);
  });
});

describe('formatEnergy and formatEnergyWithUncertainty', () => {
  it.each([
    [2.345, '2.35 J'],
    [0.0123, '12.3 mJ'],
    [0.000_045_6, '45.6 µJ'],
  ])('formats %d J as %s', (joules, text) => {
    expect(formatEnergy(joules)).toBe(text);
  });

  it.each([
    [0.0123, 0.0004, '12.3 ± 0.4 mJ'],
    [0.001_234, 0.000_05, '1.23 ± 0.05 mJ'],
    [0.1234, 0.01, '123 ± 10 mJ'],
    [2.5, 0.25, '2.50 ± 0.25 J'],
    [0.000_005, 0.000_001, '5.00 ± 1.00 µJ'],
  ])('formats %d ± %d J as %s', (joules, uncertainty, text) => {
    expect(formatEnergyWithUncertainty(joules, uncertainty)).toBe(text);
  });

  // 0.99999 J scaled to mJ before rounding would come out as "1.00e+3 mJ".
  it('moves to the next unit when rounding reaches 1000', () => {
    expect(formatEnergy(0.99999)).toBe('1.00 J');
    expect(formatEnergy(0.000_999_99)).toBe('1.00 mJ');
  });
});
