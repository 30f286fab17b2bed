// A command's configuration from its one zod schema. Values come from, lowest first: the schema's
// defaults, a JSON config file (--config or EDGEWATT_CONFIG; top-level keys apply to every command,
// a section named after the command overrides them), the environment (EDGEWATT_<KEY>, e.g.
// EDGEWATT_STATE_DIR), and the command line. Every problem is listed at once, unknown config keys
// included; deprecated spellings still work for one release and print a warning naming the new one.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { type Endpoint, noteEndpoints } from './failures.js';
import { envName, type FieldInfo, fieldsOf, flagName } from './options.js';
import type { DeprecatedAlias } from './schemas/fields.js';
import { knownKeys, SECTIONS } from './schemas/sections.js';

export { ConfigError } from './config-error.js';
export { envName, flagName };

type Origin = 'cli' | 'env' | 'file';
/** A value, where it came from, and (for a deprecated spelling) the value as it was written. */
type Source = { value: unknown; from: string; origin: Origin; alias?: DeprecatedAlias; written?: unknown };

export type Warn = (message: string) => void;
const warnOnStderr: Warn = (message) => process.stderr.write(`edgewatt: warning: ${message}\n`);

interface ConfigFile {
  path: string;
  /** Top-level keys with plain values (they apply to every command). */
  common: Record<string, unknown>;
  /** Sections by name. */
  sections: Record<string, Record<string, unknown>>;
}

