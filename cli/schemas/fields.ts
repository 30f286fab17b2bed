// Building blocks of the command schemas: each option is a zod field plus its help text, kept
// together in one registry so that flags, help, defaults and EDGEWATT_* variables all come from
// the schema (cli/options.ts, cli/config.ts). Values from the environment or the command line
// arrive as text; every builder parses text strictly and says the limit when a value is out of it.

import { z } from 'zod';

/** A spelling kept for one release: it still works, and a warning names the new spelling. */
export interface DeprecatedAlias {
  /** Old config key (camelCase); its flag and EDGEWATT_* variable are derived from it. */
  key: string;
  /** Placeholder of the old flag's value; absent for a flag without a value. */
  arg?: string;
  /** Turns the old value into the new option's value (text as it would be typed). */
  convert?: (value: unknown) => unknown;
}

export interface OptionMeta {
  /** What the option does, without its default (the help adds that from the schema). */
  help: string;
  /** Placeholder of the value in the help (`<url>`); absent for an on/off flag. */
  arg?: string;
  /** Shown as the default when the real default is computed at run time (e.g. from other options). */
  defaultHelp?: string;
  /** Values that still work for one release, mapped to their new spelling (undefined: leave the option out). */
  deprecatedValues?: Readonly<Record<string, string | undefined>>;
  /** Old flag and config-key spellings of this option, kept for one release. */
  aliases?: readonly DeprecatedAlias[];
  /** Never echoed back in an error message (passwords, tokens). */
  secret?: boolean;
  /** A server the command connects to: a failure to reach it is reported in one line (cli/failures.ts). */
  endpoint?: 'broker' | 'store' | 'listen';
}

/** The help text of every option field; read by cli/options.ts and cli/config.ts. */
export const optionMeta = z.registry<OptionMeta>();

/** `schema` as a command-line option described by `meta`. Call it last, after `.default()`/`.optional()`. */
export function option<T extends z.ZodType>(schema: T, meta: OptionMeta): T {
  optionMeta.add(schema as z.ZodType, meta);
  return schema;
}

/**
 * An issue as the error map of z.number() sees it: the map given to the type also words the
 * failures of its checks (.min, .max), though its declared type names only the type's own issue.
 */
type NumberIssue = {
  code: string;
  input?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  inclusive?: boolean;
};

const show = (value: unknown) => JSON.stringify(value);
/** 1000000 → "1,000,000": limits in messages read like the help. */
export const formatLimit = (value: number | bigint) => value.toLocaleString('en-US');

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** Text that is a plain decimal number becomes that number; anything else is left for zod to refuse. */
function numberFromText(value: unknown): unknown {
  return typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value) : value;
}

export interface NumberLimits {
  /** Whole numbers only. */
  int?: boolean;
  min?: number;
  max?: number;
  /** Strictly above this (for rates and fractions where 0 itself is not allowed). */
  above?: number;
  /** Strictly below this. */
  below?: number;
}

/** What a number must be, in words: "a whole number ≥ 1 and ≤ 1,000". */
export function describeLimits(limits: NumberLimits): string {
  const parts = [
    limits.min === undefined ? null : `≥ ${formatLimit(limits.min)}`,
    limits.above === undefined ? null : `> ${formatLimit(limits.above)}`,
    limits.max === undefined ? null : `≤ ${formatLimit(limits.max)}`,
    limits.below === undefined ? null : `< ${formatLimit(limits.below)}`,
  ].filter((part) => part !== null);
  return `${limits.int ? 'a whole number' : 'a number'}${parts.length > 0 ? ` ${parts.join(' and ')}` : ''}`;
}

/** A number from text or JSON; an error names the limit it broke ("must be ≤ 1,000"). */
export function num(limits: NumberLimits = {}) {
  const expected = describeLimits(limits);
  let schema = z.number({
    error: (raw) => {
      const issue = raw as NumberIssue;
      if (issue.code === 'too_small')
        return `must be ${issue.inclusive ? '≥' : '>'} ${formatLimit(issue.minimum as number)}`;
      if (issue.code === 'too_big')
        return `must be ${issue.inclusive ? '≤' : '<'} ${formatLimit(issue.maximum as number)}`;
      if (issue.code === 'invalid_type' && typeof issue.input === 'number')
        return `must be a whole number, got ${show(issue.input)}`;
      return `expected ${expected}, got ${show(issue.input)}`;
    },
  });
  if (limits.int) schema = schema.int();
  if (limits.min !== undefined) schema = schema.min(limits.min);
  if (limits.above !== undefined) schema = schema.gt(limits.above);
  if (limits.max !== undefined) schema = schema.max(limits.max);
  if (limits.below !== undefined) schema = schema.lt(limits.below);
  return z.preprocess(numberFromText, schema);
}

/** A whole number with the given bounds. */
export const int = (limits: Omit<NumberLimits, 'int'> = {}) => num({ ...limits, int: true });

/** An on/off option: a bare flag on the command line, `true` or `false` in the environment and files. */
export function bool() {
  return z.preprocess(
    (value) => (value === 'true' ? true : value === 'false' ? false : value),
    z.boolean({ error: (issue) => `expected true or false, got ${show(issue.input)}` }),
  );
}
/** `1`/`0` were accepted for booleans before; they warn for one release. */
export const BOOLEAN_DEPRECATED_VALUES = { '1': 'true', '0': 'false' } as const;

/** An on/off option, off unless given. */
export const onOff = (help: string) =>
  option(bool().default(false), { help, deprecatedValues: BOOLEAN_DEPRECATED_VALUES });

/** One of fixed words, named in the error. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) => `expected ${values.join(' or ')}, got ${show(issue.input)}`,
  });
}

/** A comma-separated list in text, or a JSON array in a config file. */
export function list<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part !== '')
        : value,
    z.array(item),
  );
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
};

/** Bytes from `67108864`, `64MiB`, `500 MB` (powers of 1024 for KiB/MiB/GiB, of 1000 for kB/MB/GB). */
export function parseSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const scale = match === null ? undefined : SIZE_UNITS[(match[2] ?? '').toLowerCase()];
  if (match === null || scale === undefined) return null;
  return Math.round(Number(match[1]) * scale);
}

/** A size in bytes; text may carry a unit (64MiB). The error says the bounds in the same words. */
export function size(limits: { min: number; max?: number }) {
  return z.preprocess(
    (value) => (typeof value === 'string' ? (parseSize(value) ?? value) : value),
    z
      .number({
        error: (raw) => {
          const issue = raw as NumberIssue;
          return issue.code === 'too_small'
            ? `must be ≥ ${formatLimit(limits.min)} bytes`
            : issue.code === 'too_big'
              ? `must be ≤ ${formatLimit(limits.max ?? 0)} bytes`
              : `expected a size such as 64MiB, 500MB or 1048576 (bytes), got ${show(issue.input)}`;
        },
      })
      .int()
      .min(limits.min)
      .max(limits.max ?? Number.MAX_SAFE_INTEGER),
  );
}

/** Non-empty text; `what` says what to give when it is missing or blank. */
export function text(what?: string) {
  return z.string({ error: what ?? 'expected text' }).min(1, what ?? 'must not be empty');
}
