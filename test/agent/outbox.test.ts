import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox, type UnsequencedRecord } from '../../agent/publish/outbox.js';
import { decodeMessage, type InferenceBatch, quantizeRecord } from '../../protocol/index.js';

const DEVICE = 'board-01';

function record(index: number): UnsequencedRecord {
  return {
    startUs: 1_700_000_000_000_000 + index * 100_000,
    durationUs: 12_345 + index,
    energyJ: 0.0345 + index * 0.001,
    energyUncertaintyJ: 0.004,
    baselineW: 2.7,
    sampleCount: 0,
    provenance: 'estimated',
    sensor: 'simulated:rpi4',
    modelId: 'a'.repeat(64),
    variant: 'demo-cnn-untrained',
    backend: 'wasm',
    batchSize: 1,
    inputBytes: 3136,
    outputBytes: 40,
    correct: null,
  };
}

const records = (count: number, from = 0) => Array.from({ length: count }, (_, i) => record(from + i));

let stateDir: string;

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'edgewatt-outbox-'));
});

afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

const seqFile = () => join(stateDir, 'seq.json');
const batchFiles = () => readdirSync(join(stateDir, 'outbox')).filter((file) => file.endsWith('.batch'));

describe('Outbox sequence numbers', () => {
  it('starts at 0 in a fresh state directory', () => {
    expect(new Outbox(stateDir, DEVICE).nextSeq).toBe(0);
  });

  it('gives consecutive seqs across batches, starting at 0', () => {
    const outbox = new Outbox(stateDir, DEVICE);
    const first = outbox.seal(records(3));
    const second = outbox.seal(records(2, 3));
    expect([first.firstSeq, first.count]).toEqual([0, 3]);
    expect([second.firstSeq, second.count]).toEqual([3, 2]);
    expect(outbox.nextSeq).toBe(5);
  });

  it('keeps nextSeq across a new Outbox on the same directory', () => {
    new Outbox(stateDir, DEVICE).seal(records(4));
    const reopened = new Outbox(stateDir, DEVICE);
    expect(reopened.nextSeq).toBe(4);
    expect(reopened.seal(records(1)).firstSeq).toBe(4);
  });

  it('deletes an acknowledged batch but never reuses its seqs', () => {
    const outbox = new Outbox(stateDir, DEVICE);
    const sealed = outbox.seal(records(3));
    outbox.acknowledge(sealed.firstSeq, sealed.count);
    expect(batchFiles()).toEqual([]);
    expect(outbox.pendingBatches).toBe(0);
    expect(outbox.seal(records(1)).firstSeq).toBe(3);
    expect(new Outbox(stateDir, DEVICE).nextSeq).toBe(4);
  });

  it('ignores acknowledging a batch that is already gone', () => {
    const outbox = new Outbox(stateDir, DEVICE);
    const sealed = outbox.seal(records(1));
    outbox.acknowledge(sealed.firstSeq, sealed.count);
    expect(() => outbox.acknowledge(sealed.firstSeq, sealed.count)).not.toThrow();
  });
});

