import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentCommand } from '../../cli/commands/agent.js';
import { collectorCommand } from '../../cli/commands/collector.js';
import { demoCommand } from '../../cli/commands/demo.js';
import { exportCommand } from '../../cli/commands/export.js';
import { ConfigError, envName, flagName, resolveConfig } from '../../cli/config.js';
import { agentSchema, collectorSchema, demoSchema, exportSchema } from '../../cli/schemas.js';

const REQUIRED = ['--device', 'board-01', '--sensor', 'simulated:rpi4', '--model', 'models/x'];

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgewatt-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The real `agent` command with `argv` parsed as its options (its action is not run). */
function agentWith(argv: readonly string[]): Command {
  const command = agentCommand();
  command.parseOptions([...argv]);
  return command;
}

function configFile(content: unknown): string {
  const path = join(dir, 'edgewatt.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function configError(run: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('envName and flagName', () => {
  it('turns camelCase keys into EDGEWATT_SNAKE_CASE variables', async () => {
    expect(envName('stateDir')).toBe('EDGEWATT_STATE_DIR');
    expect(envName('rate')).toBe('EDGEWATT_RATE');
    expect(envName('batchMax')).toBe('EDGEWATT_BATCH_MAX');
  });

  it('turns camelCase keys into kebab-case flags', async () => {
    expect(flagName('stateDir')).toBe('--state-dir');
    expect(flagName('rate')).toBe('--rate');
    expect(flagName('statsInterval')).toBe('--stats-interval');
  });

  it.each([
    ['agent', agentCommand, agentSchema],
    ['collector', collectorCommand, collectorSchema],
    ['demo', demoCommand, demoSchema],
    ['export', exportCommand, exportSchema],
  ] as const)('gives every %s config key a flag of the same name', (_name, make, schema) => {
    const flags = make().options.map((option) => option.long);
    for (const key of Object.keys(schema.shape)) expect(flags).toContain(flagName(key));
  });
});

describe('resolveConfig precedence', () => {
  it('uses the schema defaults when nothing else is given', async () => {
    const config = await resolveConfig(agentSchema, 'agent', agentWith(REQUIRED), {});
    expect(config).toMatchObject({
      broker: 'mqtt://127.0.0.1:1883',
      fleet: 'default',
      device: 'board-01',
      rate: 10,
      batchMax: 50,
      encoding: 'cbor',
    });
    expect(config.stateDir).toBeUndefined();
    expect(config.count).toBeUndefined(); // run until stopped
  });

  it('lets top-level config keys override defaults and the "agent" section override them', async () => {
    const path = configFile({
      rate: 3,
      fleet: 'lab',
      batchMax: 20,
      agent: { rate: 4, stateDir: '/var/lib/edgewatt' },
      collector: { rate: 99, store: 'sqlite:x' },
    });
    const config = await resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', path]), {});
    expect(config).toMatchObject({ rate: 4, fleet: 'lab', batchMax: 20, stateDir: '/var/lib/edgewatt' });
  });

  it('reads the config file named by EDGEWATT_CONFIG', async () => {
    const path = configFile({ agent: { fleet: 'from-env-file' } });
    const config = await resolveConfig(agentSchema, 'agent', agentWith(REQUIRED), { EDGEWATT_CONFIG: path });
    expect(config.fleet).toBe('from-env-file');
  });

  it('lets the environment override the config file, coercing numbers', async () => {
    const path = configFile({ rate: 3, agent: { stateDir: '/from/file', count: 7 } });
    const config = await resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', path]), {
      EDGEWATT_RATE: '2.5',
      EDGEWATT_STATE_DIR: '/from/env',
    });
    expect(config.rate).toBe(2.5);
    expect(config.stateDir).toBe('/from/env');
    expect(config.count).toBe(7);
  });

  it('ignores empty environment variables', async () => {
    const config = await resolveConfig(agentSchema, 'agent', agentWith(REQUIRED), { EDGEWATT_RATE: '' });
    expect(config.rate).toBe(10);
  });

  it('lets command-line flags override the environment and the config file', async () => {
    const path = configFile({ rate: 3, agent: { stateDir: '/from/file' } });
    const argv = [...REQUIRED, '--config', path, '--rate', '7', '--state-dir', '/from/cli'];
    const config = await resolveConfig(agentSchema, 'agent', agentWith(argv), {
      EDGEWATT_RATE: '2',
      EDGEWATT_STATE_DIR: '/from/env',
    });
    expect(config.rate).toBe(7);
    expect(config.stateDir).toBe('/from/cli');
  });

  it('takes required values from the environment alone', async () => {
    const config = await resolveConfig(agentSchema, 'agent', agentWith([]), {
      EDGEWATT_DEVICE: 'env-board',
      EDGEWATT_SENSOR: 'simulated:rpi5',
      EDGEWATT_MODEL: '/models/demo',
      EDGEWATT_BATCH_SIZE: '4',
    });
    expect(config).toMatchObject({ device: 'env-board', sensor: 'simulated:rpi5', batchSize: 4 });
  });
});

