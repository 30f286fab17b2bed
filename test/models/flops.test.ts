import { beforeAll, describe, expect, it } from 'vitest';
import { countCost } from '../../models/analysis/flops.js';
import { buildCnn } from '../../models/arch/cnn.js';
import { buildDsCnn } from '../../models/arch/dscnn.js';
import { buildMobileNetV1 } from '../../models/arch/mobilenet-v1.js';
import { loadRuntime, type Tf } from '../../runtime/backend.js';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadRuntime('wasm')).tf;
});

describe('countCost', () => {
  // Howard et al. 2017, table 1 and 8: 569 million multiply-adds, 4.2 million parameters.
  // Keras' MobileNet (with batch-norm statistics) reports 4,253,864 parameters.
  it('gives MobileNetV1 at 224×224 about 569 M multiply-adds and 4.25 M parameters', () => {
    const model = buildMobileNetV1(tf);
    const cost = countCost(model);
    model.dispose();
    expect(cost.macs).toBe(568_740_352);
    expect(Math.abs(cost.macs - 569e6) / 569e6).toBeLessThan(0.005);
    expect(cost.params).toBe(4_253_864);
  });

  it('counts the small CNN layer by layer as worked out by hand', () => {
    const model = buildCnn(tf);
    const cost = countCost(model);
    model.dispose();
    const byName = Object.fromEntries(cost.layers.map((l) => [l.name, l.macs]));
    expect(byName.conv1).toBe(26 * 26 * 32 * 3 * 3 * 1);
    expect(byName.conv2).toBe(11 * 11 * 64 * 3 * 3 * 32);
    expect(byName.dense1).toBe(5 * 5 * 64 * 64);
    expect(byName.logits).toBe(64 * 10);
    expect(byName.pool1).toBe(0);
    expect(cost.macs).toBe(2_528_000);
    expect(cost.params).toBe(320 + 18_496 + 102_464 + 650);
  });

  it('counts depthwise layers as k² × channels per output position', () => {
    const model = buildDsCnn(tf);
    const cost = countCost(model);
    model.dispose();
    const byName = Object.fromEntries(cost.layers.map((l) => [l.name, l.macs]));
    expect(byName.stem).toBe(14 * 14 * 32 * 9);
    expect(byName.b1_dw).toBe(14 * 14 * 32 * 9);
    expect(byName.b1_pw).toBe(14 * 14 * 32 * 64);
    expect(byName.b3_dw).toBe(7 * 7 * 64 * 9);
    expect(byName.logits).toBe(128 * 10);
  });

  it('scales with the input side squared for a fully convolutional network', () => {
    // 448 = 2 × 224 keeps every strided size exact (448 / 32 = 14).
    const large = buildMobileNetV1(tf, 448, 1000);
    const cost = countCost(large);
    large.dispose();
    // Every conv layer grows 4×; the classifier (1.024 M) does not.
    expect(cost.macs).toBe((568_740_352 - 1_024_000) * 4 + 1_024_000);
  });
});
