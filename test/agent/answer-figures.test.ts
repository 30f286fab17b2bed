// agent.infer() answers before its record is built (agent/serve/record.ts): the answer's figures
// must be the record's to the last bit (rounded as the wire rounds them), and its rows and
// predicted classes those of the call's output, as the edge path always answered them.

import { describe, expect, it } from 'vitest';
import type { InferenceRun } from '../../agent/measure/runner.js';
import type { AttributedInference } from '../../agent/measure/windows.js';
import { answerFigures, answerRowsOf, recordOf } from '../../agent/serve/record.js';

/** An inference with figures that the wire's resolution rounds (sub-nJ, sub-µW, sub-µs). */
function inference(seed: number): AttributedInference<number | null> {
  const startNs = 5_000_000_000n + BigInt(seed);
  const run: InferenceRun = {
    window: { startNs, endNs: startNs + BigInt(412_345 + seed * 7919), cpuUs: 400 },
    startUs: 1_700_000_000_000_000 + seed,
    inputBytes: 3136,
    outputBytes: 40,
    argmax: 2,
    output: new Float32Array(10),
  };
  return {
    run,
    label: null,
    energy: {
      energyJ: 0.001234567891234 * (1 + seed / 97),
      uncertaintyJ: 0.000345678912345 * (1 + seed / 89),
      baselineW: 2.7123456789 + seed / 1e7,
      sampleCount: 0,
      provenance: 'estimated',
    },
    method: 'single',
    windowInferences: 1,
  };
}

const context = {
  model: { id: 'a'.repeat(64), variant: 'cnn-base' },
  sensorLabel: 'simulated:rpi4',
  backend: 'wasm',
  batchSize: 1,
  inputSource: 'library' as const,
};

describe('answerFigures', () => {
  it("equals the record's duration, energy, uncertainty and baseline bit for bit (500 windows)", () => {
    for (let seed = 0; seed < 500; seed++) {
      const measured = inference(seed);
      const record = recordOf(measured, context);
      const figures = answerFigures(measured);
      expect(figures).toEqual({
        durationUs: record.durationUs,
        energyJ: record.energyJ,
        energyUncertaintyJ: record.energyUncertaintyJ,
        baselineW: record.baselineW,
      });
      // Rounded, not the raw estimate (the wire carries nJ and µW).
      expect(figures.energyJ).not.toBe(measured.energy.energyJ);
    }
  });
});

describe('answerRowsOf', () => {
  it('gives one row per input and the first index of its largest value', () => {
    const values = new Float32Array([0.1, 0.7, 0.2, 0.5, 0.5, 0.0]);
    const { output, predictedClass } = answerRowsOf(values, 2);
    expect(output).toEqual([Array.from(values.subarray(0, 3)), Array.from(values.subarray(3))]);
    expect(predictedClass).toEqual([1, 0]);
  });

  it('predicts -1 for a row that holds NaN, as indexOf(Math.max(...row)) did', () => {
    expect(answerRowsOf([0.2, Number.NaN, 0.9], 1).predictedClass).toEqual([-1]);
  });
});
