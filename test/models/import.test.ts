// `model import` (models/artifact/import.ts): the ONNX fixture's manifest gets the counts its
// graph gives (Flatten → Gemm 784 × 10 → Softmax: 7,850 parameters, 7,840 multiply-adds, input
// 28×28×1), an operator whose cost needs shapes is named as not counted, a graph without a fixed
// input shape needs --input-shape, and a TF.js layers folder gets the same FLOPs and id as the
// zoo's own manifest says — so the manifest is as trustworthy as one `model train` writes.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { importModel } from '../../models/artifact/import.js';
import { summariseOnnx } from '../../models/artifact/onnx-graph.js';
import { sha256 } from '../../protocol/manifest/index.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/onnx/tiny/model.onnx', import.meta.url));
const ZOO = fileURLToPath(new URL('../../models/zoo/cnn-base', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'edgewatt-import-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The fixture with a known string replaced by another of the same length (the protobuf stays valid). */
function edited(from: string, to: string): Buffer {
  const bytes = readFileSync(FIXTURE);
  const at = bytes.indexOf(Buffer.from(from));
  if (at < 0) throw new Error(`${from} is not in the fixture`);
  const out = Buffer.from(bytes);
  out.write(to, at);
  return out;
}

describe('model import', () => {
  it('counts the ONNX fixture: parameters, Gemm multiply-adds, input shape', () => {
    const graph = summariseOnnx(readFileSync(FIXTURE));
    expect(graph).toMatchObject({ params: 7850, macs: 7840, inputShape: [28, 28, 1], uncounted: [] });
    expect(graph.operators).toEqual(['Flatten', 'Gemm', 'Softmax']);
  });

  it('names a multiplying operator it cannot count instead of counting it as zero silently', () => {
    // "Gemm" → "Conv": same length, so the protobuf stays valid.
    const graph = summariseOnnx(edited('Gemm', 'Conv'));
    expect(graph.macs).toBe(0);
    expect(graph.uncounted).toEqual(['Conv']);
  });

  it('refuses bytes that are not an ONNX model', () => {
    expect(() => summariseOnnx(Buffer.from('{"not":"onnx"}'))).toThrow(/ONNX/);
  });

  it('writes an ONNX manifest that model sign and the agent accept', async () => {
    const out = join(root, 'onnx');
    const { manifest, format } = await importModel({
      source: FIXTURE,
      out,
      name: 'tiny',
      labels: ['a', 'b'],
    });
    expect(format).toBe('onnx');
    expect(manifest).toMatchObject({
      format: 'onnx',
      variant: 'tiny',
      id: sha256(readFileSync(FIXTURE)),
      flops: 7840,
      params: 7850,
      inputShape: [28, 28, 1],
      labels: ['a', 'b'],
      files: [{ path: 'model.onnx', bytes: readFileSync(FIXTURE).length }],
    });
    expect(manifest.flopsUncounted).toBeUndefined();
    expect(readFileSync(join(out, 'model.onnx')).equals(readFileSync(FIXTURE))).toBe(true);
  });

  it('refuses an --input-shape that contradicts the graph', async () => {
    await expect(
      importModel({ source: FIXTURE, out: join(root, 'bad-shape'), inputShape: [784] }),
    ).rejects.toThrow(/--input-shape 784 differs from the graph's input \[28, 28, 1\]/);
  });

  it('imports a TF.js layers folder with the FLOPs, parameters and id of its own manifest, and no ONNX-only fields', async () => {
    const zoo = JSON.parse(readFileSync(join(ZOO, 'manifest.json'), 'utf8'));
    const { manifest, format } = await importModel({ source: ZOO, out: join(root, 'tfjs') });
    expect(format).toBe('layers-model');
    expect(manifest.id).toBe(zoo.id);
    expect(manifest.flops).toBe(zoo.flops);
    expect(manifest.params).toBe(zoo.params);
    expect(manifest.inputShape).toEqual(zoo.inputShape);
    expect(manifest.files).toEqual(zoo.files);
    expect('format' in manifest).toBe(false);
  });
});
