// Writes the first n examples of each split as gzipped IDX files in the standard layout: how the
// committed test fixture (test/fixtures/fashion-mnist) was made from the Debian package.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { IMAGE_SIDE, loadSplit, type Split } from './fashion-mnist.js';
import { encodeIdx } from './idx.js';

export async function writeSubset(
  sourceDir: string,
  outDir: string,
  counts: Record<Split, number>,
): Promise<{ file: string; bytes: number }[]> {
  await mkdir(outDir, { recursive: true });
  const written: { file: string; bytes: number }[] = [];
  for (const split of ['train', 't10k'] as const) {
    const set = await loadSplit(sourceDir, split, counts[split]);
    const files = [
      [`${split}-images-idx3-ubyte.gz`, encodeIdx([set.count, IMAGE_SIDE, IMAGE_SIDE], set.images)],
      [`${split}-labels-idx1-ubyte.gz`, encodeIdx([set.count], set.labels)],
    ] as const;
    for (const [file, bytes] of files) {
      // mtime 0 in the gzip header (the default) keeps the output byte-identical across runs.
      const gz = gzipSync(bytes, { level: 9 });
      await writeFile(join(outDir, file), gz);
      written.push({ file, bytes: gz.byteLength });
    }
  }
  return written;
}
