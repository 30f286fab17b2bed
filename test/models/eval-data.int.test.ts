// `edgewatt model eval --data` on datasets other than Fashion-MNIST's own folder, and --json: the
// same 100 test images of the committed subset written as class folders of PNG files (0/…9/) and
// as a renamed IDX pair give exactly the accuracy the Fashion-MNIST path gives for the zoo model,
// an ONNX model is evaluated too, and --json prints what --out writes.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSplit } from '../../models/data/fashion-mnist.js';
import { runCli } from '../support/process.js';
import { tempDir } from '../support/stack.js';

const FM = fileURLToPath(new URL('../fixtures/fashion-mnist', import.meta.url));
const ZOO = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));
const ONNX = fileURLToPath(new URL('../fixtures/onnx/tiny/model.onnx', import.meta.url));
const N = 100;
const dir = tempDir('edgewatt-eval-data-');
const FOLDERS = join(dir.path, 'folders');
const PAIR = join(dir.path, 'pair');

interface Results {
  dataset: string;
  variants: { variant: string; accuracy: number; testExamples: number; latency: { runs: number } }[];
}

async function evalJson(args: string[]): Promise<Results> {
  const run = runCli([
    'model',
    'eval',
    '--json',
    '--rounds',
    '1',
    '--runs',
    '5',
    '--test-limit',
    String(N),
    ...args,
  ]);
  const { code } = await run.exited;
  expect(code, run.stderr()).toBe(0);
  return JSON.parse(run.stdout()) as Results;
}

beforeAll(async () => {
  const set = await loadSplit(FM, 't10k', N);
  for (let i = 0; i < N; i++) {
    const png = new PNG({ width: 28, height: 28, colorType: 0 });
    for (let p = 0; p < 784; p++)
      png.data.set(
        [set.images[i * 784 + p] ?? 0, set.images[i * 784 + p] ?? 0, set.images[i * 784 + p] ?? 0, 255],
        p * 4,
      );
    const folder = join(FOLDERS, String(set.labels[i]));
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${String(i).padStart(4, '0')}.png`), PNG.sync.write(png));
  }
  mkdirSync(PAIR, { recursive: true });
  writeFileSync(
    join(PAIR, 'shirts-images-idx3-ubyte.gz'),
    readFileSync(join(FM, 't10k-images-idx3-ubyte.gz')),
  );
  writeFileSync(
    join(PAIR, 'shirts-labels-idx1-ubyte.gz'),
    readFileSync(join(FM, 't10k-labels-idx1-ubyte.gz')),
  );
});
afterAll(() => dir.remove());

describe('model eval --data', () => {
  it('class folders of PNGs and a renamed IDX pair give the Fashion-MNIST path’s accuracy; --json is the --out file', async () => {
    const reference = await evalJson(['--data', FM, ZOO]);
    expect(reference.variants[0]?.testExamples).toBe(N);
    const folders = await evalJson(['--data', FOLDERS, ZOO]);
    const pair = await evalJson(['--data', PAIR, ZOO]);
    expect(folders.dataset).toContain('class folders, labels from folder numbers');
    expect(folders.variants[0]?.testExamples).toBe(N);
    expect(folders.variants[0]?.accuracy).toBe(reference.variants[0]?.accuracy);
    expect(pair.variants[0]?.accuracy).toBe(reference.variants[0]?.accuracy);
    // Well above chance: the images and labels really were read in step.
    expect(reference.variants[0]?.accuracy).toBeGreaterThan(0.6);

    const outFile = join(dir.path, 'out.json');
    const run = runCli([
      'model',
      'eval',
      '--rounds',
      '1',
      '--runs',
      '5',
      '--test-limit',
      '20',
      '--data',
      FOLDERS,
      '--out',
      outFile,
      ZOO,
    ]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    expect(run.stdout()).toContain('results written to');
    const written = JSON.parse(readFileSync(outFile, 'utf8')) as Results;
    expect(written.variants[0]?.testExamples).toBe(20);
  }, 120_000);

  it('evaluates an ONNX model on the class folders (the untrained fixture: near chance, every image counted)', async () => {
    const results = await evalJson(['--data', FOLDERS, ONNX]);
    expect(results.variants[0]?.testExamples).toBe(N);
    expect(results.variants[0]?.latency.runs).toBe(5);
    expect(results.variants[0]?.accuracy).toBeLessThan(0.5);
  }, 60_000);

  it('names the accepted layouts for a folder that holds none', async () => {
    const empty = join(dir.path, 'empty');
    mkdirSync(empty);
    const run = runCli(['model', 'eval', '--data', empty, ZOO]);
    expect((await run.exited).code).not.toBe(0);
    expect(run.stderr()).toMatch(/no dataset found\. Give a folder of class subfolders/);
  }, 30_000);
});
