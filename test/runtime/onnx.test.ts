// The committed ONNX fixture (made by test/fixtures/onnx/make-tiny.mjs) runs on the native CPU
// runtime and on the WebAssembly one, and both give the known answer: softmax(flatten(x) · W + b)
// with W and b from the script's seeded generator, computed here in plain JS.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openOnnx, openOnnxFile } from '../../runtime/onnx.js';

const MODEL = fileURLToPath(new URL('../fixtures/onnx/tiny/model.onnx', import.meta.url));

/** The generator of make-tiny.mjs: uniform in [-0.05, 0.05) from an LCG. */
function seeded(count: number, seed: number): number[] {
  let state = seed >>> 0;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 0.1;
  });
}

function expectedOutput(input: Float32Array): number[] {
  const weight = Float32Array.from(seeded(7840, 1));
  const bias = Float32Array.from(seeded(10, 2));
  const logits = Array.from({ length: 10 }, (_, j) => {
    let sum = bias[j] ?? 0;
    for (let i = 0; i < 784; i++) sum += (input[i] ?? 0) * (weight[i * 10 + j] ?? 0);
    return sum;
  });
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

const input = Float32Array.from({ length: 784 }, (_, i) => (i % 29) / 28);

describe('ONNX runtime (runtime/onnx.ts)', () => {
  it('runs the fixture on onnxruntime-node (onnx-cpu) with the known answer', async () => {
    const model = await openOnnxFile(MODEL);
    try {
      expect(model.backend).toBe('onnx-cpu');
      expect(model.skipped).toEqual([]);
      const output = await model.run(input, [1, 28, 28, 1]);
      expect(output).toHaveLength(10);
      for (const [j, p] of expectedOutput(input).entries()) expect(output[j]).toBeCloseTo(p, 5);
    } finally {
      await model.dispose();
    }
  });

  it('falls back to onnxruntime-web (onnx-wasm) when the native runtime is not in the order, same answer', async () => {
    const model = await openOnnx(readFileSync(MODEL), ['onnx-wasm']);
    try {
      expect(model.backend).toBe('onnx-wasm');
      const output = await model.run(input, [1, 28, 28, 1]);
      for (const [j, p] of expectedOutput(input).entries()) expect(output[j]).toBeCloseTo(p, 5);
    } finally {
      await model.dispose();
    }
  });

  it('says why each runtime failed for bytes that are not an ONNX model', async () => {
    await expect(openOnnx(new TextEncoder().encode('{"not":"onnx"}'))).rejects.toThrow(
      /no ONNX runtime could open the model: onnx-cpu: .+; onnx-wasm: .+/,
    );
  });
});
