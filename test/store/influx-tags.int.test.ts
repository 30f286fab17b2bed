// Issue 12, item 6, against a real influxd started here: tag values from device text are escaped
// so that InfluxDB reads back exactly what was sent (comma, space, equals), refused when line
// protocol cannot carry them (newline, backslash) or when a device uses too many distinct values
// — the message dead-lettered whole, the rest of the fleet unaffected — and a batch InfluxDB
// answers with a 400 (a partial write: here a field type conflict in one shard) is split so that
// only the refused points are dead-lettered, with the points themselves.

import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { MemoryDeadLetter } from '../../collector/ingest/dead-letter.js';
import { Ingest } from '../../collector/ingest/ingest.js';
import { InfluxStore } from '../../collector/store/influx.js';
import { TagGuard, TagRefusedError } from '../../collector/store/influx-tags.js';
import { buildTopic, encodeMessage, type InferenceRecord } from '../../protocol/index.js';
import { makeBatch, makeRecord, T0_US } from '../protocol/fixtures.js';
import { type Influxd, startInfluxd } from '../support/influxd.js';
import { tempDir } from '../support/stack.js';
import { describeWith, hasTools } from '../support/tools.js';

const dir = tempDir('edgewatt-influx-tags-');
let influx: Influxd;

beforeAll(async () => {
  if (!hasTools('influxd')) return;
  influx = await startInfluxd();
  return async () => {
    await influx.remove();
    dir.remove();
  };
}, 60_000);

function rig(db: string): { store: InfluxStore; ingest: Ingest; deadLetter: MemoryDeadLetter } {
  const store = new InfluxStore(`127.0.0.1:${influx.port}/${db}`, {
    spoolDir: join(dir.path, db),
    flushIntervalMs: 20,
    batchLines: 1000,
    retryMaxMs: 300,
  });
  const deadLetter = new MemoryDeadLetter();
  const ingest = new Ingest(store, { deadLetter, rateLimit: { messagesPerS: 0, burst: 0 } });
  store.onRefused((refused) => ingest.deadLetterRefused(refused));
  return { store, ingest, deadLetter };
}

const topic = (device: string) => buildTopic({ fleet: 'lab', device, kind: 'inference' });
const payload = (device: string, records: InferenceRecord[]) =>
  encodeMessage(makeBatch(records, device), 'cbor');

async function tagValues(db: string, key: string): Promise<string[]> {
  const series = await influx.query(db, `SHOW TAG VALUES FROM "inference" WITH KEY = "${key}"`);
  return (series[0]?.values ?? []).map((v) => String(v[1]));
}

