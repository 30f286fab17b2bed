// The small CNN for 28×28 grey images: two 3×3 convolutions with max pooling, one hidden dense
// layer, softmax over 10 classes. Widths are parameters so that the same builder describes a base
// model and, for tests, any pruned shape. Layer names are fixed (see models/demo/demo-cnn.ts).

import type { Tf } from '../../runtime/backend.js';

export interface CnnWidths {
  conv1: number;
  conv2: number;
  dense1: number;
}

export const CNN_BASE: CnnWidths = { conv1: 32, conv2: 64, dense1: 64 };

export function buildCnn(tf: Tf, widths: CnnWidths = CNN_BASE, seed = 1) {
  const init = (offset: number) => tf.initializers.heNormal({ seed: seed + offset });
  return tf.sequential({
    name: 'cnn',
    layers: [
      tf.layers.conv2d({
        name: 'conv1',
        inputShape: [28, 28, 1],
        filters: widths.conv1,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(0),
      }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({
        name: 'conv2',
        filters: widths.conv2,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({
        name: 'dense1',
        units: widths.dense1,
        activation: 'relu',
        kernelInitializer: init(2),
      }),
      tf.layers.dense({
        name: 'logits',
        units: 10,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }),
      }),
    ],
  });
}
