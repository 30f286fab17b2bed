// The hand-worked example of docs/methodology.md (round 2: idle, PSU, radio tail, server idle,
// training), read from the document, reproduced by the engine to 1e-9 relative: the document and
// the code cannot drift apart unnoticed.

import { describe, expect, it } from 'vitest';
import { compare, parseScenario } from '../../collector/lifecycle/index.js';
import { relativeError, workedExample } from './helpers.js';

describe('worked example of docs/methodology.md', () => {
  const { yaml, expected } = workedExample();
  const result = compare(parseScenario(yaml, 'worked example'));
  const breakEven = result.breakEvenInferencesPerDay;
  const perCorrect = result.perCorrectInference;
  if (!('edge' in perCorrect)) throw new Error('the worked example gives both accuracies');
  const actual: Record<string, number> = {
    ...Object.fromEntries(Object.entries(result.edge.terms).map(([k, v]) => [`edge.${k}`, v.central])),
    ...Object.fromEntries(Object.entries(result.offload.terms).map(([k, v]) => [`offload.${k}`, v.central])),
    'edge.total': result.edge.total.central,
    'offload.total': result.offload.total.central,
    difference: result.difference.central,
    ratio: result.ratio.central,
    'perCorrectInference.edge': perCorrect.edge.central,
    'perCorrectInference.offload': perCorrect.offload.central,
    'perDeviceDay.edge': result.perDeviceDay.edge.central,
    'perDeviceDay.offload': result.perDeviceDay.offload.central,
    'trainingExceededAfter.edge': result.trainingExceededAfter.edge ?? Number.NaN,
    'trainingExceededAfter.offload': result.trainingExceededAfter.offload ?? Number.NaN,
    breakEvenInferencesPerDay: breakEven.inferencesPerDay ?? Number.NaN,
    breakEvenCrossings: breakEven.crossings.length,
  };

  it('the document lists every term, total and derived figure', () => {
    expect([...expected.keys()].sort()).toEqual(Object.keys(actual).sort());
  });

  for (const [name, value] of expected) {
    it(`${name} = ${value} (1e-9 relative)`, () => {
      expect(relativeError(actual[name] as number, value)).toBeLessThan(1e-9);
    });
  }

  it('with one sample every interval is the central value, and edge is lower above the break-even', () => {
    expect(result.edge.total.p5).toBe(result.edge.total.central);
    expect(result.edge.total.p95).toBe(result.edge.total.central);
    expect(result.probabilityEdgeLower).toBe(0);
    expect(breakEven.edgeLowerWhen).toBe('above');
  });

  it('at the crossing the two totals are equal, and the sign of edge − offload flips across it', () => {
    const at = (inferencesPerDay: number) => {
      const scenario = parseScenario(yaml, 'worked example');
      return compare({ ...scenario, workload: { ...scenario.workload, inferencesPerDay } });
    };
    const n = breakEven.inferencesPerDay as number;
    const there = at(n);
    expect(relativeError(there.edge.total.central, there.offload.total.central)).toBeLessThan(1e-12);
    expect(at(n * (1 - 1e-6)).difference.central).toBeGreaterThan(0);
    expect(at(n * (1 + 1e-6)).difference.central).toBeLessThan(0);
  });
});
