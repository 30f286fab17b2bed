// A deterministic experiment analysis in the contract's shape (/work/notes/experiment-contract.md)
// for the report's tests: four boards, two arms in a crossover, arm B about 7 % cheaper.

import type { AnalysisResult as ReportAnalysis } from '../../collector/experiments/analysis-result.js';

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function fixtureAnalysis(options: { boards?: number; seed?: number } = {}): ReportAnalysis {
  const random = lcg(options.seed ?? 7);
  const devices = Array.from({ length: options.boards ?? 4 }, (_, i) => `pi4-0${i + 1}`);
  const arms = ['full', 'pruned-50'];
  const startMs = Date.parse('2026-11-20T08:00:00Z');
  const periodS = 600;
  const washoutS = 60;
  const periods = 4;
  const schedule: ReportAnalysis['schedule'] = [];
  const perBoardPeriod: ReportAnalysis['perBoardPeriod'] = [];
  const timeSeries: ReportAnalysis['timeSeries'] = [];
  devices.forEach((device, d) => {
    const boardJ = 0.05 + 0.01 * d;
    const points: ReportAnalysis['timeSeries'][number]['points'] = [];
    for (let period = 0; period < periods; period++) {
      const arm = arms[(period + d) % 2] as string;
      const start = startMs + period * periodS * 1000;
      schedule.push({
        device,
        period,
        arm,
        start: new Date(start).toISOString(),
        end: new Date(start + periodS * 1000).toISOString(),
        washoutEnd: new Date(start + washoutS * 1000).toISOString(),
      });
      const meanJ = boardJ * (arm === 'full' ? 1 : 0.93);
      for (let t = 0; t < periodS; t += 30) {
        points.push([start + t * 1000, meanJ * (1 + 0.03 * (random() - 0.5)), arm, t < washoutS]);
      }
      perBoardPeriod.push({
        device,
        period,
        arm,
        n: 1800,
        meanEnergyJ: meanJ,
        meanAboveIdleJ: meanJ * 0.6,
        p95LatencyMs: arm === 'full' ? 41 : 33,
        accuracy: arm === 'full' ? 0.91 + 0.01 * random() : 0.89 + 0.01 * random(),
        excluded: { warmup: 20, washout: 180, wrongArm: 0 },
      });
    }
    timeSeries.push({ device, points });
  });
  const histogram = (centerMs: number): [number, number][] =>
    Array.from({ length: 20 }, (_, i) => [
      20 + i * 2,
      Math.round(1000 * Math.exp(-(((20 + i * 2 - centerMs) / 5) ** 2))),
    ]);
  return {
    schema: 'edgewatt.experiment-analysis/1',
    generatedAt: '2026-11-20T09:00:00.000Z',
    experiment: {
      id: 'prune-vs-full',
      design: 'crossover',
      arms: [
        { id: 'full', model: 'kws-cnn', variant: 'full', placement: 'edge' },
        { id: 'pruned-50', model: 'kws-cnn', variant: 'pruned-50', placement: 'edge' },
      ],
      seed: 42,
      periods,
      periodS,
      washoutS,
      warmupS: 30,
      devices,
      startedAt: new Date(startMs).toISOString(),
      endedAt: new Date(startMs + periods * periodS * 1000).toISOString(),
    },
    schedule,
    perBoardPeriod,
    arms: [
      {
        arm: 'full',
        n: 14400,
        boards: devices.length,
        energyJ: { mean: 0.065, lo: 0.058, hi: 0.072 },
        latencyP95Ms: 41,
        accuracy: 0.915,
        carbonPerInferenceG: { central: 0.0061, lo: 0.004, hi: 0.0089 },
        carbonPerCorrectG: { central: 0.0067, lo: 0.0044, hi: 0.0097 },
        provenance: 'measured (ina219)',
      },
      {
        arm: 'pruned-50',
        n: 14400,
        boards: devices.length,
        energyJ: { mean: 0.0605, lo: 0.054, hi: 0.067 },
        latencyP95Ms: 33,
        accuracy: 0.895,
        carbonPerInferenceG: { central: 0.0057, lo: 0.0037, hi: 0.0083 },
        carbonPerCorrectG: { central: 0.0064, lo: 0.0041, hi: 0.0093 },
        provenance: 'measured (ina219)',
      },
    ],
    contrasts: [
      {
        a: 'full',
        b: 'pruned-50',
        metric: 'energyJ',
        diff: -0.00455,
        relDiff: -0.07,
        lo: -0.0052,
        hi: -0.0039,
        relLo: -0.08,
        relHi: -0.06,
        pValue: 0.001,
        method: 'paired board-level bootstrap',
        bootstrapN: 2000,
        seed: 42,
        boards: devices.length,
        significant: true,
        cuped: { applied: false, reason: 'no pre-experiment records' },
      },
    ],
    perBoardDifferences: devices.map((device, d) => ({
      device,
      a: 'full',
      b: 'pruned-50',
      diff: -(0.05 + 0.01 * d) * 0.07,
      relDiff: -0.07,
    })),
    checks: {
      sampleRatio: {
        expected: { full: 8, 'pruned-50': 8 },
        observed: { full: 8, 'pruned-50': 8 },
        pValue: 1,
        ok: true,
      },
      carryOver: { estimate: 0.004, pValue: 0.6, ok: true },
      warmupExcluded: 320,
      washoutExcluded: 2880,
      warnings: [],
    },
    timeSeries,
    latency: [
      { arm: 'full', histogram: histogram(36) },
      { arm: 'pruned-50', histogram: histogram(28) },
    ],
    breakeven: [
      { arm: 'full', inferencesPerDay: 15_600, note: 'edge is lower above 15,600 per day' },
      { arm: 'pruned-50', inferencesPerDay: 14_800, note: 'edge is lower above 14,800 per day' },
    ],
    conclusion:
      'pruned-50 uses 7.0 % less energy per inference than full (95 % interval 6.0 % to 8.0 % less, 4 boards, p = 0.001).',
  };
}
