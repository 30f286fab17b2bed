// Reproducible training: the seeded WASM recipe re-makes a model bit for bit, so a model's id
// (the SHA-256 of its files) is a reproducibility check. docs/models.md's "Commands that made
// them" rests on this: the committed zoo and sweep variants were re-made with the same ids. Here the
// small CNN trains one epoch on 640 of the committed fixture images, twice with one seed and once
// with another; the first two must save to the same id, the third to a different one (so the test
// can fail: a recipe that ignored its seed, or read a clock or Math.random, gives different ids).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCnn } from '../../models/arch/cnn.js';
import { saveArtifact } from '../../models/artifact/save.js';
import { type ImageSet, loadSplit } from '../../models/data/fashion-mnist.js';
import { train } from '../../models/train/trainer.js';
import { loadRuntime, type Tf } from '../../runtime/backend.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'fashion-mnist');
const IMAGES = 640;

let tf: Tf;
let subset: ImageSet;
const dir = mkdtempSync(join(tmpdir(), 'edgewatt-reproducible-'));

beforeAll(async () => {
  tf = (await loadRuntime('wasm')).tf;
  const all = await loadSplit(FIXTURE, 'train');
  subset = {
    images: all.images.subarray(0, IMAGES * 28 * 28),
    labels: all.labels.subarray(0, IMAGES),
    count: IMAGES,
    source: `${all.source} (first ${IMAGES})`,
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function trainedId(seed: number, name: string): Promise<string> {
  const model = buildCnn(tf, undefined, seed);
  await train(tf, model, subset, { epochs: 1, batchSize: 64, learningRate: 0.002, decay: 0.7, seed });
  const saved = await saveArtifact(tf, model, join(dir, name), { variant: 'repro', architecture: 'cnn' });
  model.dispose();
  return saved.id;
}

describe('seeded training on the WASM backend', () => {
  it('re-makes the same model id from the same seed, and another from another seed', async () => {
    const first = await trainedId(1, 'a');
    const again = await trainedId(1, 'b');
    const other = await trainedId(2, 'c');
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  }, 120_000);
});
