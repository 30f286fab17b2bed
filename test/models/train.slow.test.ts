// The stated training figure (docs/models.md): the small CNN, 3 epochs over the 2,000 fixture
// images, reaches at least 75 % on the 500 fixture test images. About 20 s of training on a quiet
// 2-core machine, so it runs in npm test, not in the unit set.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { accuracyOn } from '../../models/analysis/evaluate.js';
import { buildCnn } from '../../models/arch/cnn.js';
import { type ImageSet, loadSplit } from '../../models/data/fashion-mnist.js';
import { train } from '../../models/train/trainer.js';
import { loadRuntime, type Tf } from '../../runtime/backend.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'fashion-mnist');

let tf: Tf;
let trainSet: ImageSet;
let testSet: ImageSet;

beforeAll(async () => {
  tf = (await loadRuntime('wasm')).tf;
  trainSet = await loadSplit(FIXTURE, 'train');
  testSet = await loadSplit(FIXTURE, 't10k');
});

describe('training on the committed Fashion-MNIST subset', () => {
  // The stated figure: the small CNN, 3 epochs over the 2,000 fixture images, reaches at least
  // 75 % on the 500 fixture test images (chance is 10 %). Measured here: see docs/models.md.
  it('reaches at least 75 % test accuracy with the small CNN in 3 epochs', async () => {
    const model = buildCnn(tf, undefined, 1);
    const before = accuracyOn(tf, model, testSet).accuracy;
    const epochs = await train(tf, model, trainSet, {
      epochs: 3,
      batchSize: 64,
      learningRate: 0.002,
      decay: 0.7,
      seed: 1,
    });
    const after = accuracyOn(tf, model, testSet);
    model.dispose();
    console.info(
      `fixture training: test accuracy ${(before * 100).toFixed(1)} % → ${(after.accuracy * 100).toFixed(1)} %, ` +
        `epochs ${epochs.map((e) => `${(e.durationMs / 1000).toFixed(1)} s`).join(', ')}`,
    );
    expect(after.examples).toBe(500);
    expect(before).toBeLessThan(0.3);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.75);
    expect(epochs[2]?.loss).toBeLessThan(epochs[0]?.loss ?? 0);
  }, 120_000);
});
