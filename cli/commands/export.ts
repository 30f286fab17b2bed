// `edgewatt export`: stored records as CSV or JSON Lines, for analysis elsewhere: inference
// records (with their feedback labels), or with `--kind offload` offload records (with theirs).

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import {
  capability,
  createStore,
  type LabelledRecord,
  optionalCapability,
  type RecordFilter,
  readLabelledOffload,
  readLabelledRecords,
  type SkipCount,
  skipFirstPerModel,
} from '../../collector/store/index.js';
import { OFFLOAD_FIELD_NAMES, RECORD_FIELD_NAMES } from '../../protocol/index.js';
import { ConfigError, resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { addRecordFilterOptions, recordFilterFrom, skipFirstFrom } from '../schemas/filter.js';
import { exportSchema } from '../schemas.js';

/**
 * Columns: where a record came from, its fields (the field table, in order), when it was stored,
 * and the label given as feedback (then `correct` is the feedback's verdict).
 */
export const EXPORT_FIELDS: readonly (keyof LabelledRecord)[] = [
  'fleet',
  'device',
  ...RECORD_FIELD_NAMES,
  'receivedUs',
  'label',
];

/**
 * Columns of `--kind offload`: where a record came from, the offload table's fields (`label`: the
 * feedback's for its seq, else the record's own), when it was stored, and whether the server's
 * answer matched the label.
 */
export const OFFLOAD_EXPORT_FIELDS: readonly string[] = [
  'fleet',
  'device',
  ...OFFLOAD_FIELD_NAMES,
  'receivedUs',
  'correct',
];

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

export async function exportRecords(
  records: AsyncIterable<Partial<LabelledRecord>> | Iterable<Partial<LabelledRecord>>,
  format: 'csv' | 'jsonl',
  out: Writable,
  fields: readonly string[] = EXPORT_FIELDS,
): Promise<number> {
  let count = 0;
  if (format === 'csv') await write(out, `${fields.join(',')}\n`);
  for await (const item of records) {
    const record = item as Record<string, unknown>;
    const line =
      format === 'csv'
        ? fields.map((field) => csvCell(record[field])).join(',')
        : JSON.stringify(Object.fromEntries(fields.map((field) => [field, record[field]])));
    await write(out, `${line}\n`);
    count++;
  }
  return count;
}

export function exportCommand(): Command {
  return addRecordFilterOptions(addSchemaOptions(new Command('export'), exportSchema, 'export'), 'records')
    .description(
      'write stored records as CSV or JSON Lines (energies in J, times in µs since the Unix epoch)',
    )
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(exportSchema, 'export', command);
      const filter = recordFilterFrom(command);
      if (config.kind === 'offload') return exportOffload(config, filter, skipFirstFrom(command));
      const store = capability(createStore(config.store, { readOnly: true }), 'readRecords', '--store');
      await store.connect();
      const out = config.out === undefined ? process.stdout : createWriteStream(config.out);
      try {
        const skip: SkipCount = { skipped: 0 };
        const skipFirst = skipFirstFrom(command);
        const count = await exportRecords(
          skipFirstPerModel(readLabelledRecords(store, filter), skipFirst, skip),
          config.format,
          out,
        );
        process.stderr.write(
          `exported ${count} records${skipFirst > 0 ? ` (skipped the first ${skipFirst} of each device and model: ${skip.skipped})` : ''}\n`,
        );
      } finally {
        await store.close();
        if (out !== process.stdout) {
          out.end();
          await once(out, 'finish');
        }
      }
    });
}

/** `--kind offload`: the offload records of the store, filtered like records. */
async function exportOffload(
  config: { store: string; format: 'csv' | 'jsonl'; out?: string | undefined },
  filter: RecordFilter,
  skipFirst: number,
): Promise<void> {
  if (skipFirst > 0)
    throw new ConfigError(
      '--skip-first applies to inference records (a warm-up); leave it out with --kind offload',
    );
  const store = capability(createStore(config.store, { readOnly: true }), 'readOffload', '--store');
  await store.connect();
  const out = config.out === undefined ? process.stdout : createWriteStream(config.out);
  try {
    // Feedback joins offload records too (one seq space), on every store that reads records.
    const feedback = optionalCapability(store, 'readRecords');
    const records =
      feedback === undefined ? store.readOffload(filter) : readLabelledOffload(store, feedback, filter);
    const count = await exportRecords(
      records as AsyncIterable<Partial<LabelledRecord>>,
      config.format,
      out,
      OFFLOAD_EXPORT_FIELDS,
    );
    process.stderr.write(`exported ${count} offload records\n`);
  } finally {
    await store.close();
    if (out !== process.stdout) {
      out.end();
      await once(out, 'finish');
    }
  }
}