describe('resolveConfig problems', () => {
  it('lists every problem at once with flag, source and value', async () => {
    const argv = ['--device', 'a/b', '--sensor', 'simulated:rpi4', '--model', 'm'];
    const { message } = await configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith(argv), { EDGEWATT_RATE: 'fast' }),
    );
    expect(message).toMatch(/2 configuration problem/);
    expect(message).toContain('--rate from environment EDGEWATT_RATE = "fast"');
    expect(message).toContain('--device from --device = "a/b"');
  });

  it('names the config file as the source of a bad value', async () => {
    const path = configFile({ agent: { encoding: 'xml', batchMax: 0 } });
    const { message } = await configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', path]), {}),
    );
    expect(message).toContain(`--encoding from config file ${path} = "xml"`);
    expect(message).toContain(`--batch-max from config file ${path} = 0`);
  });

  it('lists every missing required value', async () => {
    const { message } = await configError(() => resolveConfig(agentSchema, 'agent', agentWith([]), {}));
    expect(message).toMatch(/^agent: 3 configuration problem/);
    for (const flag of ['--device (not given)', '--sensor (not given)', '--model (not given)'])
      expect(message).toContain(flag);
  });

  it('rejects a broker that is not a URL', async () => {
    const { message } = await configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--broker', 'localhost']), {}),
    );
    expect(message).toContain('--broker from --broker = "localhost"');
  });

  it('names the path of a config file that cannot be read', async () => {
    const missing = join(dir, 'missing.json');
    const { message } = await configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', missing]), {}),
    );
    expect(message).toContain(missing);
  });

  it('names the path of a config file that is not JSON', async () => {
    const path = configFile('{ rate: 3');
    const { message } = await configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', path]), {}),
    );
    expect(message).toContain(path);
    expect(message).toMatch(/JSON/);
  });

  it('names the path of a config file that holds an array', async () => {
    const path = configFile([{ rate: 3 }]);
    const { message } = await configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', path]), {}),
    );
    expect(message).toContain(path);
    expect(message).toMatch(/JSON object/);
  });
});

describe('numbers from text are parsed strictly', () => {
  it.each([
    ['blank environment value', { EDGEWATT_RATE: ' ' }],
    ['a word', { EDGEWATT_RATE: 'fast' }],
  ])('refuses a %s instead of turning it into a number', async (_label, env) => {
    const command = agentCommand();
    command.parseOptions(['--device', 'pi4-a', '--sensor', 'simulated:rpi4', '--model', 'm']);
    await expect(resolveConfig(agentSchema, 'agent', command, env)).rejects.toThrow(
      /--rate from environment EDGEWATT_RATE/,
    );
  });
});

describe('number limits are named in the error', () => {
  it.each([
    [['--count', '-5'], '--count from --count = "-5": must be ≥ 1'],
    [['--batch-max', '2000'], '--batch-max from --batch-max = "2000": must be ≤ 1,000'],
    [['--batch-max', '2.5'], 'must be a whole number, got 2.5'],
    [['--rate', 'fast'], 'expected a number ≥ 0 and ≤ 10,000, got "fast"'],
  ])('%j says %s', async (argv, expected) => {
    const { message } = await configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, ...argv]), {}),
    );
    expect(message).toContain(expected);
    expect(message).not.toContain('expected a number, got');
  });
});

