import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetMissingError, loadSplit } from '../../models/data/fashion-mnist.js';
import { encodeIdx, IdxFormatError, parseIdx } from '../../models/data/idx.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'fashion-mnist');

describe('parseIdx', () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);

  it('reads shape and bytes back from what encodeIdx wrote', () => {
    const parsed = parseIdx(encodeIdx([2, 3, 4], data));
    expect(parsed.shape).toEqual([2, 3, 4]);
    expect([...parsed.data]).toEqual([...data]);
  });

  it('inflates gzipped input (magic 1f 8b) first', () => {
    const parsed = parseIdx(gzipSync(encodeIdx([24], data)));
    expect(parsed.shape).toEqual([24]);
    expect(parsed.data[23]).toBe(23);
  });

  it('refuses a truncated file, naming the shape and both sizes', () => {
    const bytes = encodeIdx([2, 3, 4], data).subarray(0, 30);
    expect(() => parseIdx(bytes, 'x.idx')).toThrow(IdxFormatError);
    expect(() => parseIdx(bytes, 'x.idx')).toThrow(/x\.idx: shape \[2, 3, 4\] needs 40 bytes, file has 30/);
  });

  it('refuses element types other than unsigned bytes, naming the type', () => {
    const bytes = encodeIdx([1], Uint8Array.of(1));
    bytes[2] = 0x0d; // float
    expect(() => parseIdx(bytes)).toThrow(/element type 0xd/);
  });

  it('refuses data that does not start with two zero bytes', () => {
    expect(() => parseIdx(Uint8Array.of(1, 2, 8, 1, 0, 0, 0, 0))).toThrow(/first two bytes/);
  });
});

describe('loadSplit', () => {
  it('loads the committed fixture: 2,000 training and 500 test images of 28×28 with labels 0–9', async () => {
    const train = await loadSplit(FIXTURE, 'train');
    const test = await loadSplit(FIXTURE, 't10k');
    expect(train.count).toBe(2000);
    expect(train.images.length).toBe(2000 * 784);
    expect(test.count).toBe(500);
    expect(Math.max(...train.labels)).toBe(9);
    expect(Math.min(...test.labels)).toBe(0);
    // All ten classes are present in the subset.
    expect(new Set(train.labels).size).toBe(10);
  });

  it('keeps only the first n examples with a limit', async () => {
    const set = await loadSplit(FIXTURE, 't10k', 10);
    expect(set.count).toBe(10);
    expect(set.labels.length).toBe(10);
  });

  it('says how to install the dataset when the files are missing', async () => {
    const error = await loadSplit('/nonexistent-dir', 'train').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatasetMissingError);
    expect((error as Error).message).toMatch(/apt-get install dataset-fashion-mnist/);
    expect((error as Error).message).toContain('/nonexistent-dir');
  });
});
