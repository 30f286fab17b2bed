// Line protocol of the InfluxDB store: fixed field types, tags from the message alone, and a
// timestamp that identifies (device, seq) so a redelivery overwrites its own point.

import { describe, expect, it } from 'vitest';
import {
  comparisonLine,
  inferenceLine,
  inferenceLines,
  inferenceWritersFor,
  recordTimestampNs,
  statusLine,
} from '../../collector/store/influx-lines.js';
import { LineBuffer } from '../../collector/store/line-buffer.js';
import {
  INFERENCE_KEYS,
  type InferenceRecord,
  RECORD_FIELD_LIST,
  type StatusMessage,
  type TableField,
} from '../../protocol/index.js';
import { makeRecord, T0_US } from '../protocol/fixtures.js';
import { SAMPLE_COMPARISON } from './fixtures.js';

function fieldsOf(line: string): Record<string, string> {
  const [, fields] = line.split(' ');
  return Object.fromEntries((fields ?? '').split(',').map((kv) => kv.split('=') as [string, string]));
}

describe('InfluxDB line protocol', () => {
  it('writes every integer field with the i suffix and floats without, whatever the value', () => {
    // energyJ of exactly 1 would be ambiguous in JSON; here it must still be a float (no suffix).
    const line = inferenceLine('lab', 'pi4-a', makeRecord(7, { energyJ: 1, baselineW: 2, correct: true }));
    const f = fieldsOf(line);
    for (const key of ['seq', 'duration_us', 'sample_count', 'correct'])
      expect(f[key], key).toMatch(/^-?\d+i$/);
    for (const key of ['energy_j', 'energy_uncertainty_j', 'baseline_w'])
      expect(f[key], key).toMatch(/^-?[\d.]+(e-?\d+)?$/);
    expect(f.energy_j).toBe('1');
    expect(f.correct).toBe('1i');
  });

  it('leaves correct out when ground truth is unknown, and tags identity only', () => {
    const line = inferenceLine('lab', 'pi4-a', makeRecord(3, { correct: null }));
    expect(line).not.toContain('correct=');
    expect(line.split(' ')[0]).toBe(
      'inference,backend=wasm,device=pi4-a,fleet=lab,method=single,model=e3b0c44298fc1c14,provenance=measured,sensor=ina219,variant=dense',
    );
  });

  it('gives two records that start in the same microsecond different timestamps, and a record always the same one', () => {
    const a = makeRecord(41, { startUs: T0_US });
    const b = makeRecord(42, { startUs: T0_US });
    expect(recordTimestampNs(a)).not.toBe(recordTimestampNs(b));
    expect(recordTimestampNs(a)).toBe(`${T0_US}041`);
    expect(inferenceLine('lab', 'd', a)).toBe(inferenceLine('lab', 'd', { ...a }));
    // 64-bit nanoseconds are built as text: no precision lost beyond 2^53.
    expect(BigInt(recordTimestampNs(a))).toBe(BigInt(T0_US) * 1000n + 41n);
  });

  it('tags how energy was attributed, single unless the record says batched, with the window size', () => {
    expect(inferenceLine('lab', 'd', makeRecord(1))).toContain(',method=single,');
    const batched = inferenceLine('lab', 'd', makeRecord(1, { method: 'batched', windowInferences: 20 }));
    expect(batched).toContain(',method=batched,');
    expect(fieldsOf(batched).window_inferences).toBe('20i');
    expect(fieldsOf(inferenceLine('lab', 'd', makeRecord(1))).window_inferences).toBeUndefined();
  });

  it('writes a batch as its record points plus one inference_io point per run of equal tensor sizes', () => {
    const batch = [1, 2, 3, 4].map((seq) => makeRecord(seq, seq >= 3 ? { inputBytes: 99 } : {}));
    const lines = inferenceLines('lab', 'd', batch);
    expect(lines.filter((l) => l.startsWith('inference,'))).toEqual(
      batch.map((r) => inferenceLine('lab', 'd', r)),
    );
    const io = lines.filter((l) => l.startsWith('inference_io,'));
    expect(io).toHaveLength(2);
    expect(fieldsOf(io[0] ?? '')).toMatchObject({ first_seq: '1i', records: '2i' });
    expect(fieldsOf(io[1] ?? '')).toMatchObject({ first_seq: '3i', records: '2i', input_bytes: '99i' });
    expect(io[1]?.split(' ')[2]).toBe(recordTimestampNs(batch[2] as (typeof batch)[number]));
    // A redelivered message gives the very same points.
    expect(inferenceLines('lab', 'd', batch)).toEqual(lines);
  });

  it('escapes tag values and string fields', () => {
    const line = inferenceLine('lab', 'd', makeRecord(1, { variant: 'pruned 50,x=y', sensor: '' }));
    expect(line).toContain('variant=pruned\\ 50\\,x\\=y');
    expect(line).toContain('sensor=none');
    const status: StatusMessage = {
      v: 1,
      type: 'status',
      device: 'd',
      state: 'online',
      seq: 5,
      atUs: T0_US,
      variant: 'a "quoted" \\ name',
    };
    expect(statusLine('lab', status)).toContain('variant="a \\"quoted\\" \\\\ name"');
  });

  it('puts a last will 1 ns after the birth of the same connection, so the later state wins', () => {
    const birth: StatusMessage = { v: 1, type: 'status', device: 'd', state: 'online', seq: 0, atUs: T0_US };
    const will: StatusMessage = { ...birth, state: 'offline' };
    expect(statusLine('lab', birth).endsWith(` ${T0_US}000`)).toBe(true);
    expect(statusLine('lab', will).endsWith(` ${T0_US}001`)).toBe(true);
    expect(fieldsOf(statusLine('lab', will)).online).toBe('0i');
  });

  it('writes a comparison result with both placements, their intervals, P(edge wins) and break-even', () => {
    const line = comparisonLine(SAMPLE_COMPARISON);
    expect(line.split(' ')[0]).toBe(
      'comparison,fleet=lab,board=rpi4,model=ccd5caa4f0157a1b,variant=dense,scenario=eu-de-wifi,unit=inference',
    );
    const f = fieldsOf(line);
    expect(f).toMatchObject({
      edge_g_co2e: '0.0021',
      edge_g_co2e_low: '0.0015',
      offload_g_co2e_high: '0.0081',
      p_edge_wins: '0.87',
      break_even_per_s: '0.35',
      samples: '10000i',
    });
    expect(comparisonLine({ ...SAMPLE_COMPARISON, breakEvenPerS: null })).not.toContain('break_even');
  });
});

