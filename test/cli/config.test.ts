import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('envName and flagName', () => {
  it('turns camelCase keys into EDGEWATT_SNAKE_CASE variables', () => {
    expect(envName('stateDir')).toBe('EDGEWATT_STATE_DIR');
    expect(envName('rate')).toBe('EDGEWATT_RATE');
    expect(envName('batchMax')).toBe('EDGEWATT_BATCH_MAX');
  });

  it('turns camelCase keys into kebab-case flags', () => {
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
  it('uses the schema defaults when nothing else is given', () => {
    const config = resolveConfig(agentSchema, 'agent', agentWith(REQUIRED), {});
    expect(config).toMatchObject({
      broker: 'mqtt://127.0.0.1:1883',
      fleet: 'default',
      device: 'board-01',
      rate: 10,
      count: 0,
      batchMax: 50,
      encoding: 'cbor',
    });
    expect(config.stateDir).toBeUndefined();
  });

  it('lets top-level config keys override defaults and the "agent" section override them', () => {
    const path = configFile({
      rate: 3,
      fleet: 'lab',
      batchMax: 20,
      agent: { rate: 4, stateDir: '/var/lib/edgewatt' },
      collector: { rate: 99, store: 'sqlite:x' },
    });
    const config = resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', path]), {});
    expect(config).toMatchObject({ rate: 4, fleet: 'lab', batchMax: 20, stateDir: '/var/lib/edgewatt' });
  });

  it('reads the config file named by EDGEWATT_CONFIG', () => {
    const path = configFile({ agent: { fleet: 'from-env-file' } });
    const config = resolveConfig(agentSchema, 'agent', agentWith(REQUIRED), { EDGEWATT_CONFIG: path });
    expect(config.fleet).toBe('from-env-file');
  });

  it('lets the environment override the config file, coercing numbers', () => {
    const path = configFile({ rate: 3, agent: { stateDir: '/from/file', count: 7 } });
    const config = resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', path]), {
      EDGEWATT_RATE: '2.5',
      EDGEWATT_STATE_DIR: '/from/env',
    });
    expect(config.rate).toBe(2.5);
    expect(config.stateDir).toBe('/from/env');
    expect(config.count).toBe(7);
  });

  it('ignores empty environment variables', () => {
    const config = resolveConfig(agentSchema, 'agent', agentWith(REQUIRED), { EDGEWATT_RATE: '' });
    expect(config.rate).toBe(10);
  });

  it('lets command-line flags override the environment and the config file', () => {
    const path = configFile({ rate: 3, agent: { stateDir: '/from/file' } });
    const argv = [...REQUIRED, '--config', path, '--rate', '7', '--state-dir', '/from/cli'];
    const config = resolveConfig(agentSchema, 'agent', agentWith(argv), {
      EDGEWATT_RATE: '2',
      EDGEWATT_STATE_DIR: '/from/env',
    });
    expect(config.rate).toBe(7);
    expect(config.stateDir).toBe('/from/cli');
  });

  it('takes required values from the environment alone', () => {
    const config = resolveConfig(agentSchema, 'agent', agentWith([]), {
      EDGEWATT_DEVICE: 'env-board',
      EDGEWATT_SENSOR: 'simulated:rpi5',
      EDGEWATT_MODEL: '/models/demo',
      EDGEWATT_BATCH_SIZE: '4',
    });
    expect(config).toMatchObject({ device: 'env-board', sensor: 'simulated:rpi5', batchSize: 4 });
  });
});

describe('resolveConfig problems', () => {
  it('lists every problem at once with flag, source and value', () => {
    const argv = ['--device', 'a/b', '--sensor', 'simulated:rpi4', '--model', 'm'];
    const { message } = configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith(argv), { EDGEWATT_RATE: 'fast' }),
    );
    expect(message).toMatch(/2 configuration problem/);
    expect(message).toContain('--rate from environment EDGEWATT_RATE = "fast"');
    expect(message).toContain('--device from --device = "a/b"');
  });

  it('names the config file as the source of a bad value', () => {
    const path = configFile({ agent: { encoding: 'xml', batchMax: 0 } });
    const { message } = configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', path]), {}),
    );
    expect(message).toContain(`--encoding from config file ${path} = "xml"`);
    expect(message).toContain(`--batch-max from config file ${path} = 0`);
  });

  it('lists every missing required value', () => {
    const { message } = configError(() => resolveConfig(agentSchema, 'agent', agentWith([]), {}));
    expect(message).toMatch(/^agent: 3 configuration problem/);
    for (const flag of ['--device (not given)', '--sensor (not given)', '--model (not given)'])
      expect(message).toContain(flag);
  });

  it('rejects a broker that is not a URL', () => {
    const { message } = configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--broker', 'localhost']), {}),
    );
    expect(message).toContain('--broker from --broker = "localhost"');
  });

  it('names the path of a config file that cannot be read', () => {
    const missing = join(dir, 'missing.json');
    const { message } = configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', missing]), {}),
    );
    expect(message).toContain(missing);
  });

  it('names the path of a config file that is not JSON', () => {
    const path = configFile('{ rate: 3');
    const { message } = configError(() =>
      resolveConfig(agentSchema, 'agent', agentWith([...REQUIRED, '--config', path]), {}),
    );
    expect(message).toContain(path);
    expect(message).toMatch(/JSON/);
  });

  it('names the path of a config file that holds an array', () => {
    const path = configFile([{ rate: 3 }]);
    const { message } = configError(() =>
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
  ])('refuses a %s instead of turning it into a number', (_label, env) => {
    const command = agentCommand();
    command.parseOptions(['--device', 'pi4-a', '--sensor', 'simulated:rpi4', '--model', 'm']);
    expect(() => resolveConfig(agentSchema, 'agent', command, env)).toThrow(
      /--rate from environment EDGEWATT_RATE/,
    );
  });
});
