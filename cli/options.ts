// Command-line options derived from a command's zod schema: one flag per schema key (camelCase →
// --kebab-case), its help from the field's registered text, its default printed once from the
// schema, hidden flags for deprecated spellings, and a footer naming the EDGEWATT_* variables and
// the config-file section. Values are parsed by cli/config.ts, never by commander.

import { type Command, Option as CommanderOption } from 'commander';
import type { z } from 'zod';
import { type OptionMeta, optionMeta } from './schemas/fields.js';

export function envName(key: string): string {
  return `EDGEWATT_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

export function flagName(key: string): string {
  return `--${key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
}

/** What the options machinery needs to know about one schema field. */
export interface FieldInfo {
  key: string;
  meta: OptionMeta | undefined;
  /** The default as the user would type it; undefined when there is none. */
  defaultValue: unknown;
  required: boolean;
  /** An on/off flag (no value on the command line). */
  boolean: boolean;
  /** The allowed words of an enum field. */
  choices: readonly string[] | undefined;
}

type Def = { type: string; defaultValue?: unknown; innerType?: z.ZodType; out?: z.ZodType; entries?: object };
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

export function fieldInfo(key: string, field: z.ZodType): FieldInfo {
  const meta = optionMeta.get(field);
  let defaultValue: unknown;
  let optional = false;
  let current: z.ZodType = field;
  for (;;) {
    const def = defOf(current);
    if (def.type === 'default' || def.type === 'prefault') defaultValue = def.defaultValue;
    if (def.type === 'optional') optional = true;
    const next =
      def.type === 'default' || def.type === 'prefault' || def.type === 'optional'
        ? def.innerType
        : def.type === 'pipe'
          ? def.out
          : undefined;
    if (next === undefined) break;
    current = next;
  }
  const inner = defOf(current);
  return {
    key,
    meta,
    defaultValue,
    required: !optional && defaultValue === undefined,
    boolean: inner.type === 'boolean',
    choices: inner.type === 'enum' ? Object.values(inner.entries ?? {}) : undefined,
  };
}

export function fieldsOf(schema: z.ZodObject): FieldInfo[] {
  return Object.entries(schema.shape).map(([key, field]) => fieldInfo(key, field as z.ZodType));
}

function showDefault(info: FieldInfo): string | undefined {
  if (info.meta?.defaultHelp !== undefined) return info.meta.defaultHelp;
  const value = info.defaultValue;
  if (value === undefined || value === false) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** The help line of one option: its text, then "(default: …)" or "(required)" from the schema. */
export function helpOf(info: FieldInfo): string {
  const help = info.meta?.help ?? '';
  const shown = showDefault(info);
  const suffix = info.required ? ' (required)' : shown === undefined ? '' : ` (default: ${shown})`;
  return `${help}${suffix}`;
}

function flagsOf(info: FieldInfo): string {
  if (info.boolean) return flagName(info.key);
  const arg = info.meta?.arg ?? info.choices?.join('|') ?? 'value';
  return `${flagName(info.key)} <${arg}>`;
}

/**
 * Adds one flag per key of `schema` (plus hidden deprecated spellings and --config) and a help
 * footer on the environment and the config file. Keys already present (shared by two schemas) are skipped.
 */
export function addSchemaOptions(command: Command, schema: z.ZodObject, section: string): Command {
  const present = new Set(command.options.map((option) => option.attributeName()));
  for (const info of fieldsOf(schema)) {
    if (present.has(info.key)) continue;
    present.add(info.key);
    command.addOption(new CommanderOption(flagsOf(info), helpOf(info)));
    for (const alias of info.meta?.aliases ?? []) {
      const flags = alias.arg === undefined ? flagName(alias.key) : `${flagName(alias.key)} <${alias.arg}>`;
      command.addOption(new CommanderOption(flags, `deprecated: use ${flagName(info.key)}`).hideHelp());
      present.add(alias.key);
    }
  }
  if (!present.has('config')) {
    command.option('--config <path>', `JSON config file (keys as below in camelCase; section "${section}")`);
    command.addHelpText(
      'after',
      `\nEvery option can also be set as an environment variable EDGEWATT_<OPTION> (e.g. ${envName(
        fieldsOf(schema)[0]?.key ?? 'broker',
      )})\nor in the --config file (EDGEWATT_CONFIG). The command line wins over the environment,\nwhich wins over the file.\n`,
    );
  }
  return command;
}
