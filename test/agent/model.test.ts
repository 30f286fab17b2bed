import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInference } from '../../agent/measure/runner.js';
import { DEMO_MODEL_VARIANT, writeDemoModel } from '../../models/demo/demo-cnn.js';
import { ModelLoadError } from '../../protocol/manifest/index.js';
import { loadRuntime, type Tf } from '../../runtime/backend.js';
import { randomInputPool } from '../../runtime/inputs.js';
import { type LoadedModel, loadModel } from '../../runtime/model.js';

let tf: Tf;
let root: string;
let demoDir: string;
let model: LoadedModel;

beforeAll(async () => {
  tf = (await loadRuntime('wasm')).tf;
  root = mkdtempSync(join(tmpdir(), 'edgewatt-model-'));
  demoDir = join(root, 'demo');
  await writeDemoModel(tf, demoDir);
  model = await loadModel(tf, demoDir);
});

afterAll(() => {
  model?.dispose();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

/** A copy of the demo model in a fresh folder, for tampering with. */
function copyOfDemo(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const file of ['model.json', 'weights.bin']) copyFileSync(join(demoDir, file), join(dir, file));
  return dir;
}

async function loadError(path: string): Promise<ModelLoadError> {
  const error = await loadModel(tf, path).then(
    (loaded) => {
      loaded.dispose();
      throw new Error(`loadModel(${path}) did not fail`);
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  return error as ModelLoadError;
}

describe('loadModel with the demo model', () => {
  it('identifies the model by a 64-hex-digit SHA-256', () => {
    expect(model.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same id on a second load, from the folder or the model.json', async () => {
    const again = await loadModel(tf, join(demoDir, 'model.json'));
    expect(again.id).toBe(model.id);
    again.dispose();
  });

  it('gives a different id when one weight byte changes', async () => {
    const dir = copyOfDemo('tampered');
    const weights = readFileSync(join(dir, 'weights.bin'));
    weights[100] = ((weights[100] ?? 0) + 1) % 256;
    writeFileSync(join(dir, 'weights.bin'), weights);
    const tampered = await loadModel(tf, dir);
    expect(tampered.id).not.toBe(model.id);
    tampered.dispose();
  });

  it('takes the variant from userDefinedMetadata', () => {
    expect(model.variant).toBe(DEMO_MODEL_VARIANT);
    expect(model.variant).toBe('demo-cnn-untrained');
  });

  it('falls back to the folder name when the metadata names no variant', async () => {
    const dir = copyOfDemo('pruned-50');
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    delete json.userDefinedMetadata;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const unnamed = await loadModel(tf, dir);
    expect(unnamed.variant).toBe('pruned-50');
    unnamed.dispose();
  });

  it('reports the layers format, input shape [28, 28, 1] and 10 outputs', () => {
    expect(model.format).toBe('layers-model');
    expect(model.inputShape).toEqual([28, 28, 1]);
    expect(model.outputSize).toBe(10);
  });
});

describe('runInference', () => {
  it('captures a window with elapsed time, CPU time and tensor sizes', () => {
    const pool = randomInputPool(tf, model.inputShape, 1);
    const { input } = pool.next();
    const run = runInference(model, input);
    pool.dispose();
    expect(run.window.endNs).toBeGreaterThan(run.window.startNs);
    expect(run.window.cpuUs).toBeGreaterThanOrEqual(0);
    expect(run.inputBytes).toBe(28 * 28 * 4);
    expect(run.outputBytes).toBe(40);
    expect(run.argmax).toBeGreaterThanOrEqual(0);
    expect(run.argmax).toBeLessThan(10);
    expect(Number.isInteger(run.startUs)).toBe(true);
  });

  it('does not leak tensors', () => {
    const pool = randomInputPool(tf, model.inputShape, 1);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) runInference(model, pool.next().input);
    expect(tf.memory().numTensors).toBe(before);
    pool.dispose();
  });
});

describe('loadModel errors', () => {
  it('names a path that does not exist', async () => {
    const missing = join(root, 'no-such-model');
    const error = await loadError(missing);
    expect(error.message).toContain(missing);
    expect(error.message).toMatch(/does not exist/);
  });

  it('names a folder without a model.json', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const error = await loadError(empty);
    expect(error.message).toContain(join(empty, 'model.json'));
  });

  it('says when model.json is not JSON', async () => {
    const dir = copyOfDemo('not-json');
    writeFileSync(join(dir, 'model.json'), '{ this is not json');
    const error = await loadError(dir);
    expect(error.message).toContain(join(dir, 'model.json'));
    expect(error.message).toMatch(/not JSON/);
  });

  it('says when the JSON has no modelTopology', async () => {
    const dir = copyOfDemo('no-topology');
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', weightsManifest: [] }));
    const error = await loadError(dir);
    expect(error.message).toContain(join(dir, 'model.json'));
    expect(error.message).toMatch(/modelTopology/);
  });

  // `null` must not reach `json.modelTopology` (a TypeError, shown as a stack trace).
  it.each(['null', '42', '"model"'])('says when the JSON is %s rather than an object', async (content) => {
    const dir = copyOfDemo(`scalar-${content.replace(/\W/g, '')}`);
    writeFileSync(join(dir, 'model.json'), content);
    const error = await loadError(dir);
    expect(error.message).toContain(join(dir, 'model.json'));
  });

  it('names a weight file that is missing', async () => {
    const dir = copyOfDemo('no-weights');
    rmSync(join(dir, 'weights.bin'));
    const error = await loadError(dir);
    expect(error.message).toContain('weights.bin');
    expect(error.message).toContain(join(dir, 'model.json'));
  });
});

describe('writeDemoModel', () => {
  // Auto-generated layer names come from a process-wide counter (conv2d_Conv2D1, then
  // conv2d_Conv2D3, ...): without fixed names, model.json would differ between two writes.
  it('writes byte-identical files twice (seeded weights, fixed layer names)', async () => {
    const a = join(root, 'write-a');
    const b = join(root, 'write-b');
    await writeDemoModel(tf, a);
    await writeDemoModel(tf, b);
    expect(readFileSync(join(b, 'weights.bin')).equals(readFileSync(join(a, 'weights.bin')))).toBe(true);
    expect(readFileSync(join(b, 'model.json'), 'utf8')).toBe(readFileSync(join(a, 'model.json'), 'utf8'));
  });

  it('writes identical weights on every call', async () => {
    const dir = join(root, 'write-c');
    await writeDemoModel(tf, dir);
    expect(readFileSync(join(dir, 'weights.bin')).equals(readFileSync(join(demoDir, 'weights.bin')))).toBe(
      true,
    );
  });
});
