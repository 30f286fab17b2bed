// Inputs for the model: a small pool of seeded random tensors, made once so that making inputs
// never falls inside a measured window. Ground truth is unknown for these, so `correct` is null;
// dataset inputs with labels come with models/.

import type { Tf } from './backend.js';

type Tensor = ReturnType<Tf['tensor']>;

export interface InputPool {
  next(): { input: Tensor; label: number | null };
  dispose(): void;
}

export function randomInputPool(
  tf: Tf,
  shape: readonly number[],
  batchSize: number,
  size = 8,
  seed = 42,
): InputPool {
  const tensors = Array.from({ length: size }, (_, index) =>
    tf.randomUniform([batchSize, ...shape], 0, 1, 'float32', seed + index),
  );
  let cursor = 0;
  return {
    next() {
      const input = tensors[cursor % tensors.length];
      cursor++;
      if (input === undefined) throw new Error('input pool is empty');
      return { input, label: null };
    },
    dispose() {
      for (const tensor of tensors) tensor.dispose();
    },
  };
}
