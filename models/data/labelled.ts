// A labelled dataset for `model eval --data` other than Fashion-MNIST, shaped for one model's
// input. Three layouts, the ones people already have: a Fashion-MNIST/MNIST-style folder (the
// t10k IDX pair), a folder with one `*images*` and one `*labels*` IDX file (any MNIST-like set), or
// a folder of class subfolders of PNG/JPEG files (`<class>/<file>.png`, as Keras'
// image_dataset_from_directory and PyTorch's ImageFolder read them). Pixels are scaled to 0–1;
// images are resized to the model's input (runtime/decode.ts), grey when it takes one channel.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgewattError } from '../../common/errors.js';
import { decodeImageInput } from '../../runtime/decode.js';
import { loadSplit } from './fashion-mnist.js';
import { readIdx } from './idx.js';

export class DatasetLayoutError extends EdgewattError {
  override readonly name = 'DatasetLayoutError';
}

export interface LabelledSet {
  /** count × the input's size, float32, 0–1. */
  inputs: Float32Array;
  inputShape: number[];
  labels: Int32Array;
  count: number;
  /** What was read, and how class names became label indices. */
  source: string;
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

async function entries(dir: string): Promise<{ name: string; isDir: boolean }[]> {
  const list = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw new DatasetLayoutError(`--data ${dir} is not a readable folder`);
  });
  return list
    .map((e) => ({ name: e.name, isDir: e.isDirectory() }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * Label index of each class folder: its position in the model's `labels` when every folder is
 * named there, else its number when every folder is a number (0/, 1/, ...), else its position in
 * sorted order (the convention of Keras and torchvision).
 */
export function classIndices(
  folders: readonly string[],
  modelLabels?: readonly string[],
): {
  index: Map<string, number>;
  rule: string;
} {
  if (modelLabels !== undefined && folders.every((f) => modelLabels.includes(f)))
    return { index: new Map(folders.map((f) => [f, modelLabels.indexOf(f)])), rule: "the model's labels" };
  if (folders.every((f) => /^\d+$/.test(f)))
    return { index: new Map(folders.map((f) => [f, Number(f)])), rule: 'folder numbers' };
  const sorted = [...folders].sort();
  return { index: new Map(sorted.map((f, i) => [f, i])), rule: 'sorted folder names' };
}

function checkShape(what: string, shape: readonly number[], inputShape: readonly number[]): void {
  if (size(shape) !== size(inputShape))
    throw new DatasetLayoutError(
      `${what}: examples of shape [${shape.join(', ')}] do not fit the model's input [${inputShape.join(', ')}]`,
    );
}

async function idxPair(dir: string, names: string[]): Promise<[string, string] | undefined> {
  const idx = names.filter((n) => /idx\d?-ubyte(\.gz)?$/.test(n));
  const images = idx.filter((n) => n.includes('images'));
  const labels = idx.filter((n) => n.includes('labels'));
  if (images.length === 1 && labels.length === 1 && images[0] !== undefined && labels[0] !== undefined)
    return [join(dir, images[0]), join(dir, labels[0])];
  return undefined;
}

/** Loads `data` for a model taking `inputShape`; `limit` keeps the first n examples (0 = all). */
export async function loadLabelledSet(
  data: string,
  inputShape: readonly number[],
  options: { limit?: number; modelLabels?: readonly string[] | undefined } = {},
): Promise<LabelledSet> {
  const limit = options.limit ?? 0;
  const list = await entries(data);
  const names = list.filter((e) => !e.isDir).map((e) => e.name);
  const take = (n: number) => (limit > 0 ? Math.min(limit, n) : n);
  if (names.some((n) => n.startsWith('t10k-images-idx3-ubyte'))) {
    const set = await loadSplit(data, 't10k', limit);
    checkShape(data, [28, 28], inputShape);
    return {
      inputs: Float32Array.from(set.images, (v) => v / 255),
      inputShape: [...inputShape],
      labels: Int32Array.from(set.labels),
      count: set.count,
      source: set.source,
    };
  }
  const pair = await idxPair(data, names);
  if (pair !== undefined) {
    const [images, labels] = await Promise.all(pair.map(readIdx));
    const n = images?.shape[0] ?? 0;
    if (images === undefined || labels === undefined || labels.shape.length !== 1 || labels.shape[0] !== n)
      throw new DatasetLayoutError(`${pair.join(' and ')}: ${labels?.shape[0]} labels for ${n} images`);
    checkShape(pair[0], images.shape.slice(1), inputShape);
    const count = take(n);
    const per = size(inputShape);
    return {
      inputs: Float32Array.from(images.data.subarray(0, count * per), (v) => v / 255),
      inputShape: [...inputShape],
      labels: Int32Array.from(labels.data.subarray(0, count)),
      count,
      source: `${pair.join(' + ')} (${count} of ${n})`,
    };
  }
  const folders = list.filter((e) => e.isDir).map((e) => e.name);
  const files: { path: string; folder: string }[] = [];
  for (const folder of folders)
    for (const e of await entries(join(data, folder)))
      if (!e.isDir && IMAGE_FILE.test(e.name)) files.push({ path: join(data, folder, e.name), folder });
  if (files.length === 0)
    throw new DatasetLayoutError(
      `--data ${data}: no dataset found. Give a folder of class subfolders of PNG/JPEG images (<class>/<file>.png), ` +
        'a folder with one *images*idx3-ubyte[.gz] and one *labels*idx1-ubyte[.gz] file, or a Fashion-MNIST folder',
    );
  const classes = classIndices(
    folders.filter((f) => files.some((file) => file.folder === f)),
    options.modelLabels,
  );
  // Interleave classes so that a --test-limit keeps every class.
  const byClass = folders.map((f) => files.filter((file) => file.folder === f));
  const ordered: typeof files = [];
  for (let i = 0; ordered.length < files.length; i++)
    for (const group of byClass) if (group[i] !== undefined) ordered.push(group[i] as (typeof files)[number]);
  const count = take(ordered.length);
  const per = size(inputShape);
  const inputs = new Float32Array(count * per);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const file = ordered[i] as (typeof files)[number];
    const decoded = decodeImageInput(new Uint8Array(await readFile(file.path)), inputShape);
    inputs.set(decoded.values, i * per);
    labels[i] = classes.index.get(file.folder) ?? -1;
  }
  return {
    inputs,
    inputShape: [...inputShape],
    labels,
    count,
    source: `${data} (${count} of ${files.length} images in ${classes.index.size} class folders, labels from ${classes.rule})`,
  };
}
