// Bounds on InfluxDB tag values that come from device text (sensor, model, variant, backend, the
// status board): a charset line protocol can carry, a length, and a number of distinct values
// per device and per tag. InfluxDB 1.x refuses every new value of a tag past 100,000 (its
// max-values-per-tag) for *every* device, so one device sending thousands of variants shut out
// the others; a newline in a tag broke a whole batch. A refused message is dead-lettered whole by
// ingest (StoreRefusedError), never spooled.

import {
  INFERENCE_KEYS,
  type InferenceRecord,
  OFFLOAD_FIELD_LIST,
  OFFLOAD_KEYS,
  type OffloadRecord,
  RECORD_FIELD_LIST,
  STATUS_KEYS,
  type StatusMessage,
  type TableField,
} from '../../protocol/index.js';
import { tagValueUnwritable } from './influx-lines.js';
import { StoreRefusedError } from './store.js';

export interface TagLimits {
  /** Longest tag value, characters. */
  maxChars: number;
  /** Distinct values of one tag one device may use (seen by this collector since it started). */
  maxValuesPerDevice: number;
  /** Distinct values of one tag over all devices (half of InfluxDB's default max-values-per-tag). */
  maxValuesPerTag: number;
}

export const DEFAULT_TAG_LIMITS: TagLimits = {
  maxChars: 64,
  maxValuesPerDevice: 64,
  maxValuesPerTag: 50_000,
};

/**
 * Why `value` cannot be a tag value, or null. Control characters (newline, tab...) have no
 * escape in line protocol; a backslash cannot be written reliably either: InfluxDB 1.x keeps
 * `\\` as two backslashes, and one at the end or before `,`, `=` or a space escapes that
 * character (tested against influxd: test/store/influx-tags.int.test.ts).
 */
export function tagValueProblem(value: string, maxChars: number): string | null {
  if (value.length > maxChars) return `is ${value.length} characters long (at most ${maxChars})`;
  if (tagValueUnwritable(value)) return 'holds a control character (newline, tab...) or a backslash';
  return null;
}

interface TextTag {
  name: string;
  key: string;
  shorten: number | undefined;
}

/** A table's fields that become tags and hold free text (ids and enums are safe by their own rules). */
function textTags<Name extends string>(
  fields: readonly TableField<Name>[],
  keys: Readonly<Record<Name, string>>,
): TextTag[] {
  return fields
    .filter((f) => f.influx.as === 'tag' && f.value.kind === 'text')
    .map((f) => ({
      name: f.name,
      key: keys[f.name],
      shorten: f.influx.as === 'tag' ? f.influx.shorten : undefined,
    }));
}

/**
 * `(a, b) => a.x === b.x && ...` over the text tags, compiled once: a batch's records nearly always
 * share them, and this test per record is most of the guard's cost (a loop of computed keys was
 * 0.3–0.5 µs a record in a bench:ingest profile). Names are checked to be plain identifiers.
 */
function compileSameText(tags: readonly TextTag[]): (a: object, b: object) => boolean {
  for (const { name } of tags)
    if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(name)) throw new Error(`tag field ${name} cannot be compiled`);
  const test = tags.map(({ name }) => `a.${name} === b.${name}`).join(' && ') || 'true';
  return new Function(`return (a, b) => ${test};`)();
}

const TEXT_TAGS = textTags(RECORD_FIELD_LIST, INFERENCE_KEYS);
/** Offload records: model and variant as for records, and the server's id (its own key, `server`). */
const OFFLOAD_TEXT_TAGS = textTags(OFFLOAD_FIELD_LIST, OFFLOAD_KEYS);
const SAME_TEXT = new Map<readonly TextTag[], (a: object, b: object) => boolean>([
  [TEXT_TAGS, compileSameText(TEXT_TAGS)],
  [OFFLOAD_TEXT_TAGS, compileSameText(OFFLOAD_TEXT_TAGS)],
]);

export class TagRefusedError extends StoreRefusedError {
  override readonly name = 'TagRefusedError';
}

