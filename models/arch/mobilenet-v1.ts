// MobileNetV1 (Howard et al., 2017, table 1) at width multiplier 1 for 224×224×3 inputs: the
// reference architecture the FLOPs counter is checked against (the paper gives 569 million
// multiply-adds and 4.2 million parameters). Built without training: only its shape matters.

import type { Tf } from '../../runtime/backend.js';

type Layer = ReturnType<Tf['sequential']>['layers'][number];

/** Pointwise filters and depthwise stride of the 13 depthwise-separable blocks. */
const BLOCKS: readonly [number, number][] = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [1024, 2],
  [1024, 1],
];

export function buildMobileNetV1(tf: Tf, inputSide = 224, classes = 1000) {
  const layers: Layer[] = [
    tf.layers.conv2d({
      name: 'conv1',
      inputShape: [inputSide, inputSide, 3],
      filters: 32,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
    }),
    tf.layers.batchNormalization({ name: 'conv1_bn' }),
    tf.layers.reLU({ name: 'conv1_relu', maxValue: 6 }),
  ];
  BLOCKS.forEach(([filters, stride], i) => {
    layers.push(
      tf.layers.depthwiseConv2d({
        name: `dw${i + 1}`,
        kernelSize: 3,
        strides: stride,
        padding: 'same',
        useBias: false,
      }),
      tf.layers.batchNormalization({ name: `dw${i + 1}_bn` }),
      tf.layers.reLU({ name: `dw${i + 1}_relu`, maxValue: 6 }),
      tf.layers.conv2d({ name: `pw${i + 1}`, filters, kernelSize: 1, useBias: false }),
      tf.layers.batchNormalization({ name: `pw${i + 1}_bn` }),
      tf.layers.reLU({ name: `pw${i + 1}_relu`, maxValue: 6 }),
    );
  });
  layers.push(
    tf.layers.globalAveragePooling2d({ name: 'gap' }),
    tf.layers.dense({ name: 'fc', units: classes, activation: 'softmax' }),
  );
  return tf.sequential({ name: 'mobilenet_v1', layers });
}
