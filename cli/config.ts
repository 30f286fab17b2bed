// One schema per command (zod) with defaults in code. Values come from, lowest first: the
// schema's defaults, a JSON config file (--config or EDGEWATT_CONFIG; top-level keys apply to
// every command, a section named after the command overrides them), the environment
// (EDGEWATT_<KEY>, e.g. EDGEWATT_STATE_DIR), and the command line. Every problem is listed at once.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { z } from 'zod';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function envName(key: string): string {
  return `EDGEWATT_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

export function flagName(key: string): string {
  return `--${key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
}

type Source = { value: unknown; from: string };

function readConfigFile(path: string, section: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`config file ${path} cannot be read as JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  const all = parsed as Record<string, unknown>;
  const common = Object.fromEntries(
    Object.entries(all).filter(([, v]) => typeof v !== 'object' || v === null),
  );
  const own = all[section];
  return { ...common, ...(typeof own === 'object' && own !== null ? (own as Record<string, unknown>) : {}) };
}

export function resolveConfig<S extends z.ZodObject>(
  schema: S,
  section: string,
  command: Command,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const keys = Object.keys(schema.shape);
  const sources = new Map<string, Source>();
  const options = command.opts<Record<string, unknown>>();
  const configPath = (options.config as string | undefined) ?? env.EDGEWATT_CONFIG;
  if (configPath !== undefined) {
    const file = readConfigFile(configPath, section);
    for (const key of keys)
      if (file[key] !== undefined) sources.set(key, { value: file[key], from: `config file ${configPath}` });
  }
  for (const key of keys) {
    const value = env[envName(key)];
    if (value !== undefined && value !== '') sources.set(key, { value, from: `environment ${envName(key)}` });
  }
  for (const key of keys) {
    if (command.getOptionValueSource(key) === 'cli')
      sources.set(key, { value: options[key], from: `${flagName(key)}` });
  }
  const merged = Object.fromEntries([...sources].map(([key, source]) => [key, source.value]));
  const parsed = schema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const source = sources.get(key);
    const where =
      source === undefined
        ? `${flagName(key)} (not given)`
        : `${flagName(key)} from ${source.from} = ${JSON.stringify(source.value)}`;
    return `  ${where}: ${issue.message}`;
  });
  throw new ConfigError(
    `${section}: ${problems.length} configuration problem(s):\n${problems.join('\n')}\nSet them with flags, ${envName('key')} variables or a --config file (see edgewatt ${section} --help).`,
  );
}