describe('Outbox recovery', () => {
  it('recovers from the outbox files when seq.json is missing', () => {
    const outbox = new Outbox(stateDir, DEVICE);
    outbox.seal(records(3));
    outbox.seal(records(2, 3));
    rmSync(seqFile());
    expect(new Outbox(stateDir, DEVICE).nextSeq).toBe(5);
  });

  it.each([
    ['not JSON', '{"nextSeq": 4'],
    ['an empty file', ''],
    ['a non-integer counter', '{"nextSeq": 2.5}'],
    ['a string counter', '{"nextSeq": "9"}'],
  ])('recovers from the outbox files when seq.json holds %s', (_what, content) => {
    const outbox = new Outbox(stateDir, DEVICE);
    outbox.seal(records(3));
    outbox.seal(records(4, 3));
    writeFileSync(seqFile(), content);
    expect(new Outbox(stateDir, DEVICE).nextSeq).toBe(7);
  });

  it('continues after the last batch when seq.json is behind (crash between batch and counter)', () => {
    const outbox = new Outbox(stateDir, DEVICE);
    outbox.seal(records(3));
    const stale = readFileSync(seqFile(), 'utf8');
    outbox.seal(records(2, 3)); // batch file written ...
    writeFileSync(seqFile(), stale); // ... but the counter update was lost
    expect(JSON.parse(stale)).toEqual({ nextSeq: 3 });
    const recovered = new Outbox(stateDir, DEVICE);
    expect(recovered.nextSeq).toBe(5);
    expect(recovered.seal(records(1)).firstSeq).toBe(5);
  });

  it('trusts seq.json when it is ahead of the outbox (batches already acknowledged)', () => {
    const outbox = new Outbox(stateDir, DEVICE);
    const a = outbox.seal(records(3));
    outbox.seal(records(2, 3));
    outbox.acknowledge(a.firstSeq, a.count);
    writeFileSync(seqFile(), JSON.stringify({ nextSeq: 40 }));
    expect(new Outbox(stateDir, DEVICE).nextSeq).toBe(40);
  });

  // Issue 12 item 7: with every batch acknowledged, the counter was the only trace of the seqs used.
  it.each([
    ['truncated', () => writeFileSync(seqFile(), '')],
    ['deleted', () => rmSync(seqFile())],
  ])('recovers from the backup counter when seq.json is %s and the outbox is empty', (_what, lose) => {
    const outbox = new Outbox(stateDir, DEVICE);
    for (const sealed of [outbox.seal(records(3)), outbox.seal(records(2, 3))])
      outbox.acknowledge(sealed.firstSeq, sealed.count);
    expect(batchFiles()).toEqual([]);
    lose();
    const reopened = new Outbox(stateDir, DEVICE);
    expect(reopened.nextSeq).toBe(5);
    expect(reopened.seal(records(1)).firstSeq).toBe(5);
  });

  it('keeps the backup counter equal to the counter after every seal', () => {
    const outbox = new Outbox(stateDir, DEVICE);
    outbox.seal(records(4));
    outbox.seal(records(3, 4));
    expect(JSON.parse(readFileSync(join(stateDir, 'seq.backup.json'), 'utf8'))).toEqual({ nextSeq: 7 });
    expect(JSON.parse(readFileSync(seqFile(), 'utf8'))).toEqual({ nextSeq: 7 });
  });

  it('ignores stray files in the outbox directory', () => {
    const outbox = new Outbox(stateDir, DEVICE);
    outbox.seal(records(2));
    writeFileSync(join(stateDir, 'outbox', '0000000000000099-3.batch.1234.tmp'), 'partial');
    writeFileSync(join(stateDir, 'outbox', 'notes.txt'), 'hello');
    rmSync(seqFile());
    const reopened = new Outbox(stateDir, DEVICE);
    expect(reopened.nextSeq).toBe(2);
    expect(reopened.list().map((batch) => batch.firstSeq)).toEqual([0]);
  });
});

describe('Outbox contents', () => {
  it('lists pending batches oldest first', () => {
    const outbox = new Outbox(stateDir, DEVICE);
    for (let i = 0; i < 12; i++) outbox.seal(records(i === 3 ? 10 : 1));
    const listed = outbox.list();
    expect(listed.map((batch) => batch.firstSeq)).toEqual([0, 1, 2, 3, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(listed[3]).toMatchObject({ firstSeq: 3, count: 10 });
    expect(outbox.pendingBatches).toBe(12);
  });

  it('creates the state directory when it does not exist', () => {
    const nested = join(stateDir, 'fleet', 'device');
    new Outbox(nested, DEVICE).seal(records(1));
    expect(existsSync(join(nested, 'outbox'))).toBe(true);
    expect(existsSync(join(nested, 'seq.json'))).toBe(true);
  });

  it.each(['cbor', 'json'] as const)(
    'seals a %s payload that decodes to the records with seqs and device',
    (encoding) => {
      const outbox = new Outbox(stateDir, DEVICE, encoding);
      outbox.seal(records(2));
      const input = records(3, 2);
      const sealed = outbox.seal(input);
      const decoded = decodeMessage(sealed.payload);
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      const batch = decoded.value as InferenceBatch;
      expect(batch.type).toBe('inference');
      expect(batch.device).toBe(DEVICE);
      expect(batch.records.map((r) => r.seq)).toEqual([2, 3, 4]);
      expect(batch.records).toEqual(input.map((r, i) => quantizeRecord({ ...r, seq: 2 + i })));
    },
  );

  it('reads back the same bytes it sealed', () => {
    const outbox = new Outbox(stateDir, DEVICE);
    const sealed = outbox.seal(records(3));
    const read = outbox.read(sealed.firstSeq, sealed.count);
    expect(Buffer.from(read.payload).equals(Buffer.from(sealed.payload))).toBe(true);
  });

  it('replays a pending batch from disk after a restart', () => {
    const sealed = new Outbox(stateDir, DEVICE).seal(records(2));
    const reopened = new Outbox(stateDir, DEVICE);
    const [pending] = reopened.list();
    expect(pending).toMatchObject({ firstSeq: 0, count: 2 });
    const read = reopened.read(sealed.firstSeq, sealed.count);
    expect(Buffer.from(read.payload).equals(Buffer.from(sealed.payload))).toBe(true);
  });
});
