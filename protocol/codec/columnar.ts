// The columnar batch codec, built from a record table (record-table.ts): each field is one value
// for the whole batch or one value per record, numbers are integers in small units (nJ, µW, µs),
// start times are delta-coded and sequence numbers are implied by the first one. That is what
// brings an inference record under 32 bytes at batch 100. Inference and offload batches are two
// instances of it (wire.ts); a new record kind is a table plus one columnarKind() call.

import { z } from 'zod';
import { fail, ok, ProtocolError, type Result } from '../errors.js';
import { MAX_BATCH_RECORDS, MAX_TEXT_LENGTH } from '../limits.js';
import { PROTOCOL_VERSION } from '../messages.js';
import type { FieldSpec, TableField, ValueKind } from '../record-table.js';
import { idProblem } from '../topics.js';
import { checkWire } from './check-wire.js';
import { compileGetter, compileRecordBuilder, compileRecordReader } from './record-access.js';

/** A field that travels as a column, with its wire name and scale (from the table). */
export interface WireColumn<R = unknown, Name extends string = string> {
  readonly field: Name;
  readonly spec: FieldSpec;
  readonly name: string;
  readonly scale: number;
  readonly rounded: boolean;
  readonly optional: boolean;
  /** Sent for records without a value when others in the batch have one: the absent value, else null. */
  readonly fill: unknown;
  /** Reads the field of a record (compiled: one property access site per field, see record-access.ts). */
  readonly get: (record: R) => unknown;
}

/** Every batch record has these two (implied-seq and delta codings). */
export interface SequencedRecord {
  seq: number;
  startUs: number;
}

/** The wire object of a batch: the header, then one column per field. */
export type WireBatch = {
  v: typeof PROTOCOL_VERSION;
  type: string;
  device: string;
  seq: number;
  startUs: number[];
} & Record<string, unknown>;

const idValue = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `id ${problem}` });
});
const textValue = z.string().min(1).max(MAX_TEXT_LENGTH);
const uint = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The zod schema of one wire value of a field's kind. */
function valueSchema(kind: ValueKind<unknown>): z.ZodType {
  switch (kind.kind) {
    case 'integer':
      return z.number().int().min(kind.min).max(kind.max);
    case 'text':
      return textValue;
    case 'id':
      return idValue;
    case 'enum':
      return z.enum(kind.values as [string, ...string[]]);
    case 'boolean-or-null':
      return z.boolean().nullable();
  }
}

/** A column: one value for every record, or an array with one value per record. */
const columnOf = <T extends z.ZodType>(value: T) => z.union([value, z.array(value).max(MAX_BATCH_RECORDS)]);

/**
 * An optional column's values: null stands for "absent" in a batch where other records have one,
 * unless the field has an absent value (method: single), which is then sent instead.
 */
function columnSchema(wire: Pick<WireColumn, 'spec' | 'optional' | 'fill'>): z.ZodType {
  const value = valueSchema(wire.spec.value);
  if (!wire.optional) return columnOf(value);
  return columnOf(wire.fill === null ? value.nullable() : value).optional();
}

/** Record values of one column in wire units. */
function packColumn<R>(records: readonly R[], c: WireColumn<R>): unknown {
  const values = records.map((record) => {
    const value = c.get(record);
    if (value === undefined) return c.fill;
    return c.rounded ? Math.round((value as number) * c.scale) : value;
  });
  return packValues(values);
}

/** One value when all are equal, else the array. */
function packValues<T>(values: readonly T[]): T | T[] {
  const first = values[0];
  return values.every((value) => value === first) && first !== undefined ? first : [...values];
}

export interface ColumnarKindOptions<R> {
  /** The message type on the wire (`inference`, `offload`). */
  readonly type: string;
  /** The table's rows in order (its columns keep this order on the wire, so in the bytes). */
  readonly fields: readonly TableField[];
  /** Rules between fields that no single column states; a problem names the field and value. */
  readonly recordProblem?: (record: R) => string | null;
}

/** A batch's records read one at a time, in order, each into an object the caller reuses. */
export interface RecordCursor<R> {
  readonly count: number;
  /** An object with every field in place, for next() to write into (reusable across cursors of a kind). */
  blank(): R;
  /** Writes the next record's fields into `into` (absent optional ones as undefined) and returns it. */
  next(into: R): R;
}

export interface ColumnarKind<R extends SequencedRecord> {
  readonly type: string;
  readonly columns: readonly WireColumn<R>[];
  readonly schema: z.ZodType;
  /** Rounds a record to the resolution the wire carries, so that it survives a round trip unchanged. */
  quantize(record: R): R;
  /** The wire object of a batch; throws ProtocolError('invalid') on one that breaks the contract. */
  toWire(v: typeof PROTOCOL_VERSION, device: string, records: readonly R[]): Record<string, unknown>;
  /** A wire object the schema (or a fast check) accepted, expanded into records. */
  expand(wire: WireBatch): Result<R[]>;
  /** The schema's verdict, then expansion. */
  fromWire(value: unknown): Result<R[]>;
  /**
   * The records of a wire object expand() accepted, without an object each: the same values as
   * expand()'s records (for the collector's InfluxDB writer, which keeps the compact wire object).
   */
  cursor(wire: WireBatch): RecordCursor<R>;
}