describeWith(['influxd'], 'InfluxDB tags from device text (real influxd)', () => {
  it('escapes comma, space and equals so that InfluxDB holds exactly the value sent', async () => {
    const { store, ingest } = rig('escape');
    await store.connect();
    const variants = ['a,b', 'a b', 'a=b', 'x, =y'];
    for (const [i, variant] of variants.entries()) {
      const outcome = await ingest.handle(topic('esc-1'), payload('esc-1', [makeRecord(i, { variant })]));
      expect(outcome).toMatchObject({ kind: 'stored' });
    }
    await store.drained();
    expect(store.sinkStats).toMatchObject({ written: 8, dropped: 0 });
    expect((await tagValues('escape', 'variant')).sort()).toEqual([...variants].sort());
    const back = [];
    for await (const r of store.readRecords({ device: 'esc-1' })) back.push(r.variant);
    expect(back.sort()).toEqual([...variants].sort());
    await store.close();
  });

  it('refuses a newline or a backslash in a tag, naming field and value: that message is dead-lettered whole, the batch around it stored', async () => {
    const { store, ingest, deadLetter } = rig('refuse');
    await store.connect();
    const before = payload('ref-1', [makeRecord(0), makeRecord(1)]);
    const newline = payload('ref-1', [makeRecord(2, { variant: 'dense\nevil,x=1 y=2' })]);
    const backslash = payload('ref-1', [makeRecord(3, { sensor: 'ina219\\' })]);
    const after = payload('ref-1', [makeRecord(4)]);
    expect(await ingest.handle(topic('ref-1'), before)).toMatchObject({ kind: 'stored' });
    const refusedNewline = await ingest.handle(topic('ref-1'), newline);
    expect(refusedNewline).toMatchObject({ kind: 'rejected', reason: 'store-refused' });
    expect(refusedNewline.kind === 'rejected' && refusedNewline.message).toMatch(
      /variant "dense\\nevil,x=1 y=2" holds a control character/,
    );
    expect(await ingest.handle(topic('ref-1'), backslash)).toMatchObject({
      kind: 'rejected',
      reason: 'store-refused',
      message: expect.stringMatching(/sensor "ina219\\\\" holds .*backslash/),
    });
    expect(await ingest.handle(topic('ref-1'), after)).toMatchObject({ kind: 'stored' });
    await store.drained();
    const seqs = await influx.query('refuse', 'SELECT "seq" FROM "inference"');
    expect((seqs[0]?.values ?? []).map((v) => v[1])).toEqual([0, 1, 4]);
    expect(store.sinkStats.dropped).toBe(0);
    // Dead-lettered whole: the very bytes, so the records can be fixed and stored by hand.
    const entries = deadLetter.recent(10).filter((e) => e.reason === 'store-refused');
    expect(entries.map((e) => Buffer.from(e.payloadHead).toString('hex')).sort()).toEqual(
      [newline, backslash].map((p) => Buffer.from(p).toString('hex')).sort(),
    );
    expect(ingest.stats.rejected['store-refused']).toBe(2);
    await store.close();
  });

  it("bounds one device's distinct values per tag, without refusing other devices", async () => {
    const { store, ingest } = rig('cardinality');
    await store.connect();
    const outcomes: string[] = [];
    for (let i = 0; i < 70; i++) {
      const outcome = await ingest.handle(
        topic('greedy'),
        payload('greedy', [makeRecord(i, { variant: `v${i}` })]),
      );
      outcomes.push(outcome.kind);
    }
    expect(outcomes.filter((k) => k === 'stored')).toHaveLength(64);
    expect(outcomes.slice(64)).toEqual(Array(6).fill('rejected'));
    // Values it already has still go in; another device's new values too.
    expect(
      await ingest.handle(topic('greedy'), payload('greedy', [makeRecord(100, { variant: 'v3' })])),
    ).toMatchObject({ kind: 'stored' });
    expect(
      await ingest.handle(topic('modest'), payload('modest', [makeRecord(0, { variant: 'v999' })])),
    ).toMatchObject({ kind: 'stored' });
    await store.drained();
    expect(await tagValues('cardinality', 'variant')).toHaveLength(65);
    expect(store.tags.refused.get('variant')).toBe(6);
    await store.close();
  });

  it('splits a batch InfluxDB refuses in part (400) and dead-letters only the refused points, with their lines', async () => {
    const db = 'partial';
    const { store, ingest, deadLetter } = rig(db);
    await store.connect();
    // A week later than the others, in a shard where energy_j is already a string: those points conflict.
    const laterUs = T0_US + 30 * 86_400 * 1e6;
    const conflict = await fetch(`${influx.url}/write?db=${db}&precision=u`, {
      method: 'POST',
      body: `inference,device=other energy_j="text" ${laterUs + 1}`,
    });
    expect(conflict.status).toBe(204);
    // The last record of two of the messages (start times within a message only go forward on the wire).
    const records = Array.from({ length: 40 }, (_, i) =>
      makeRecord(i, i === 19 || i === 29 ? { startUs: laterUs + i * 1000 } : {}),
    );
    // Three messages spooled together, written in one batch.
    await Promise.all([
      ingest.handle(topic('part-1'), payload('part-1', records.slice(0, 20))),
      ingest.handle(topic('part-1'), payload('part-1', records.slice(20, 30))),
      ingest.handle(topic('part-1'), payload('part-1', records.slice(30))),
    ]);
    await store.drained();
    const stored = await influx.query(db, `SELECT "seq" FROM "inference" WHERE "device" = 'part-1'`);
    const seqs = (stored[0]?.values ?? []).map((v) => Number(v[1])).sort((a, b) => a - b);
    expect(seqs).toEqual(records.map((r) => r.seq).filter((s) => s !== 19 && s !== 29));
    expect(store.sinkStats.dropped).toBe(2);
    expect(ingest.stats.refusedByServer).toBe(2);
    const refused = deadLetter.recent(10).filter((e) => e.reason === 'refused-by-server');
    expect(refused).toHaveLength(1);
    const lines = Buffer.from(refused[0]?.payloadHead ?? [])
      .toString('utf8')
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.startsWith('inference,') && l.includes('device=part-1'))).toBe(true);
    expect(refused[0]?.detail).toMatch(/field type conflict/);
    await store.close();
  });
});

// The charset and per-device rules alone (no server): what the guard names.
it('TagGuard names the field, the value and the limit', () => {
  const guard = new TagGuard({ maxChars: 16, maxValuesPerDevice: 2, maxValuesPerTag: 3 });
  expect(() => guard.checkRecords('lab', 'd', [makeRecord(0, { backend: 'x'.repeat(17) })])).toThrow(
    /backend "x{17}" is 17 characters long \(at most 16\)/,
  );
  guard.checkRecords('lab', 'd', [makeRecord(0, { variant: 'a' }), makeRecord(1, { variant: 'b' })]);
  expect(() => guard.checkRecords('lab', 'd', [makeRecord(2, { variant: 'c' })])).toThrow(TagRefusedError);
  guard.checkRecords('lab', 'e', [makeRecord(0, { variant: 'c' })]);
  expect(() => guard.checkRecords('lab', 'f', [makeRecord(0, { variant: 'z' })])).toThrow(
    /4th distinct variant tag value of all devices \(at most 3\)/,
  );
});