/** Distinct tag values per device and per tag, bounded; checks a message before it is spooled. */
export class TagGuard {
  /** `fleet/device` + tag key → values seen. */
  private readonly perDevice = new Map<string, Set<string>>();
  /** tag key → values seen over all devices. */
  private readonly perTag = new Map<string, Set<string>>();
  /** Refusals so far, by tag key (for logs and tests). */
  readonly refused = new Map<string, number>();

  constructor(private readonly limits: TagLimits = DEFAULT_TAG_LIMITS) {}

  /** Throws TagRefusedError naming the field and value when a record's tag is refused; else records its values. */
  checkRecords(fleet: string, device: string, records: readonly InferenceRecord[]): void {
    this.checkTags(fleet, device, records, TEXT_TAGS);
  }

  /** The same bounds for offload records' tags (a server id is device-sent text too). */
  checkOffload(fleet: string, device: string, records: readonly OffloadRecord[]): void {
    this.checkTags(fleet, device, records, OFFLOAD_TEXT_TAGS);
  }

  private checkTags(
    fleet: string,
    device: string,
    records: readonly object[],
    tags: readonly TextTag[],
  ): void {
    const fresh: { key: string; value: string }[] = [];
    const same = SAME_TEXT.get(tags);
    let previous: Record<string, unknown> | undefined;
    for (const record of records) {
      const r = record as Record<string, unknown>;
      if (previous !== undefined && same?.(previous, r) === true) continue;
      for (const { name, key, shorten } of tags) {
        const raw = r[name] as string | undefined;
        if (raw === undefined || (previous !== undefined && previous[name] === raw)) continue;
        const value = shorten === undefined ? raw : raw.slice(0, shorten);
        this.check(fleet, device, name, key, value, fresh);
      }
      previous = r;
    }
    this.remember(fleet, device, fresh);
  }

  checkStatus(fleet: string, status: StatusMessage): void {
    if (status.board === undefined) return;
    const fresh: { key: string; value: string }[] = [];
    this.check(fleet, status.device, 'board', STATUS_KEYS.board, status.board, fresh);
    this.remember(fleet, status.device, fresh);
  }

  private check(
    fleet: string,
    device: string,
    field: string,
    key: string,
    value: string,
    fresh: { key: string; value: string }[],
  ): void {
    const problem = tagValueProblem(value, this.limits.maxChars);
    if (problem !== null) this.refuse(key, `${field} ${JSON.stringify(value.slice(0, 80))} ${problem}`);
    const seen = this.perDevice.get(`${fleet}/${device}\u0000${key}`);
    if (seen?.has(value) === true || fresh.some((f) => f.key === key && f.value === value)) return;
    const distinct = (seen?.size ?? 0) + fresh.filter((f) => f.key === key).length;
    if (distinct >= this.limits.maxValuesPerDevice)
      this.refuse(
        key,
        `${field} ${JSON.stringify(value.slice(0, 80))} would be device ${fleet}/${device}'s ${distinct + 1}th distinct ${key} tag value (at most ${this.limits.maxValuesPerDevice})`,
      );
    const all = this.perTag.get(key);
    if (all !== undefined && !all.has(value) && all.size >= this.limits.maxValuesPerTag)
      this.refuse(
        key,
        `${field} ${JSON.stringify(value.slice(0, 80))} would be the ${all.size + 1}th distinct ${key} tag value of all devices (at most ${this.limits.maxValuesPerTag})`,
      );
    fresh.push({ key, value });
  }

  private refuse(key: string, detail: string): never {
    this.refused.set(key, (this.refused.get(key) ?? 0) + 1);
    throw new TagRefusedError(`InfluxDB tag refused: ${detail}`, {
      hint: 'tags hold few, short, plain values per device; send this one as a field or fix the device',
    });
  }

  private remember(fleet: string, device: string, fresh: readonly { key: string; value: string }[]): void {
    for (const { key, value } of fresh) {
      const deviceKey = `${fleet}/${device}\u0000${key}`;
      const seen = this.perDevice.get(deviceKey) ?? new Set<string>();
      seen.add(value);
      this.perDevice.set(deviceKey, seen);
      const all = this.perTag.get(key) ?? new Set<string>();
      all.add(value);
      this.perTag.set(key, all);
    }
  }
}
