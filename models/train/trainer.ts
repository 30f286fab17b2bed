// Trains a classifier on 28×28 grey images, reproducibly: weights start from seeded
// initialisers, batches come in a seeded order (our own shuffle, not tfjs's Math.random), and
// there is no dropout. Reports progress per batch (epoch, loss, accuracy) to a callback, which
// the CLI draws as a progress bar.

import type { Tf } from '../../runtime/backend.js';
import { IMAGE_PIXELS, type ImageSet } from '../data/fashion-mnist.js';
import { registerWasmGradients } from './wasm-gradients.js';

type LayersModel = ReturnType<Tf['sequential']>;
type Tensor = ReturnType<Tf['tensor']>;

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Learning rate multiplied by this after each epoch. */
  decay?: number;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Running means over the epoch so far. */
  loss: number;
  accuracy: number;
}

export interface EpochResult {
  epoch: number;
  loss: number;
  accuracy: number;
  durationMs: number;
}

/** Mulberry32: a small seeded PRNG, enough for shuffling. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffledIndices(count: number, random: () => number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = tmp;
  }
  return order;
}

/** Pixels of the chosen examples as a [n, 28, 28, 1] tensor scaled to [0, 1], and their labels. */
export function batchTensors(
  tf: Tf,
  set: ImageSet,
  indices: ArrayLike<number>,
): { xs: Tensor; ys: Tensor; labels: Uint8Array } {
  const n = indices.length;
  const pixels = new Float32Array(n * IMAGE_PIXELS);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const index = indices[i] ?? 0;
    const offset = index * IMAGE_PIXELS;
    for (let p = 0; p < IMAGE_PIXELS; p++) pixels[i * IMAGE_PIXELS + p] = (set.images[offset + p] ?? 0) / 255;
    labels[i] = set.labels[index] ?? 0;
  }
  return {
    xs: tf.tensor4d(pixels, [n, 28, 28, 1]),
    ys: tf.tensor1d(Float32Array.from(labels), 'float32'),
    labels,
  };
}

export async function train(
  tf: Tf,
  model: LayersModel,
  set: ImageSet,
  options: TrainOptions,
  onProgress?: (progress: TrainProgress) => void,
): Promise<EpochResult[]> {
  if (tf.getBackend() === 'wasm') registerWasmGradients(tf);
  const optimizer = tf.train.adam(options.learningRate);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const random = seededRandom(options.seed);
  const batches = Math.ceil(set.count / options.batchSize);
  const results: EpochResult[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const startedMs = performance.now();
    const order = shuffledIndices(set.count, random);
    let lossSum = 0;
    let correctSum = 0;
    let seen = 0;
    for (let b = 0; b < batches; b++) {
      const indices = order.subarray(b * options.batchSize, Math.min(set.count, (b + 1) * options.batchSize));
      const { xs, ys } = batchTensors(tf, set, indices);
      const [loss, accuracy] = (await model.trainOnBatch(xs, ys)) as number[];
      xs.dispose();
      ys.dispose();
      lossSum += (loss ?? 0) * indices.length;
      correctSum += (accuracy ?? 0) * indices.length;
      seen += indices.length;
      onProgress?.({
        epoch,
        epochs: options.epochs,
        batch: b + 1,
        batches,
        loss: lossSum / seen,
        accuracy: correctSum / seen,
      });
    }
    results.push({
      epoch,
      loss: lossSum / seen,
      accuracy: correctSum / seen,
      durationMs: performance.now() - startedMs,
    });
    // Adam's learning rate is a public field; a step decay per epoch helps the short runs settle.
    (optimizer as unknown as { learningRate: number }).learningRate *= options.decay ?? 1;
  }
  return results;
}
