import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmGradients } from '../../models/train/wasm-gradients.js';
import { loadRuntime, type Tf } from '../../runtime/backend.js';

type Tensor = ReturnType<Tf['tensor']>;
type Tensor4D = ReturnType<Tf['tensor4d']>;
let tf: Tf;

beforeAll(async () => {
  tf = (await loadRuntime('wasm')).tf;
  registerWasmGradients(tf);
});

type Case = {
  op: 'conv' | 'depthwise';
  x: number[];
  filter: number[];
  stride: number;
  pad: 'same' | 'valid';
};

/** Gradients of sum(conv(x, f)²) with respect to x and f, on one backend. */
async function gradients(backend: string, c: Case): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as Tensor;
    const f = tf.randomNormal(c.filter, 0, 1, 'float32', 2) as Tensor;
    const loss = (a: Tensor, b: Tensor) => {
      const [a4, b4] = [a as Tensor4D, b as Tensor4D];
      const y =
        c.op === 'conv' ? tf.conv2d(a4, b4, c.stride, c.pad) : tf.depthwiseConv2d(a4, b4, c.stride, c.pad);
      return y.square().sum();
    };
    return tf
      .grads(loss)([x, f])
      .map((g) => g.dataSync() as Float32Array);
  });
}

const CASES: Case[] = [
  { op: 'conv', x: [3, 9, 9, 4], filter: [3, 3, 4, 5], stride: 1, pad: 'same' },
  { op: 'conv', x: [2, 8, 8, 3], filter: [3, 3, 3, 6], stride: 1, pad: 'valid' },
  { op: 'conv', x: [2, 10, 10, 3], filter: [3, 3, 3, 6], stride: 2, pad: 'same' },
  { op: 'conv', x: [2, 9, 9, 3], filter: [3, 3, 3, 6], stride: 2, pad: 'valid' },
  { op: 'conv', x: [2, 7, 7, 8], filter: [1, 1, 8, 4], stride: 1, pad: 'valid' },
  { op: 'depthwise', x: [3, 9, 9, 4], filter: [3, 3, 4, 1], stride: 1, pad: 'same' },
  { op: 'depthwise', x: [2, 8, 8, 5], filter: [3, 3, 5, 1], stride: 1, pad: 'valid' },
  { op: 'depthwise', x: [2, 10, 10, 3], filter: [3, 3, 3, 1], stride: 2, pad: 'same' },
];

describe('WASM convolution gradients', () => {
  it.each(CASES)('match the CPU backend: $op x=$x filter=$filter stride $stride $pad', async (c) => {
    const cpu = await gradients('cpu', c);
    const wasm = await gradients('wasm', c);
    expect(tf.getBackend()).toBe('wasm');
    cpu.forEach((expected, i) => {
      const actual = wasm[i] as Float32Array;
      expect(actual.length).toBe(expected.length);
      const scale = Math.max(...expected.map(Math.abs));
      const worst = Math.max(...expected.map((v, j) => Math.abs(v - (actual[j] ?? Number.NaN))));
      expect(worst / scale).toBeLessThan(1e-5);
    });
  });
});
