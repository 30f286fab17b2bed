// Training mechanics on the committed Fashion-MNIST subset: seeded and reproducible. The stated
// accuracy after 3 epochs (about 20 s of training) is train.slow.test.ts, run by npm test.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCnn } from '../../models/arch/cnn.js';
import { type ImageSet, loadSplit } from '../../models/data/fashion-mnist.js';
import { seededRandom, shuffledIndices, train } from '../../models/train/trainer.js';
import { loadRuntime, type Tf } from '../../runtime/backend.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'fashion-mnist');

let tf: Tf;
let trainSet: ImageSet;

beforeAll(async () => {
  tf = (await loadRuntime('wasm')).tf;
  trainSet = await loadSplit(FIXTURE, 'train');
});

describe('training on the committed Fashion-MNIST subset', () => {
  it('is reproducible: the same seed gives the same weights', async () => {
    const small: ImageSet = { ...trainSet, count: 256 };
    const weightsAfterTraining = async () => {
      const model = buildCnn(tf, { conv1: 4, conv2: 8, dense1: 8 }, 9);
      await train(tf, model, small, { epochs: 1, batchSize: 64, learningRate: 0.002, seed: 4 });
      const values = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return values;
    };
    expect(await weightsAfterTraining()).toEqual(await weightsAfterTraining());
  });
});

describe('seeded shuffling', () => {
  it('gives a permutation that depends on the seed only', () => {
    const a = shuffledIndices(100, seededRandom(1));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...shuffledIndices(100, seededRandom(1))]).toEqual([...a]);
    expect([...shuffledIndices(100, seededRandom(2))]).not.toEqual([...a]);
  });
});