export function columnarKind<R extends SequencedRecord>(options: ColumnarKindOptions<R>): ColumnarKind<R> {
  const { type, recordProblem } = options;
  const columns: WireColumn<R>[] = options.fields.flatMap((f) =>
    f.wire.coding === 'column'
      ? [
          {
            field: f.name,
            spec: f,
            name: f.wire.name,
            scale: f.wire.scale,
            rounded: f.wire.rounded,
            optional: f.optional,
            fill: f.absent ?? null,
            get: compileGetter<R>(f.name),
          },
        ]
      : [],
  );
  const roundedColumns = columns.filter((c) => c.rounded);
  const schema = z.strictObject({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal(type),
    device: idValue,
    seq: uint,
    startUs: z
      .array(z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER))
      .min(1)
      .max(MAX_BATCH_RECORDS),
    ...Object.fromEntries(columns.map((c) => [c.name, columnSchema(c)])),
  });
  const buildRecord = compileRecordBuilder<R>(columns);
  const reader = compileRecordReader<R>(columns);
  const article = /^[aeiou]/.test(type) ? 'an' : 'a';

  function quantize(record: R): R {
    const quantized: Record<string, unknown> = { ...(record as object), startUs: Math.round(record.startUs) };
    for (const { field, scale, get } of roundedColumns) {
      const value = get(record);
      // An optional measurement the record lacks stays absent (rounding it would make NaN).
      if (value !== undefined) quantized[field] = Math.round((value as number) * scale) / scale;
    }
    return quantized as R;
  }

  function toWire(
    v: typeof PROTOCOL_VERSION,
    device: string,
    records: readonly R[],
  ): Record<string, unknown> {
    const first = records[0];
    if (first === undefined)
      throw new ProtocolError('invalid', `${article} ${type} batch needs at least one record`);
    records.forEach((record, index) => {
      if (record.seq !== first.seq + index) {
        throw new ProtocolError(
          'invalid',
          `records[${index}].seq is ${record.seq}, expected ${first.seq + index}: a batch holds consecutive sequence numbers`,
        );
      }
    });
    const startUs = records.map((record, index) =>
      index === 0
        ? Math.round(record.startUs)
        : Math.round(record.startUs) - Math.round(records[index - 1]?.startUs ?? 0),
    );
    const wire: Record<string, unknown> = { v, type, device, seq: first.seq, startUs };
    for (const c of columns) {
      // An optional column travels only when some record has a value: older batches stay byte-identical.
      if (c.optional && records.every((record) => c.get(record) === undefined)) continue;
      wire[c.name] = packColumn(records, c);
    }
    // Checking what we send with the same schema as what we receive keeps NaN, negative energy and
    // friends off the wire at the source, where the mistake can still be fixed.
    const checked = checkWire(schema, wire);
    if (!checked.ok) throw checked.error;
    // The checks the decoder makes after the schema, so that nothing is sent it would refuse.
    if (first.seq > Number.MAX_SAFE_INTEGER - (records.length - 1)) {
      throw new ProtocolError(
        'invalid',
        `seq ${first.seq} overflows: the last of ${records.length} records would pass 2^53 - 1`,
      );
    }
    records.forEach((record, index) => {
      const startUs = Math.round(record.startUs);
      if (!(startUs >= 0 && startUs <= Number.MAX_SAFE_INTEGER)) {
        throw new ProtocolError('invalid', `records[${index}].startUs is ${record.startUs}, outside 0..2^53`);
      }
      const problem = recordProblem?.(quantize(record));
      if (problem !== undefined && problem !== null)
        throw new ProtocolError('invalid', `records[${index}] (seq ${record.seq}): ${problem}`);
    });
    return wire;
  }

  function expand(wire: WireBatch): Result<R[]> {
    const count = wire.startUs.length;
    for (const { name } of columns) {
      const column = wire[name];
      if (Array.isArray(column) && column.length !== count) {
        return fail(
          'invalid',
          `${name} has ${column.length} values, expected ${count} (one per startUs) or a single value`,
        );
      }
    }
    if (wire.seq > Number.MAX_SAFE_INTEGER - (count - 1)) {
      return fail('invalid', `seq ${wire.seq} overflows: the last of ${count} records would pass 2^53 - 1`);
    }
    const records: R[] = new Array(count);
    const values = columns.map((c) => wire[c.name]);
    let startUs = 0;
    for (let i = 0; i < count; i++) {
      startUs = i === 0 ? (wire.startUs[0] ?? 0) : startUs + (wire.startUs[i] ?? 0);
      if (startUs < 0 || !Number.isSafeInteger(startUs)) {
        return fail('invalid', `startUs of record ${i} decodes to ${startUs}, outside 0..2^53`);
      }
      records[i] = buildRecord(wire.seq + i, startUs, values, i);
    }
    // Decoding is the collector's hot path: a kind without rules between fields skips the loop.
    if (recordProblem !== undefined) {
      for (let i = 0; i < count; i++) {
        const problem = recordProblem(records[i] as R);
        if (problem !== null) return fail('invalid', `record ${i} (seq ${wire.seq + i}): ${problem}`);
      }
    }
    return ok(records);
  }

  function fromWire(value: unknown): Result<R[]> {
    const checked = checkWire(schema, value);
    return checked.ok ? expand(checked.value as WireBatch) : checked;
  }

  function cursor(wire: WireBatch): RecordCursor<R> {
    const count = wire.startUs.length;
    const values = columns.map((c) => wire[c.name]);
    let i = 0;
    let startUs = 0;
    return {
      count,
      blank: reader.blank,
      next(into: R): R {
        if (i >= count) throw new RangeError(`the batch holds ${count} records; all were read`);
        // The same sums, in the same order, as expand().
        startUs = i === 0 ? (wire.startUs[0] ?? 0) : startUs + (wire.startUs[i] ?? 0);
        const record = reader.read(into, wire.seq + i, startUs, values, i);
        i++;
        return record;
      },
    };
  }

  return { type, columns, schema, quantize, toWire, expand, fromWire, cursor };
}
