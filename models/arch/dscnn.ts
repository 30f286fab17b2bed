// A MobileNet-style network for 28×28 grey images: a strided 3×3 stem, then depthwise-separable
// blocks (3×3 depthwise + bias → ReLU → 1×1 pointwise + bias → ReLU), max pooling between the two
// stages, global average pooling and a softmax over 10 classes. No batch norm: its gradient runs
// through WASM's slow Tile kernel (6× the rest of a training step here), and at this depth Adam
// trains without it. Depthwise layers use stride 1 (the stem and the pooling downsample).

import type { Tf } from '../../runtime/backend.js';

type Layer = ReturnType<Tf['sequential']>['layers'][number];

export interface DsCnnWidths {
  stem: number;
  /** Pointwise output channels of each block; a pool halves the resolution after block 2. */
  blocks: [number, number, number, number];
}

export const DSCNN_BASE: DsCnnWidths = { stem: 32, blocks: [64, 64, 128, 128] };

export function buildDsCnn(tf: Tf, widths: DsCnnWidths = DSCNN_BASE, seed = 1) {
  const init = (offset: number) => tf.initializers.heNormal({ seed: seed + offset });
  const layers: Layer[] = [
    tf.layers.conv2d({
      name: 'stem',
      inputShape: [28, 28, 1],
      filters: widths.stem,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(0),
    }),
  ];
  widths.blocks.forEach((filters, i) => {
    const b = `b${i + 1}`;
    layers.push(
      tf.layers.depthwiseConv2d({
        name: `${b}_dw`,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        depthwiseInitializer: init(10 + i),
      }),
      tf.layers.conv2d({
        name: `${b}_pw`,
        filters,
        kernelSize: 1,
        activation: 'relu',
        kernelInitializer: init(20 + i),
      }),
    );
    if (i === 1) layers.push(tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }));
  });
  layers.push(
    tf.layers.globalAveragePooling2d({ name: 'gap' }),
    tf.layers.dense({
      name: 'logits',
      units: 10,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 30 }),
    }),
  );
  return tf.sequential({ name: 'dscnn', layers });
}
