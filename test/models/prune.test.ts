import { beforeAll, describe, expect, it } from 'vitest';
import { countCost } from '../../models/analysis/flops.js';
import { buildCnn } from '../../models/arch/cnn.js';
import { buildDsCnn } from '../../models/arch/dscnn.js';
import { applyPlan, keptCount, planPruning } from '../../models/prune/plan.js';
import { l1Norms, prunableLayers, topChannels } from '../../models/prune/rank.js';
import { PruneError, removeChannels } from '../../models/prune/surgery.js';
import { loadRuntime, type Tf } from '../../runtime/backend.js';

type LayersModel = ReturnType<Tf['sequential']>;
type Tensor = ReturnType<Tf['tensor']>;

let tf: Tf;
beforeAll(async () => {
  tf = (await loadRuntime('wasm')).tf;
});

/** Sets output channel `channels` of `layerName` to zero: kernel slice and bias. */
function zeroChannels(model: LayersModel, layerName: string, channels: readonly number[]): void {
  const layer = model.getLayer(layerName);
  const next = layer.getWeights().map((w) => {
    const values = w.arraySync() as unknown;
    const zero = (node: unknown, depth: number): unknown => {
      if (!Array.isArray(node)) return node;
      if (depth === w.rank - 1) return node.map((v, i) => (channels.includes(i) ? 0 : v));
      return node.map((child) => zero(child, depth + 1));
    };
    return tf.tensor(zero(values, 0) as number[], w.shape);
  });
  layer.setWeights(next);
}

function outputs(model: LayersModel, input: Tensor): Float32Array {
  return tf.tidy(() => (model.predict(input) as Tensor).dataSync() as Float32Array);
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  return Math.max(...a.map((v, i) => Math.abs(v - (b[i] ?? Number.NaN))));
}

describe('removeChannels', () => {
  it('leaves the CNN outputs unchanged when the removed channels were all zero', async () => {
    const model = buildCnn(tf, undefined, 3);
    const removed = { conv1: [0, 5, 31], conv2: [1, 2, 40, 63], dense1: [7, 8, 9] };
    for (const [name, channels] of Object.entries(removed)) zeroChannels(model, name, channels);
    const widths = { conv1: 32, conv2: 64, dense1: 64 } as Record<string, number>;
    const keep = new Map(
      Object.entries(removed).map(([name, gone]) => [
        name,
        Array.from({ length: widths[name] ?? 0 }, (_, i) => i).filter((i) => !gone.includes(i)),
      ]),
    );
    const pruned = await removeChannels(tf, model, keep);
    const input = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 11);
    expect(maxDifference(outputs(model, input), outputs(pruned, input))).toBeLessThan(1e-5);
    // The layers really are smaller: kernels, biases, and the next layer's inputs.
    expect(pruned.getLayer('conv1').getWeights()[0]?.shape).toEqual([3, 3, 1, 29]);
    expect(pruned.getLayer('conv2').getWeights()[0]?.shape).toEqual([3, 3, 29, 60]);
    expect(pruned.getLayer('dense1').getWeights()[0]?.shape).toEqual([5 * 5 * 60, 61]);
    expect(pruned.getLayer('logits').getWeights()[0]?.shape).toEqual([61, 10]);
    expect(countCost(pruned).params).toBeLessThan(countCost(model).params);
    input.dispose();
  });

  it('leaves the depthwise-separable network unchanged too (depthwise channels follow the pointwise cut)', async () => {
    const model = buildDsCnn(tf, undefined, 5);
    zeroChannels(model, 'stem', [3, 4]);
    zeroChannels(model, 'b2_pw', [0, 10, 20]);
    const keep = new Map([
      ['stem', Array.from({ length: 32 }, (_, i) => i).filter((i) => i !== 3 && i !== 4)],
      ['b2_pw', Array.from({ length: 64 }, (_, i) => i).filter((i) => ![0, 10, 20].includes(i))],
    ]);
    const pruned = await removeChannels(tf, model, keep);
    const input = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 12);
    expect(maxDifference(outputs(model, input), outputs(pruned, input))).toBeLessThan(1e-5);
    expect(pruned.getLayer('b1_dw').getWeights()[0]?.shape).toEqual([3, 3, 30, 1]);
    expect(pruned.getLayer('b3_dw').getWeights()[0]?.shape).toEqual([3, 3, 61, 1]);
    input.dispose();
  });

  it('changes the outputs when non-zero channels are removed (the check above can fail)', async () => {
    const model = buildCnn(tf, undefined, 3);
    const keep = new Map([['conv2', Array.from({ length: 60 }, (_, i) => i)]]);
    const pruned = await removeChannels(tf, model, keep);
    const input = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 13);
    expect(maxDifference(outputs(model, input), outputs(pruned, input))).toBeGreaterThan(1e-4);
    input.dispose();
  });

  it('refuses to prune a layer that has no output channels of its own', async () => {
    const model = buildCnn(tf);
    await expect(removeChannels(tf, model, new Map([['pool1', [0]]]))).rejects.toThrow(PruneError);
    await expect(removeChannels(tf, model, new Map([['nope', [0]]]))).rejects.toThrow(/no layer named nope/);
  });
});

