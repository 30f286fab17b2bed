// Energy attribution of a batch: the requests' shares (above idle, plus the idle share reported
// apart) sum exactly to the energy the meter measured, split by the inputs each request brought;
// and the engine puts a whole batch through one meter window and cuts the outputs back per request.

import { describe, expect, it } from 'vitest';
import { attributeBatch } from '../../serve/attribution.js';
import { inThread } from '../../serve/compute.js';
import type { ComputeMarks, EnergyMeter, WindowEnergy } from '../../serve/energy/meter.js';
import { BatchEngine } from '../../serve/engine.js';
import type { ServedModel } from '../../serve/model.js';

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('attributeBatch', () => {
  it('sums to the measured energy and splits by inputs, idle share apart', () => {
    // 2 J over 0.1 s at 5 W idle: 0.5 J idle, 1.5 J of work; requests of 1, 1 and 2 inputs.
    const shares = attributeBatch({ grossJ: 2, uncertaintyJ: 0.4, idleW: 5, durationS: 0.1 }, [1, 1, 2]);
    expect(sum(shares.map((s) => s.requestJ + s.idleShareJ))).toBeCloseTo(2, 12);
    expect(sum(shares.map((s) => s.idleShareJ))).toBeCloseTo(0.5, 12);
    expect(shares.map((s) => s.requestJ)).toEqual([0.375, 0.375, 0.75]);
    expect(shares.map((s) => s.uncertaintyJ)).toEqual([0.1, 0.1, 0.2]);
  });

  it('holds the sum over many random batches', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 500; trial++) {
      const window: WindowEnergy = {
        grossJ: random() * 50,
        uncertaintyJ: random(),
        idleW: random() * 200,
        durationS: random() * 0.5,
      };
      const counts = Array.from(
        { length: 1 + Math.floor(random() * 64) },
        () => 1 + Math.floor(random() * 4),
      );
      const shares = attributeBatch(window, counts);
      expect(sum(shares.map((s) => s.requestJ + s.idleShareJ))).toBeCloseTo(window.grossJ, 9);
      expect(shares.every((s) => s.requestJ >= 0 && s.idleShareJ >= 0)).toBe(true);
    }
  });

  it('gives a window that read below idle power wholly to the idle share, never a negative request', () => {
    const shares = attributeBatch({ grossJ: 0.3, uncertaintyJ: 0, idleW: 10, durationS: 0.1 }, [1, 1]);
    expect(shares.map((s) => s.requestJ)).toEqual([0, 0]);
    expect(sum(shares.map((s) => s.idleShareJ))).toBeCloseTo(0.3, 12);
  });

  it('refuses a request without inputs', () => {
    expect(() => attributeBatch({ grossJ: 1, uncertaintyJ: 0, idleW: 0, durationS: 1 }, [1, 0])).toThrow(
      RangeError,
    );
  });
});

describe('BatchEngine', () => {
  it('runs the whole batch in one meter window and returns each request its outputs and share', async () => {
    const calls: number[] = [];
    // A model of 2 values per input whose output is the input's first value and its double.
    const model: ServedModel = {
      id: 'x',
      variant: 'v',
      format: 'onnx',
      backend: 'onnx-cpu',
      inputShape: [2],
      outputSize: 2,
      signedBy: null,
      async run(values, count) {
        calls.push(count);
        const out = new Float32Array(count * 2);
        for (let i = 0; i < count; i++) {
          out[i * 2] = values[i * 2] ?? 0;
          out[i * 2 + 1] = 2 * (values[i * 2] ?? 0);
        }
        return out;
      },
      dispose: async () => undefined,
    };
    let windows = 0;
    const closedWith: (ComputeMarks | undefined)[] = [];
    const meter: EnergyMeter = {
      provenance: 'rapl',
      method: 'fake',
      markSource: { kind: 'process-cpu' },
      begin: () => {
        windows++;
        return { startNs: 0n, mark: 0 };
      },
      end: (_window, marks) => {
        closedWith.push(marks);
        return { grossJ: 3, uncertaintyJ: 0.3, idleW: 10, durationS: 0.2 };
      },
      idleW: () => 10,
      close: async () => undefined,
    };
    const engine = new BatchEngine(inThread(model), meter);
    const results = await engine.run([
      { values: Float32Array.from([1, 0]), count: 1 },
      { values: Float32Array.from([2, 0, 3, 0]), count: 2 },
    ]);
    expect(calls).toEqual([3]);
    expect(windows).toBe(1);
    // The window is closed over the marks read right around the model call (CPU time, as asked).
    const marks = closedWith[0];
    expect(closedWith).toHaveLength(1);
    expect(marks?.start.values).toHaveLength(1);
    expect((marks?.end.ns ?? 0n) >= (marks?.start.ns ?? 1n)).toBe(true);
    expect(Array.from(results[0]?.output ?? [])).toEqual([1, 2]);
    expect(Array.from(results[1]?.output ?? [])).toEqual([2, 4, 3, 6]);
    expect(results.map((r) => r.energy.requestJ)).toEqual([1 / 3, 2 / 3]);
    expect(sum(results.map((r) => r.energy.requestJ + r.energy.idleShareJ))).toBeCloseTo(3, 12);
    expect(engine.totals).toMatchObject({ inputs: 3, computeS: 0.2 });
    expect(engine.totals.attributedJ + engine.totals.idleInBatchesJ).toBeCloseTo(3, 12);
  });
});