describe('unknown config-file keys are errors', () => {
  it('names an unknown key of the command section and the closest valid key', async () => {
    const path = configFile({ agent: { flushMS: 5, fleet: 'lab' } });
    const { message } = await configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', path]), {}),
    );
    expect(message).toContain(`config file ${path}: unknown key "flushMS" in section "agent"`);
    expect(message).toContain('did you mean "flushMs"?');
  });

  it('names an unknown section', async () => {
    const path = configFile({ colector: { store: 'sqlite:x' } });
    const { message } = await configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', path]), {}),
    );
    expect(message).toContain('unknown section "colector" (did you mean "collector"?)');
  });

  it('refuses a top-level key no command has, but not one another command has', async () => {
    const path = configFile({ rtae: 3, store: 'sqlite:x', agent: {} });
    const { message } = await configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', path]), {}),
    );
    expect(message).toContain('unknown top-level key "rtae" (did you mean "rate"?)');
    expect(message).not.toContain('"store"');
    expect(message).toMatch(/1 configuration problem/);
  });

  it('accepts a key of a sibling subcommand in a shared section', async () => {
    const { MODEL_SCHEMAS } = await import('../../cli/schemas/model.js');
    const { modelCommand } = await import('../../cli/commands/model.js');
    const path = configFile({ model: { epochs: 2, rounds: 3 } });
    const subset = modelCommand().commands.find((c) => c.name() === 'subset');
    subset?.parseOptions(['--out', 'x', '--config', path]);
    if (subset === undefined) throw new Error('no subset command');
    const config = await resolveConfig(MODEL_SCHEMAS.subset, 'model', subset, {});
    expect(config.out).toBe('x');
  });

  it.each(['edgewatt.example.json', 'edgewatt.collector.json'])(
    'accepts deploy/%s for every command it has a section for',
    async (name) => {
      const { SECTIONS } = await import('../../cli/schemas/sections.js');
      const { addSchemaOptions } = await import('../../cli/options.js');
      const { Command } = await import('commander');
      const path = join(fileURLToPath(new URL('../../', import.meta.url)), 'deploy', name);
      const sections = Object.keys(JSON.parse(readFileSync(path, 'utf8'))).filter((key) => key in SECTIONS);
      expect(sections.length).toBeGreaterThan(0);
      for (const section of sections) {
        const [schema] = (await SECTIONS[section]?.()) ?? [];
        if (schema === undefined) throw new Error(`no schema for ${section}`);
        const command = addSchemaOptions(new Command(section), schema, section);
        command.parseOptions(['--config', path]);
        const warnings: string[] = [];
        await expect(
          resolveConfig(schema, section, command, {}, (w) => warnings.push(w)),
        ).resolves.toBeDefined();
        expect(warnings, `${name} ${section}`).toEqual([]); // no deprecated spelling in what we ship
      }
    },
  );
});

describe('deprecated spellings still work for one release and warn with the new spelling', () => {
  function collectorWith(argv: readonly string[]): Command {
    const command = collectorCommand();
    command.parseOptions([...argv]);
    return command;
  }

  it('takes --spool-max-mb 5 as --spool-max-bytes 5MiB', async () => {
    const warnings: string[] = [];
    const config = await resolveConfig(
      collectorSchema,
      'collector',
      collectorWith(['--spool-max-mb', '5']),
      {},
      (w) => warnings.push(w),
    );
    expect(config.spoolMaxBytes).toBe(5 * 2 ** 20);
    expect(warnings).toEqual([
      '--spool-max-mb is deprecated and will be removed in the next release; use --spool-max-bytes 5MiB',
    ]);
  });

  it('takes the config key spoolMaxMb and the fsync value false, naming the new key and value', async () => {
    const path = configFile({ collector: { spoolMaxMb: 2, spoolFsync: false } });
    const warnings: string[] = [];
    const config = await resolveConfig(
      collectorSchema,
      'collector',
      collectorWith(['--config', path]),
      {},
      (w) => warnings.push(w),
    );
    expect(config).toMatchObject({ spoolMaxBytes: 2 * 2 ** 20, spoolFsync: 'never' });
    expect(warnings).toContain(
      'config key "spoolMaxMb" is deprecated and will be removed in the next release; use "spoolMaxBytes": "2MiB"',
    );
    expect(warnings.join('\n')).toContain('use "spoolFsync": "never"');
  });

  it('takes EDGEWATT_SPOOL_FSYNC=true as always', async () => {
    const warnings: string[] = [];
    const config = await resolveConfig(
      collectorSchema,
      'collector',
      collectorWith([]),
      { EDGEWATT_SPOOL_FSYNC: 'true' },
      (w) => warnings.push(w),
    );
    expect(config.spoolFsync).toBe('always');
    expect(warnings).toEqual([
      'EDGEWATT_SPOOL_FSYNC=true is deprecated and will be removed in the next release; use EDGEWATT_SPOOL_FSYNC=always',
    ]);
  });

  it('takes --count 0 as "run until stopped"', async () => {
    const warnings: string[] = [];
    const config = await resolveConfig(
      agentSchema,
      'agent',
      agentWith([...REQUIRED, '--count', '0']),
      {},
      (w) => warnings.push(w),
    );
    expect(config.count).toBeUndefined();
    expect(warnings).toEqual([
      '--count 0 is deprecated and will be removed in the next release; leave --count out instead',
    ]);
  });

  it('spells the spool options the same for agent and collector', async () => {
    const agent = await resolveConfig(
      agentSchema,
      'agent',
      agentWith([...REQUIRED, '--spool-max-bytes', '64MiB', '--spool-fsync', 'never']),
      {},
    );
    const collector = await resolveConfig(
      collectorSchema,
      'collector',
      collectorWith(['--spool-max-bytes', '64MiB', '--spool-fsync', 'never']),
      {},
    );
    expect(agent.spoolMaxBytes).toBe(collector.spoolMaxBytes);
    expect(agent.spoolFsync).toBe(collector.spoolFsync);
  });
});

