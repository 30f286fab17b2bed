// Fashion-MNIST from a directory of IDX files (gzipped or not): Debian's dataset-fashion-mnist
// package by default, or any directory with the four standard file names (the committed test
// fixture is a small subset in the same layout). Missing files give the command that installs them.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EdgewattError } from '../../common/errors.js';
import { readIdx } from './idx.js';

export const DEFAULT_DATASET_DIR = '/usr/share/datasets/fashion-mnist';
export const CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;
export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;

export type Split = 'train' | 't10k';

export class DatasetMissingError extends EdgewattError {
  override readonly name = 'DatasetMissingError';
}

export interface ImageSet {
  /** count × 28 × 28 grey pixels, 0–255, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  source: string;
}

function findFile(dir: string, base: string): string {
  for (const name of [`${base}.gz`, base]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new DatasetMissingError(
    `Fashion-MNIST file ${base}[.gz] not found in ${dir}. Install the dataset with ` +
      `"sudo apt-get install dataset-fashion-mnist" (it goes to ${DEFAULT_DATASET_DIR}) or give --data <dir> ` +
      'holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz',
  );
}

/** Loads one split; `limit` keeps the first n examples (0 = all). */
export async function loadSplit(dir: string, split: Split, limit = 0): Promise<ImageSet> {
  const imagesPath = findFile(dir, `${split}-images-idx3-ubyte`);
  const labelsPath = findFile(dir, `${split}-labels-idx1-ubyte`);
  const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  const [n, rows, cols] = images.shape;
  if (images.shape.length !== 3 || rows !== IMAGE_SIDE || cols !== IMAGE_SIDE || n === undefined) {
    throw new DatasetMissingError(
      `${imagesPath}: shape [${images.shape.join(', ')}] is not [n, 28, 28]; is this Fashion-MNIST?`,
    );
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== n) {
    throw new DatasetMissingError(
      `${labelsPath}: ${labels.shape[0]} labels for ${n} images in ${imagesPath}; the two files do not belong together`,
    );
  }
  const count = limit > 0 ? Math.min(limit, n) : n;
  return {
    images: images.data.subarray(0, count * IMAGE_PIXELS),
    labels: labels.data.subarray(0, count),
    count,
    source: `${dir} (${split}, ${count} of ${n})`,
  };
}