describe('InfluxDB byte writer and string fields', () => {
  // The record table has no string field yet; a table that adds one (before the optional fields,
  // so that fields and the timestamp follow it in the point) is compiled the same way.
  const note: TableField = {
    name: 'operatorNote',
    doc: 'free text',
    unit: '',
    value: { kind: 'text' },
    optional: true,
    wire: { coding: 'column', name: 'operatorNote', scale: 1, rounded: false },
    sql: 'TEXT',
    influx: { as: 'field', type: 'string' },
  };
  const firstOptional = RECORD_FIELD_LIST.findIndex((f) => f.optional);
  const fields = [
    ...RECORD_FIELD_LIST.slice(0, firstOptional),
    note,
    ...RECORD_FIELD_LIST.slice(firstOptional),
  ];
  const writers = inferenceWritersFor({
    fields,
    keys: { ...INFERENCE_KEYS, operatorNote: 'operator_note' },
  });

  it('writes, as bytes, exactly the lines of inferenceLines() when a long string value comes before other fields', () => {
    // Longer than the room reserved for a whole point: one with quotes, backslashes, a newline and
    // characters of 2, 3 and 4 bytes in UTF-8, one of 3-byte characters only (it fills the room
    // it makes for itself exactly); a small first buffer, so it must grow mid-point.
    const mixed = `${'é"\\€ 𝄞\n'.repeat(700)}end`;
    const euros = '€'.repeat(3000);
    const notes = [euros, undefined, mixed, undefined, 'short', euros];
    const records = Array.from({ length: 6 }, (_, i) => ({
      ...makeRecord(i + 1),
      ...(notes[i] === undefined ? {} : { operatorNote: notes[i] }),
      ...(i === 2 ? { windowInferences: 4, method: 'batched' as const, correct: true } : {}),
    })) as InferenceRecord[];
    const expected = `${writers.lines('lab', 'pi4-a', records).join('\n')}\n`;
    expect(expected).toContain('operator_note="é\\"\\\\€ 𝄞 é');
    const out = new LineBuffer(1024);
    const points = writers.write(out, 'lab', 'pi4-a', records);
    expect(out.take().toString('utf8')).toBe(expected);
    expect(points).toBe(expected.split('\n').length - 1);
  });
});
