// The InfluxDB store's spool entries: a message is spooled as its payload as received (framed
// with fleet, device, receive time and encoding) and the lines built from it at send time are
// exactly the lines building them at ingest gave — so redelivery still overwrites its own
// points. Entries that cannot become lines are refused, with their line count, not thrown.

import { describe, expect, it } from 'vitest';
import type { SpoolEntry } from '../../collector/sink/spool-frames.js';
import {
  legacyLinesEntry,
  linesEntry,
  messageEntry,
  readMessageEntry,
  renderEntries,
} from '../../collector/store/influx-entries.js';
import {
  comparisonLine,
  inferenceLines,
  inferencePointCount,
  statusLine,
} from '../../collector/store/influx-lines.js';
import { type DecodeDetail, decodeMessage, encodeMessage, quantizeRecord } from '../../protocol/index.js';
import { cborPayload, fullStatus, makeBatch, makeRecord, varyingRecords } from '../protocol/fixtures.js';
import { SAMPLE_COMPARISON } from './fixtures.js';

const text = (body: Buffer) => body.toString('utf8');

describe('InfluxDB spool entries', () => {
  it('keep a CBOR batch as received, ~1 byte of framing per record at batch 50', () => {
    const records = varyingRecords(50, 7, 500);
    const payload = encodeMessage(makeBatch(records, 'pi4-a'), 'cbor');
    const entry = messageEntry('lab', 'pi4-a', makeBatch(records, 'pi4-a'), {
      payload,
      receivedUs: 1_763_700_000_123_456,
    });
    const spooled = readMessageEntry(entry.bytes);
    expect(spooled).toMatchObject({
      fleet: 'lab',
      device: 'pi4-a',
      encoding: 'cbor',
      receivedUs: 1_763_700_000_123_456,
    });
    expect(Buffer.from(spooled?.payload ?? []).equals(Buffer.from(payload))).toBe(true);
    expect(entry.bytes.length - payload.length).toBeLessThanOrEqual(50);
    // The same records as line protocol, as the previous spool kept them: an order of magnitude more.
    const lineBytes = Buffer.byteLength(`${inferenceLines('lab', 'pi4-a', records).join('\n')}\n`);
    expect(lineBytes / entry.bytes.length).toBeGreaterThan(5);
  });

  it('become, at send time, byte for byte the lines that building them at ingest gave', () => {
    // Tensor sizes change within the batch (two inference_io runs), and a batched window.
    const records = varyingRecords(40, 3, 1_000).map((r, i) =>
      i === 4 ? { ...r, method: 'batched' as const, windowInferences: 8 } : r,
    );
    const batch = makeBatch(records, 'pi4-b');
    const status = fullStatus({ device: 'pi4-b' });
    const entries = [
      messageEntry('lab', 'pi4-b', batch, { payload: encodeMessage(batch, 'cbor'), receivedUs: 1 }),
      messageEntry('lab', 'pi4-b', batch, { payload: encodeMessage(batch, 'json'), receivedUs: 2 }),
      messageEntry('lab', 'pi4-b', status, { payload: encodeMessage(status, 'cbor'), receivedUs: 3 }),
      // Handed over without a payload: re-encoded compactly, same lines.
      messageEntry('lab', 'pi4-b', batch, undefined),
      linesEntry([comparisonLine(SAMPLE_COMPARISON)]),
    ];
    const expected = [
      ...inferenceLines('lab', 'pi4-b', records),
      ...inferenceLines('lab', 'pi4-b', records),
      statusLine('lab', status),
      ...inferenceLines('lab', 'pi4-b', records),
      comparisonLine(SAMPLE_COMPARISON),
    ];
    const rendered = renderEntries(entries);
    expect(text(rendered.body)).toBe(`${expected.join('\n')}\n`);
    expect(rendered.lines).toBe(expected.length);
    expect(rendered.refused).toEqual([]);
    // The weight each entry declared at append is the number of lines it became.
    expect(entries.reduce((sum, e) => sum + e.lines, 0)).toBe(expected.length);
    expect(inferencePointCount(records)).toBe(inferenceLines('lab', 'pi4-b', records).length);
  });

  it('are not decoded again when they carry the message ingest decoded, and render the same bytes', () => {
    const records = varyingRecords(30, 5, 2_000);
    const batch = makeBatch(records, 'pi4-d');
    const payload = encodeMessage(batch, 'cbor');
    const decoded = decodeMessage(payload);
    if (!decoded.ok || decoded.value.type !== 'inference') throw new Error('not an inference batch');
    const entry = messageEntry('lab', 'pi4-d', decoded.value, { payload, receivedUs: 1 });
    expect(entry.memo).toBeDefined();
    // The same entry without its memo (as read back from disk) is decoded: the same bytes.
    const withMemo = renderEntries([entry]);
    const fromBytes = renderEntries([{ bytes: entry.bytes, lines: entry.lines }]);
    expect(text(withMemo.body)).toBe(text(fromBytes.body));
    expect(text(withMemo.body)).toBe(`${inferenceLines('lab', 'pi4-d', decoded.value.records).join('\n')}\n`);
    // The memo is what is rendered: bytes damaged after ingest do not matter while it is held.
    const damaged = Buffer.from(entry.bytes);
    damaged.fill(0, damaged.length - payload.length);
    expect(renderEntries([{ bytes: damaged, lines: entry.lines }]).refused).toHaveLength(1);
    expect(text(renderEntries([{ ...entry, bytes: damaged }]).body)).toBe(text(withMemo.body));
    // A message handed over without its payload is encoded (values rounded): no memo, decoded.
    expect(messageEntry('lab', 'pi4-d', batch, undefined).memo).toBeUndefined();
  });

  it('keep the checked columns ingest decoded as the memo, a fifth of the records in memory, and render from them the very bytes of the records', () => {
    // Every optional field some of the time, runs of tags and io values, escaped UTF-8 tags.
    const batches = [11, 12, 13].map((seed) =>
      varyingRecords(60, seed, seed * 1_000).map((r, i) => ({
        ...r,
        ...(i % 4 === 0 ? {} : { experiment: `exp-${seed}`, arm: i % 2 === 0 ? 'a' : 'b' }),
        ...(i % 5 === 0 ? { placement: 'offload' as const } : {}),
        ...(i % 7 === 0 ? { method: 'batched' as const, windowInferences: 1 + (i % 3) } : {}),
        ...(i % 6 === 0 ? { baselineUncertaintyW: 0.0125 * i, inputSource: 'dataset' as const } : {}),
        ...(i % 9 === 0 ? { correct: i % 2 === 0 } : {}),
        ...(i >= 30 ? { sensor: 'capteur été, rail=5 V' } : {}),
      })),
    );
    const decodedBatches = batches.map((records, k) => {
      const payload = encodeMessage(makeBatch(records, `pi4-${k}`), k === 1 ? 'json' : 'cbor');
      const detail: DecodeDetail = {};
      const decoded = decodeMessage(payload, detail);
      if (!decoded.ok || decoded.value.type !== 'inference') throw new Error('not an inference batch');
      expect(detail.columns).toBeDefined();
      return { payload, message: decoded.value, columns: detail.columns };
    });
    const entries = decodedBatches.map(({ payload, message, columns }, k) =>
      messageEntry('lab fleet', `pi4-${k}`, message, { payload, receivedUs: 1, columns }),
    );
    const expected = decodedBatches
      .map(({ message }, k) => `${inferenceLines('lab fleet', `pi4-${k}`, message.records).join('\n')}\n`)
      .join('');
    for (const entry of entries) {
      expect(entry.memo).toBeDefined();
      // Counted against the spool's memo budget at ~56 bytes a record (~250 as record objects).
      expect(entry.memoBytes).toBe(56 * 60);
    }
    expect(text(renderEntries(entries).body)).toBe(expected);
    // Without their memos (read back from disk): decoded again, the same bytes.
    expect(text(renderEntries(entries.map(({ bytes, lines }) => ({ bytes, lines }))).body)).toBe(expected);
    // The memo is what is rendered while it is held, as for a decoded message.
    const damaged = Buffer.from(entries[0]?.bytes ?? []);
    damaged.fill(0, 20);
    expect(text(renderEntries([{ ...(entries[0] as SpoolEntry), bytes: damaged }]).body)).toBe(
      `${inferenceLines('lab fleet', 'pi4-0', decodedBatches[0]?.message.records ?? []).join('\n')}\n`,
    );
    // Status messages keep their decoded message as memo (no columns), with its weight.
    const status = fullStatus({ device: 'pi4-s' });
    const statusEntry = messageEntry('lab', 'pi4-s', status, {
      payload: encodeMessage(status),
      receivedUs: 1,
    });
    expect(statusEntry.memoBytes).toBe(256);
  });

  it('refuse, from a columns memo too, a message whose tag cannot be written half-way through, with none of its points', () => {
    const records = varyingRecords(40, 9, 1_000).map((r, i) =>
      i === 25 ? { ...r, variant: 'two\nlines' } : r,
    );
    const payload = encodeMessage(makeBatch(records, 'pi4-d'));
    const detail: DecodeDetail = {};
    const decoded = decodeMessage(payload, detail);
    if (!decoded.ok) throw new Error('not decoded');
    const fine = makeBatch(varyingRecords(10, 3, 5_000), 'pi4-e');
    const rendered = renderEntries([
      messageEntry('lab', 'pi4-d', decoded.value, { payload, receivedUs: 1, columns: detail.columns }),
      messageEntry('lab', 'pi4-e', fine, { payload: encodeMessage(fine), receivedUs: 1 }),
    ]);
    expect(text(rendered.body)).toBe(`${inferenceLines('lab', 'pi4-e', fine.records).join('\n')}\n`);
    expect(rendered.refused).toHaveLength(1);
    expect(rendered.refused[0]?.reason).toMatch(/control character/);
  });

  it('refuse, with their line count, entries that cannot become lines, and render the rest', () => {
    const good = makeBatch([makeRecord(1), makeRecord(2)], 'pi4-c');
    const goodEntry = messageEntry('lab', 'pi4-c', good, { payload: encodeMessage(good), receivedUs: 1 });
    // Bytes that claim to be CBOR but are not a message (an older decoder's leftovers, say), as
    // read back from disk (no memo: the message handed over is not their decoding).
    const { bytes, lines } = messageEntry('lab', 'pi4-c', good, {
      payload: cborPayload({ v: 99 }),
      receivedUs: 1,
    });
    const bad = { bytes, lines };
    const unknownKind = { bytes: Buffer.from([9, 1, 2]), lines: 4 };
    const rendered = renderEntries([bad, goodEntry, unknownKind]);
    expect(text(rendered.body)).toBe(`${inferenceLines('lab', 'pi4-c', good.records).join('\n')}\n`);
    expect(rendered.refused.map((r) => r.lines)).toEqual([3, 4]);
    expect(rendered.refused[0]?.reason).toMatch(/unsupported-version/);
  });

  it('render, as bytes, exactly the points inferenceLines() builds: every optional field, escaped and UTF-8 tags, runs of tags and io', () => {
    // The body is written as bytes (tags encoded once per run, the rest as ASCII); these records
    // change tags and io values within a batch and carry every optional field some of the time.
    const batches = [1, 2, 3, 4, 5].map((seed) =>
      varyingRecords(60, seed, seed * 1_000).map((r, i) =>
        quantizeRecord({
          ...r,
          ...(i % 4 === 0 ? {} : { experiment: `exp-${seed}`, arm: i % 2 === 0 ? 'a' : 'b' }),
          ...(i % 5 === 0 ? { placement: 'offload' as const } : {}),
          ...(i % 7 === 0 ? { method: 'batched' as const, windowInferences: 1 + (i % 3) } : {}),
          ...(i % 6 === 0 ? { baselineUncertaintyW: 0.0125 * i, inputSource: 'dataset' as const } : {}),
          ...(i >= 30 ? { sensor: 'capteur été, rail=5 V' } : {}),
        }),
      ),
    );
    const entries = batches.map((records, k) => {
      const batch = makeBatch(records, `pi4-${k}`);
      return messageEntry('lab fleet', `pi4-${k}`, batch, { payload: encodeMessage(batch), receivedUs: 1 });
    });
    const expected = batches.map(
      (records, k) => `${inferenceLines('lab fleet', `pi4-${k}`, records).join('\n')}\n`,
    );
    const rendered = renderEntries(entries);
    expect(text(rendered.body)).toBe(expected.join(''));
    expect(rendered.lines).toBe(batches.reduce((sum, records) => sum + inferencePointCount(records), 0));
    expect(text(rendered.body)).toContain('sensor=capteur\\ été\\,\\ rail\\=5\\ V');
  });

  it('refuse a message whose tag cannot be written half-way through, leaving none of its points in the body', () => {
    const records = varyingRecords(40, 9, 1_000).map((r, i) =>
      i === 25 ? { ...r, variant: 'two\nlines' } : r,
    );
    const broken = makeBatch(records, 'pi4-d');
    const fine = makeBatch(varyingRecords(10, 3, 5_000), 'pi4-e');
    const rendered = renderEntries([
      messageEntry('lab', 'pi4-d', broken, { payload: encodeMessage(broken), receivedUs: 1 }),
      messageEntry('lab', 'pi4-e', fine, { payload: encodeMessage(fine), receivedUs: 1 }),
    ]);
    expect(text(rendered.body)).toBe(`${inferenceLines('lab', 'pi4-e', fine.records).join('\n')}\n`);
    expect(rendered.refused).toHaveLength(1);
    expect(rendered.refused[0]?.reason).toMatch(/control character/);
  });

  it('carry line protocol read from a spool of the previous format as it is', () => {
    const lines = 'inference,device=a seq=1i 1\ninference,device=a seq=2i 2\n';
    const rendered = renderEntries([legacyLinesEntry(Buffer.from(lines), 2)]);
    expect(text(rendered.body)).toBe(lines);
    expect(rendered.lines).toBe(2);
  });
});