describe('booleans are true or false', () => {
  it('refuses any other word instead of reading it as false', async () => {
    const { message } = await configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith(REQUIRED), { EDGEWATT_ALLOW_UNSIGNED: 'yes' }),
    );
    expect(message).toContain(
      '--allow-unsigned from environment EDGEWATT_ALLOW_UNSIGNED = "yes": expected true or false',
    );
  });

  it('refuses --control from the environment unless true or false (it was silently false)', async () => {
    const { MODEL_SCHEMAS } = await import('../../cli/schemas/model.js');
    const { modelCommand } = await import('../../cli/commands/model.js');
    const sweep = modelCommand().commands.find((c) => c.name() === 'sweep');
    if (sweep === undefined) throw new Error('no sweep command');
    sweep.parseOptions(['--model', 'm', '--out-dir', 'o']);
    const { message } = await configError(() =>
      resolveConfig(MODEL_SCHEMAS.sweep, 'model', sweep, { EDGEWATT_CONTROL: 'yes' }),
    );
    expect(message).toContain('--control from environment EDGEWATT_CONTROL = "yes": expected true or false');
    const on = await resolveConfig(MODEL_SCHEMAS.sweep, 'model', sweep, { EDGEWATT_CONTROL: 'true' });
    expect(on.control).toBe(true);
  });

  it('does not echo a secret in an error', async () => {
    const collector = collectorCommand();
    collector.parseOptions(['--api-token', 'short-secret']);
    const { message } = await configError(() => resolveConfig(collectorSchema, 'collector', collector, {}));
    expect(message).toContain('--api-token from --api-token = (hidden)');
    expect(message).not.toContain('short-secret');
  });
});

describe('every option comes from a schema', () => {
  it('gives every key of every section help text, and no help text restates a default', async () => {
    const { SECTIONS } = await import('../../cli/schemas/sections.js');
    const { fieldsOf } = await import('../../cli/options.js');
    for (const [section, load] of Object.entries(SECTIONS)) {
      for (const schema of await load()) {
        for (const info of fieldsOf(schema)) {
          expect(info.meta?.help, `${section}.${info.key}`).toMatch(/\w/);
          expect(info.meta?.help, `${section}.${info.key}`).not.toMatch(/\(default/);
        }
      }
    }
  });

  it('prints each default once in --help, from the schema', () => {
    const help = agentCommand().helpInformation();
    expect(help).toContain('--batch-max <n>');
    expect(help.match(/\(default: 50\)/g)).toHaveLength(1);
    expect(help).toContain('--spool-max-bytes <size>');
    expect(help).toContain('(default: 64MiB)');
    expect(help).not.toContain('--spool-max-mb'); // deprecated spellings are hidden
    expect(collectorCommand().helpInformation()).toContain('--spool-fsync <always|never>');
  });
});
