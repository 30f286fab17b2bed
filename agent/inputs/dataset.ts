// `--inputs dataset:<name>`: a labelled image set (Fashion-MNIST, read by the caller: the agent
// does not import models/), cycled, so every record carries whether its answer was right.

import { InputError } from '../../runtime/decode.js';
import { type InputSourceFactory, type LabelledValues, poolSource } from './source.js';

/** Grey images, row-major, 0–255, with one label each. */
export interface LabelledImages {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  side: number;
}

export function datasetSource(set: LabelledImages): InputSourceFactory {
  return async (context) => {
    const pixels = set.side * set.side;
    const per = context.inputShape.reduce((a, b) => a * b, 1);
    if (per !== pixels)
      throw new InputError(
        'shape',
        `the dataset's ${set.side}×${set.side} images do not fit the model's input [${context.inputShape.join(', ')}]`,
      );
    const items: LabelledValues[] = Array.from({ length: set.count }, (_, i) => {
      const values = new Float32Array(pixels);
      // Scaled to 0..1, as models/ trains them.
      for (let p = 0; p < pixels; p++) values[p] = (set.images[i * pixels + p] ?? 0) / 255;
      return { values, label: set.labels[i] ?? null };
    });
    return poolSource('dataset', items, context);
  };
}
