// The stores' side of the record field table: the SQLite schema, row mapping and added columns,
// the InfluxDB points and the export columns all follow RECORD_FIELD_LIST, so every row of the
// table (the experiment fields included) is stored, read back and exported without other edits.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { EXPORT_FIELDS, exportRecords } from '../../cli/commands/export.js';
import { inferenceLine, inferenceLines } from '../../collector/store/influx-lines.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { INFERENCE_KEYS, RECORD_FIELD_LIST, RECORD_FIELD_NAMES, snakeCase } from '../../protocol/index.js';
import { makeRecord, recordWithEveryField } from '../protocol/fixtures.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
const tempFile = (name: string): string => {
  dir ??= mkdtempSync(join(tmpdir(), 'edgewatt-fields-'));
  return join(dir, name);
};

/** The first release's table, before any optional column existed. */
const FIRST_RELEASE_DDL = `CREATE TABLE inference (
  fleet TEXT NOT NULL, device TEXT NOT NULL, seq INTEGER NOT NULL, start_us INTEGER NOT NULL,
  duration_us INTEGER NOT NULL, energy_j REAL NOT NULL, energy_uncertainty_j REAL NOT NULL,
  baseline_w REAL NOT NULL, sample_count INTEGER NOT NULL,
  provenance TEXT NOT NULL CHECK (provenance IN ('measured', 'estimated')), sensor TEXT NOT NULL,
  model_id TEXT NOT NULL, variant TEXT NOT NULL, backend TEXT NOT NULL, batch_size INTEGER NOT NULL,
  input_bytes INTEGER NOT NULL, output_bytes INTEGER NOT NULL, correct INTEGER,
  received_us INTEGER NOT NULL, PRIMARY KEY (fleet, device, seq)) WITHOUT ROWID`;

const storedRecords = async (path: string) => {
  const store = new SqliteStore(path, { readOnly: true });
  await store.connect();
  try {
    return [...store.records()];
  } finally {
    await store.close();
  }
};

describe('SQLite store from the field table', () => {
  it('stores every field and reads it back; records without the optional ones read back without them', async () => {
    const path = tempFile('all.sqlite');
    const store = new SqliteStore(path);
    await store.connect();
    const records = [recordWithEveryField(1), makeRecord(2, { correct: null })];
    expect(await store.writeBatch('lab', 'pi4-a', records)).toEqual({ inserted: 2, duplicates: 0 });
    await store.close();
    const stored = await storedRecords(path);
    expect(stored.map(({ fleet: _f, device: _d, receivedUs: _r, ...record }) => record)).toEqual(records);
    expect(stored[1]).not.toHaveProperty('experiment');
  });

  it('adds the optional columns to a file of the first release and keeps its rows', async () => {
    const path = tempFile('old.sqlite');
    const old = new Database(path);
    old.exec(FIRST_RELEASE_DDL);
    old
      .prepare(
        `INSERT INTO inference VALUES ('lab', 'pi4-a', 1, 1700000000000000, 8250, 0.5, 0.001, 2.7, 9,
         'measured', 'ina219', 'abc', 'dense', 'wasm', 1, 3136, 40, 1, 1700000000100000)`,
      )
      .run();
    old.close();

    const store = new SqliteStore(path);
    await store.connect();
    await store.writeBatch('lab', 'pi4-a', [recordWithEveryField(2)]);
    await store.close();

    const columns = (
      new Database(path, { readonly: true }).prepare('PRAGMA table_info(inference)').all() as {
        name: string;
      }[]
    ).map((c) => c.name);
    for (const field of RECORD_FIELD_LIST.filter((f) => f.optional)) {
      expect(columns, field.name).toContain(snakeCase(field.name));
    }
    const [first, second] = await storedRecords(path);
    expect(first).toMatchObject({ seq: 1, energyJ: 0.5, correct: true });
    expect(first).not.toHaveProperty('placement');
    expect(second).toMatchObject({ experiment: 'sample-id.1', arm: 'sample-id.1', placement: 'edge' });
  });
});

describe('InfluxDB points from the field table', () => {
  it('tags a record with its experiment, arm and placement, and leaves them out when it has none', () => {
    const line = inferenceLine(
      'lab',
      'pi4-a',
      makeRecord(1, { experiment: 'exp-1', arm: 'pruned-edge', placement: 'edge' }),
    );
    expect(line.split(' ')[0]).toBe(
      'inference,arm=pruned-edge,backend=wasm,device=pi4-a,experiment=exp-1,fleet=lab,method=single,model=e3b0c44298fc1c14,placement=edge,provenance=measured,sensor=ina219,variant=dense',
    );
    const without = inferenceLine('lab', 'pi4-a', makeRecord(1));
    expect(without).not.toMatch(/experiment=|arm=|placement=/);
  });

  it('starts a new series when the experiment fields change inside a batch', () => {
    const lines = inferenceLines('lab', 'pi4-a', [
      makeRecord(1),
      makeRecord(2, { experiment: 'exp-1', arm: 'a' }),
      makeRecord(3, { experiment: 'exp-1', arm: 'b' }),
    ]).filter((line) => line.startsWith('inference,'));
    expect(lines.map((line) => /arm=(\w+)/.exec(line)?.[1] ?? null)).toEqual([null, 'a', 'b']);
  });

  it('puts every field of the table where its row says: a tag, a field, inference_io, or the timestamp', () => {
    const record = recordWithEveryField(7);
    const [point, io] = inferenceLines('lab', 'pi4-a', [record]) as [string, string];
    const [tags = '', fields = ''] = point.split(' ');
    for (const field of RECORD_FIELD_LIST) {
      const key = INFERENCE_KEYS[field.name];
      const where = field.influx.as;
      if (where === 'tag') expect(tags, field.name).toContain(`,${key}=`);
      if (where === 'field') expect(`,${fields}`, field.name).toContain(`,${key}=`);
      if (where === 'io') expect(io, field.name).toContain(`${key}=`);
      if (where === 'timestamp') expect(point.endsWith(` ${record.startUs}007`), field.name).toBe(true);
    }
  });
});

describe('export columns from the field table', () => {
  it('exports every field of the table, between where the record came from and when it was stored, then the label', async () => {
    expect(EXPORT_FIELDS).toEqual(['fleet', 'device', ...RECORD_FIELD_NAMES, 'receivedUs', 'label']);
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const record = { ...recordWithEveryField(1), fleet: 'lab', device: 'pi4-a', receivedUs: 5, label: 3 };
    await exportRecords(
      [record, { ...makeRecord(2), fleet: 'lab', device: 'pi4-a', receivedUs: 6 }],
      'csv',
      out,
    );
    const [header, first, second] = text.trimEnd().split('\n') as [string, string, string];
    const column = (row: string, name: string) => row.split(',')[header.split(',').indexOf(name)];
    expect(column(first, 'experiment')).toBe('sample-id.1');
    expect(column(first, 'placement')).toBe('edge');
    expect(column(second, 'placement')).toBe('');
    expect(column(first, 'label')).toBe('3');
    expect(column(second, 'label')).toBe('');
  });
});
