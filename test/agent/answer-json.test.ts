// The hand-written answer JSON of POST /v1/infer (agent/api/answer-json.ts) is JSON.stringify's
// text byte for byte: over numbers JSON writes in other forms (exponents, -0, non-finite ones as
// null), strings that need escaping, several rows, a model or sensor that changes between answers
// (the remembered tail), and the shapes it leaves to JSON.stringify (labels, placement, offload).

import { describe, expect, it } from 'vitest';
import type { InferAnswer } from '../../agent/agent.js';
import { AnswerJson } from '../../agent/api/answer-json.js';

function answer(
  overrides: Partial<InferAnswer> = {},
  energy: Partial<InferAnswer['energy']> = {},
): InferAnswer {
  return {
    seq: 1207,
    predictedClass: [2],
    output: [[0.15700000524520874, 0.049, 1e-7, 0, 0.3333333432674408]],
    latencyMs: 1.107,
    queuedMs: 0,
    energy: {
      energyJ: 0.00403,
      uncertaintyJ: 0.00038,
      aboveIdleJ: 0.0010400000000000001,
      baselineW: 2.7,
      sampleCount: 0,
      provenance: 'estimated',
      sensor: 'simulated:rpi4',
      ...energy,
    },
    modelId: 'f6f5fc5a9f2b73b52ec6bbd4ccabf07efd2064c83a4d5fedbe3120538018cf25',
    variant: 'cnn-base',
    backend: 'wasm',
    ...overrides,
  };
}

/** A seeded generator of awkward numbers. */
function awkwardNumbers(seed: number): () => number {
  let state = seed;
  const special = [
    0,
    -0,
    1e21,
    1e-7,
    -1e-7,
    123456789012345680000,
    5e-324,
    Number.NaN,
    Infinity,
    -Infinity,
    0.1,
  ];
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const pick = state % 4;
    if (pick === 0) return special[state % special.length] as number;
    if (pick === 1) return Math.fround((state / 2 ** 32) * 2 - 1);
    if (pick === 2) return (state / 2 ** 32) * 10 ** ((state % 40) - 20);
    return state % 1000;
  };
}

describe('AnswerJson', () => {
  it('writes the usual answer as JSON.stringify does', () => {
    const a = answer();
    expect(new AnswerJson().write(a)).toBe(JSON.stringify(a));
  });

  it('matches JSON.stringify over awkward numbers, several rows and no rows', () => {
    const writer = new AnswerJson();
    const next = awkwardNumbers(14);
    for (let i = 0; i < 300; i++) {
      const rows = i % 7;
      const a = answer(
        {
          seq: i,
          predictedClass: Array.from({ length: rows }, () => i % 10),
          output: Array.from({ length: rows }, () => Array.from({ length: 1 + (i % 11) }, next)),
          latencyMs: next(),
          queuedMs: next(),
        },
        { energyJ: next(), uncertaintyJ: next(), aboveIdleJ: next(), baselineW: next(), sampleCount: i % 3 },
      );
      expect(writer.write(a)).toBe(JSON.stringify(a));
    }
  });

  it('writes the strings anew when the model, backend or sensor changes, escaped as JSON', () => {
    const writer = new AnswerJson();
    const answers = [
      answer(),
      answer({ modelId: 'other', variant: 'pruned "50%"' }),
      answer({ backend: 'tensorflow' }),
      answer({}, { sensor: 'ina219:rpi4 \\ rail\n"5V" — é', provenance: 'measured' }),
      answer(),
    ];
    for (const a of answers) expect(writer.write(a)).toBe(JSON.stringify(a));
  });

  it('leaves labelled, placed and offloaded answers to JSON.stringify', () => {
    const writer = new AnswerJson();
    const shapes = [
      answer({ predictedLabel: ['Pullover'] }),
      { ...answer(), placement: 'edge' as const },
      {
        ...answer({ backend: 'offload' }),
        placement: 'offload' as const,
        offload: { seq: 9, outcome: 'ok' } as unknown as InferAnswer['offload'],
      },
    ];
    for (const a of shapes) expect(writer.write(a)).toBe(JSON.stringify(a));
  });
});
