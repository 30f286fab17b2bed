// The architectures `edgewatt model train` can build, by name: one line each.

import type { Tf } from '../../runtime/backend.js';
import { buildCnn } from './cnn.js';
import { buildDsCnn } from './dscnn.js';

type LayersModel = ReturnType<Tf['sequential']>;

export interface Architecture {
  name: string;
  description: string;
  build(tf: Tf, seed: number): LayersModel;
}

export const ARCHITECTURES: readonly Architecture[] = [
  {
    name: 'cnn',
    description: 'small CNN: 2 conv 3×3 (32, 64) + max pooling, dense 64',
    build: (tf, seed) => buildCnn(tf, undefined, seed),
  },
  {
    name: 'dscnn',
    description:
      'MobileNet-style: strided stem + 4 depthwise-separable blocks (64, 64, 128, 128), global pooling',
    build: (tf, seed) => buildDsCnn(tf, undefined, seed),
  },
];

export const ARCHITECTURE_NAMES = ARCHITECTURES.map((a) => a.name) as [string, ...string[]];

export function architectureByName(name: string): Architecture {
  const found = ARCHITECTURES.find((a) => a.name === name);
  if (found === undefined) {
    throw new Error(`unknown architecture ${JSON.stringify(name)}; known: ${ARCHITECTURE_NAMES.join(', ')}`);
  }
  return found;
}
