// The record filter flags of `export` and `compare` (--fleet --device --model --from --to
// --experiment --arm, and --skip-first, which the reader applies after the store's filters). Read from the command line only: EDGEWATT_DEVICE, EDGEWATT_MODEL and a
// config file's top-level `fleet` belong to the agent, and must not silently narrow an export.

import type { Command } from 'commander';
import { z } from 'zod';
import type { RecordFilter } from '../../collector/store/index.js';
import { ConfigError } from '../config.js';

/** µs since the Unix epoch (as export prints startUs), or an ISO 8601 date/time. */
const instant = z.string().transform((text, ctx) => {
  if (/^\d+$/.test(text)) return Number(text);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(text)} is not a time; give ISO 8601 (2026-11-28, 2026-11-28T09:00:00Z) or µs since the Unix epoch`,
    });
    return z.NEVER;
  }
  return ms * 1000;
});
const name = z.string().min(1);

export const recordFilterSchema = z.object({
  fleet: name.optional(),
  device: name.optional(),
  model: name.optional(),
  from: instant.optional(),
  to: instant.optional(),
  experiment: name.optional(),
  arm: name.optional(),
  skipFirst: z.coerce.number().int('must be a whole number').min(0, 'must be ≥ 0').optional(),
});

/** Adds the filter flags; `note` adds a line to the help's footer. */
export function addRecordFilterOptions(command: Command, what: string, note = ''): Command {
  command.addHelpText(
    'after',
    `The record filters (--fleet, --device, --model, --from, --to, --experiment, --arm, --skip-first) are read from the\ncommand line only, never from the environment or a config file.${note === '' ? '' : `\n${note}`}\n`,
  );
  return command
    .option('--fleet <id>', `only ${what} of this fleet`)
    .option('--device <id>', `only ${what} of this device`)
    .option(
      '--model <id|variant>',
      `only ${what} of this model: its id, an 8+ character prefix, or its variant`,
    )
    .option('--from <time>', `only ${what} that start at or after this time (ISO 8601 or µs since the epoch)`)
    .option('--to <time>', `only ${what} that start before this time (ISO 8601 or µs since the epoch)`)
    .option('--experiment <name>', `only ${what} of this experiment`)
    .option('--arm <name>', `only ${what} of this experiment arm`)
    .option(
      '--skip-first <n>',
      `drop the first n ${what} of each device and model, after the other filters (a run's warm-up, from agents that published it)`,
    );
}

export function recordFilterFrom(command: Command): RecordFilter {
  const parsed = recordFilterSchema.safeParse(command.opts());
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues
        .map(
          (issue) =>
            `--${issue.path.join('.').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`,
        )
        .join('\n'),
    );
  }
  const { from, to, skipFirst: _, ...rest } = parsed.data;
  if (from !== undefined && to !== undefined && to <= from) {
    throw new ConfigError(`--to must be later than --from (${from} ≥ ${to} µs)`);
  }
  return { ...rest, fromUs: from, toUs: to };
}

/** `--skip-first <n>`: records dropped at the start of each device and model series (0: none). */
export function skipFirstFrom(command: Command): number {
  const parsed = recordFilterSchema.shape.skipFirst.safeParse(command.opts().skipFirst);
  if (!parsed.success)
    throw new ConfigError(`--skip-first: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  return parsed.data ?? 0;
}