describe('ranking by L1 norm', () => {
  it('keeps the channels with the largest absolute weights, in their original order', () => {
    expect(topChannels(Float32Array.of(0.5, 3, 0.1, 2, 2), 3)).toEqual([1, 3, 4]);
  });

  it('measures each filter over its whole kernel', () => {
    const model = buildCnn(tf, undefined, 3);
    zeroChannels(model, 'conv1', [2]);
    const norms = l1Norms(model, 'conv1');
    expect(norms.length).toBe(32);
    expect(norms[2]).toBe(0);
    expect(norms[0]).toBeGreaterThan(0);
  });

  it('never offers the class-score layer for pruning', () => {
    expect(prunableLayers(buildCnn(tf)).map((l) => l.name)).toEqual(['conv1', 'conv2', 'dense1']);
    expect(prunableLayers(buildDsCnn(tf)).map((l) => l.name)).toEqual([
      'stem',
      'b1_pw',
      'b2_pw',
      'b3_pw',
      'b4_pw',
    ]);
  });
});

describe('planPruning', () => {
  it('reaches the FLOPs target with the smallest uniform channel fraction', async () => {
    const model = buildCnn(tf);
    const plan = await planPruning(tf, model, 0.5);
    expect(plan.flopsReduction).toBeGreaterThanOrEqual(0.5);
    expect(plan.flopsReduction).toBeLessThan(0.53);
    const pruned = await applyPlan(tf, model, plan);
    expect(countCost(pruned).macs).toBe(plan.prunedMacs);
    expect(1 - countCost(pruned).macs / countCost(model).macs).toBeCloseTo(plan.flopsReduction, 10);
  });

  it.each([8, 16])('keeps channel counts in multiples of %i in hardware-aware mode', async (multiple) => {
    const plan = await planPruning(tf, buildDsCnn(tf), 0.4, multiple);
    for (const count of Object.values(plan.keepCounts)) expect(count % multiple).toBe(0);
    expect(plan.flopsReduction).toBeGreaterThanOrEqual(0.4);
  });

  it('rounds to the nearest block but never below one block or above the layer width', () => {
    expect(keptCount(64, 0.3, 8)).toBe(48); // 44.8 → 48
    expect(keptCount(64, 0.35, 16)).toBe(48); // 41.6 → 48
    expect(keptCount(32, 0.95, 16)).toBe(16);
    expect(keptCount(10, 0.1, 16)).toBe(10);
    expect(keptCount(64, 0.3, 1)).toBe(45);
  });

  it('says when a target is out of range', async () => {
    await expect(planPruning(tf, buildCnn(tf), 1.2)).rejects.toThrow(/between 0 and 1/);
  });
});
