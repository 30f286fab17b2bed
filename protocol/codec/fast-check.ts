// A fast acceptance check for the wire shape of an inference batch, run before the zod schema in
// wire.ts. Written by hand because speed demands it: the zod schema checks every element of every
// column through its generic machinery and copies the whole message, which was about a tenth of
// the collector's CPU at 90,000 records/s. This check only ever *accepts*: it returns true when
// the value is certainly valid, and false when it is not or when it is unsure, and then the zod
// schema decides and words the error. So it can be stricter than the schema, never looser
// (test/protocol/fast-check.test.ts checks that on valid, random and mutated messages).

import { MAX_BATCH_RECORDS, MAX_TEXT_LENGTH } from '../limits.js';
import { PROTOCOL_VERSION } from '../messages.js';
import { RECORD_FIELD_LIST, type ValueKind } from '../record-fields.js';
import { isValidId } from '../topics.js';

type Check = (value: unknown) => boolean;

const intIn =
  (min: number, max: number): Check =>
  (value) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
const uint = intIn(0, Number.MAX_SAFE_INTEGER);
const text: Check = (value) =>
  typeof value === 'string' && value.length >= 1 && value.length <= MAX_TEXT_LENGTH;
const id: Check = (value) => typeof value === 'string' && isValidId(value);
const oneOf =
  (allowed: readonly string[]): Check =>
  (value) =>
    typeof value === 'string' && allowed.includes(value);
const booleanOrNull: Check = (value) => value === null || typeof value === 'boolean';
const orNull =
  (check: Check): Check =>
  (value) =>
    value === null || check(value);

/** The check of one wire value of a field's kind; built once, at module load. */
function valueCheck(kind: ValueKind<unknown>): Check {
  switch (kind.kind) {
    case 'integer':
      return intIn(kind.min, kind.max);
    case 'text':
      return text;
    case 'id':
      return id;
    case 'enum':
      return oneOf(kind.values);
    case 'boolean-or-null':
      return booleanOrNull;
  }
}

/** One value for the whole batch, or a plain array of at most MAX_BATCH_RECORDS values. */
function column(check: Check): Check {
  return (value) => {
    if (!Array.isArray(value)) return check(value);
    if (value.length > MAX_BATCH_RECORDS) return false;
    for (let i = 0; i < value.length; i++) if (!check(value[i])) return false;
    return true;
  };
}

// The columns and their checks, from the field table (the same table the zod schema is built from).
// An optional column without an absent value carries null for records that lack the field.
const REQUIRED_COLUMNS: Record<string, Check> = {};
const OPTIONAL_COLUMNS: Record<string, Check> = {};
for (const f of RECORD_FIELD_LIST) {
  if (f.wire.coding !== 'column') continue;
  const check = valueCheck(f.value);
  if (!f.optional) REQUIRED_COLUMNS[f.wire.name] = column(check);
  else OPTIONAL_COLUMNS[f.wire.name] = column(f.absent === undefined ? orNull(check) : check);
}
const REQUIRED_NAMES = Object.keys(REQUIRED_COLUMNS);
const startDelta = intIn(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
const HEADER_KEYS = new Set(['v', 'type', 'device', 'seq', 'startUs']);

/** True only if `value` certainly satisfies the wire schema of an inference batch. */
export function certainlyValidInference(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null)
    return false;
  const wire = value as Record<string, unknown>;
  // No key besides the known ones (the schema is strict); unusual keys go to the schema.
  for (const key of Object.keys(wire))
    if (
      !HEADER_KEYS.has(key) &&
      !Object.hasOwn(REQUIRED_COLUMNS, key) &&
      !Object.hasOwn(OPTIONAL_COLUMNS, key)
    )
      return false;
  if (wire.v !== PROTOCOL_VERSION || wire.type !== 'inference') return false;
  if (typeof wire.device !== 'string' || !isValidId(wire.device)) return false;
  if (!uint(wire.seq)) return false;
  const startUs = wire.startUs;
  if (!Array.isArray(startUs) || startUs.length < 1 || startUs.length > MAX_BATCH_RECORDS) return false;
  for (let i = 0; i < startUs.length; i++) if (!startDelta(startUs[i])) return false;
  for (const name of REQUIRED_NAMES) if (!(REQUIRED_COLUMNS[name] as Check)(wire[name])) return false;
  for (const name in OPTIONAL_COLUMNS) {
    if (!Object.hasOwn(wire, name)) continue;
    // Present but undefined (possible in CBOR) is the schema's to judge.
    if (wire[name] === undefined || !(OPTIONAL_COLUMNS[name] as Check)(wire[name])) return false;
  }
  return true;
}