function readConfigFile(path: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`config file ${path} cannot be read as JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  const common: Record<string, unknown> = {};
  const sections: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      sections[key] = value as Record<string, unknown>;
    else common[key] = value;
  }
  return { path, common, sections };
}

/** Edit distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(
        (row[j] ?? 0) + 1,
        (next[j - 1] ?? 0) + 1,
        (row[j - 1] ?? 0) + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1),
      );
    row = next;
  }
  return row[b.length] ?? 0;
}

export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

const didYouMean = (word: string, candidates: Iterable<string>) => {
  const near = closest(word, candidates);
  return near === undefined ? '' : ` (did you mean "${near}"?)`;
};

/** Problems of keys in the file that no option of this command (or, for top-level keys, of any command) has. */
async function unknownKeys(file: ConfigFile, section: string, own: ReadonlySet<string>): Promise<string[]> {
  const problems: string[] = [];
  for (const name of Object.keys(file.sections)) {
    if (!(name in SECTIONS))
      problems.push(
        `config file ${file.path}: unknown section "${name}"${didYouMean(name, Object.keys(SECTIONS))}; sections are ${Object.keys(SECTIONS).join(', ')}`,
      );
  }
  const ownSection = file.sections[section] ?? {};
  const strangers = Object.keys(ownSection).filter((key) => !own.has(key));
  const strangeCommon = Object.keys(file.common).filter((key) => !own.has(key));
  if (strangers.length === 0 && strangeCommon.length === 0) return problems;
  // Rare path: load what the other commands (and this command's siblings in its section) know.
  const sectionKeys = new Set([...own, ...(await knownKeys(section))]);
  for (const key of strangers) {
    if (!sectionKeys.has(key))
      problems.push(
        `config file ${file.path}: unknown key "${key}" in section "${section}"${didYouMean(key, sectionKeys)}`,
      );
  }
  if (strangeCommon.length > 0) {
    const all = new Set<string>();
    for (const name of Object.keys(SECTIONS)) for (const key of await knownKeys(name)) all.add(key);
    for (const key of strangeCommon)
      if (!all.has(key))
        problems.push(
          `config file ${file.path}: unknown top-level key "${key}"${didYouMean(key, all)}; no command has this option`,
        );
  }
  return problems;
}

function sourceName(key: string, origin: Origin, filePath: string): string {
  return origin === 'cli'
    ? flagName(key)
    : origin === 'env'
      ? `environment ${envName(key)}`
      : `config file ${filePath}`;
}

/** How the user should write `value` for option `key`, in the same place they wrote the old spelling. */
function spelled(key: string, value: unknown, origin: Origin): string {
  if (origin === 'cli') return value === true ? flagName(key) : `${flagName(key)} ${String(value)}`;
  if (origin === 'env') return `${envName(key)}=${String(value)}`;
  return `"${key}": ${JSON.stringify(value)}`;
}

function oldSpelling(key: string, origin: Origin): string {
  return origin === 'cli' ? flagName(key) : origin === 'env' ? envName(key) : `config key "${key}"`;
}

/** The value of one option and where it came from: command line, then environment, then file. */
function pick(
  info: FieldInfo,
  command: Command,
  env: NodeJS.ProcessEnv,
  file: ConfigFile | undefined,
  section: string,
): Source | undefined {
  const options = command.opts<Record<string, unknown>>();
  const spellings: { key: string; alias?: DeprecatedAlias }[] = [
    { key: info.key },
    ...(info.meta?.aliases ?? []).map((alias) => ({ key: alias.key, alias })),
  ];
  const fromFile = (key: string) => {
    const own = file?.sections[section]?.[key];
    return own !== undefined ? own : file?.common[key];
  };
  const lookups: [Origin, (key: string) => unknown][] = [
    ['cli', (key) => (command.getOptionValueSource(key) === 'cli' ? options[key] : undefined)],
    ['env', (key) => (env[envName(key)] === '' ? undefined : env[envName(key)])],
    ['file', fromFile],
  ];
  for (const [origin, lookup] of lookups) {
    for (const { key, alias } of spellings) {
      const value = lookup(key);
      if (value !== undefined)
        return {
          value,
          origin,
          from: sourceName(key, origin, file?.path ?? ''),
          ...(alias ? { alias } : {}),
        };
    }
  }
  return undefined;
}

/** Applies deprecated spellings (of the flag or of the value), warning with the new spelling. */
function modernise(info: FieldInfo, source: Source, warn: Warn): Source | undefined {
  let { value } = source;
  if (source.alias !== undefined) {
    value = source.alias.convert === undefined ? value : source.alias.convert(value);
    warn(
      `${oldSpelling(source.alias.key, source.origin)} is deprecated and will be removed in the next release; use ${spelled(info.key, value, source.origin)}`,
    );
  }
  const renamed = info.meta?.deprecatedValues;
  const textValue = ['string', 'number', 'boolean'].includes(typeof value) ? String(value) : undefined;
  if (renamed !== undefined && textValue !== undefined && Object.hasOwn(renamed, textValue)) {
    const now = renamed[textValue];
    const was = spelled(info.key, value, source.origin);
    if (now === undefined) {
      warn(
        `${was} is deprecated and will be removed in the next release; leave ${flagName(info.key)} out instead`,
      );
      return undefined;
    }
    warn(
      `${was} is deprecated and will be removed in the next release; use ${spelled(info.key, now, source.origin)}`,
    );
    value = now;
  }
  return { ...source, value, written: source.value };
}

/** The servers this configuration connects to, for one-line messages when one does not answer. */
function endpointsOf(fields: readonly FieldInfo[], config: Record<string, unknown>): Endpoint[] {
  const username = typeof config.username === 'string' ? config.username : undefined;
  return fields.flatMap((info) => {
    const kind = info.meta?.endpoint;
    const url = config[info.key];
    return kind === undefined || typeof url !== 'string'
      ? []
      : [{ kind, url, flag: flagName(info.key), ...(kind === 'broker' ? { username } : {}) }];
  });
}

export async function resolveConfig<S extends z.ZodObject>(
  schema: S,
  section: string,
  command: Command,
  env: NodeJS.ProcessEnv = process.env,
  warn: Warn = warnOnStderr,
): Promise<z.infer<S>> {
  const fields = fieldsOf(schema);
  const configPath =
    (command.opts<{ config?: string }>().config as string | undefined) ?? env.EDGEWATT_CONFIG;
  const file = configPath === undefined ? undefined : readConfigFile(configPath);
  const own = new Set(fields.flatMap((info) => [info.key, ...(info.meta?.aliases ?? []).map((a) => a.key)]));
  const problems = file === undefined ? [] : await unknownKeys(file, section, own);

  const sources = new Map<string, Source>();
  for (const info of fields) {
    const picked = pick(info, command, env, file, section);
    const source = picked === undefined ? undefined : modernise(info, picked, warn);
    if (source !== undefined) sources.set(info.key, source);
  }
  const merged = Object.fromEntries([...sources].map(([key, source]) => [key, source.value]));
  const parsed = schema.safeParse(merged);
  if (parsed.success && problems.length === 0) {
    noteEndpoints(endpointsOf(fields, parsed.data));
    return parsed.data;
  }
  const secret = new Set(fields.filter((info) => info.meta?.secret).map((info) => info.key));
  for (const issue of parsed.error?.issues ?? []) {
    const key = String(issue.path[0] ?? '');
    const source = sources.get(key);
    if (source === undefined) {
      // A schema's own words for a missing value ("give a sensor as ...") beat zod's type message.
      const generic = /^(Invalid input|expected )/.test(issue.message);
      problems.push(`  ${flagName(key)} (not given): ${generic ? 'required' : `required: ${issue.message}`}`);
      continue;
    }
    const shown = secret.has(key) ? '(hidden)' : JSON.stringify(source.written ?? source.value);
    problems.push(`  ${flagName(key)} from ${source.from} = ${shown}: ${issue.message}`);
  }
  const listed = problems.map((problem) => (problem.startsWith('  ') ? problem : `  ${problem}`));
  throw new ConfigError(
    `${section}: ${listed.length} configuration problem(s):\n${listed.join('\n')}\nSet them with flags, EDGEWATT_<OPTION> variables or a --config file (see edgewatt ${section} --help).`,
  );
}
