// `edgewatt export`: stored records as CSV or JSON Lines, for analysis elsewhere.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import {
  capability,
  createStore,
  type LabelledRecord,
  readLabelledRecords,
  type SkipCount,
  skipFirstPerModel,
} from '../../collector/store/index.js';
import { RECORD_FIELD_NAMES } from '../../protocol/index.js';
import { resolveConfig } from '../config.js';
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
): Promise<number> {
  let count = 0;
  if (format === 'csv') await write(out, `${EXPORT_FIELDS.join(',')}\n`);
  for await (const record of records) {
    const line =
      format === 'csv'
        ? EXPORT_FIELDS.map((field) => csvCell(record[field])).join(',')
        : JSON.stringify(Object.fromEntries(EXPORT_FIELDS.map((field) => [field, record[field]])));
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
