import { describe, expect, it } from 'vitest';
import { analyseRecords } from '../../collector/experiments/analyse.js';
import { analysisResultSchema } from '../../collector/experiments/analysis-result.js';
import {
  defaultFleetSpec,
  experimentOf,
  type FleetSpec,
  simulateAnalysis,
  simulateFleet,
} from '../../collector/experiments/simulate.js';
import type { StoredRecord } from '../../collector/store/index.js';

function analyse(spec: FleetSpec, edit: (records: StoredRecord[]) => StoredRecord[] = (r) => r) {
  const fleet = simulateFleet(spec);
  return {
    fleet,
    result: analyseRecords(
      {
        experiment: experimentOf(spec, fleet.devices),
        devices: fleet.devices,
        startedAtMs: fleet.startMs,
        endedAtMs: null,
        replicates: 500,
        carbonSamples: 1,
      },
      edit(fleet.records),
    ),
  };
}

describe('analysis result', () => {
  it('of a simulated fleet is valid against the contract schema, JSON round trip included', () => {
    const { result } = simulateAnalysis(defaultFleetSpec({ ratePerS: 0.1 }), { replicates: 500 });
    const parsed = analysisResultSchema.safeParse(JSON.parse(JSON.stringify(result)));
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    expect(result.perBoardPeriod).toHaveLength(40);
    expect(result.perBoardDifferences).toHaveLength(10);
    expect(result.timeSeries).toHaveLength(10);
    expect(result.timeSeries[0]?.points.some((p) => p[2] === null)).toBe(true); // the pre-period
    expect(result.timeSeries[0]?.points.some((p) => p[3])).toBe(true); // a washout
    expect(result.arms.map((a) => a.accuracy)).toEqual([expect.closeTo(0.91, 1), expect.closeTo(0.89, 1)]);
    // Carbon follows energy: the cheaper arm emits less per inference (same scenario, shorter latency).
    const [dense, pruned] = result.arms;
    expect(pruned?.carbonPerInferenceG.central).toBeLessThan(dense?.carbonPerInferenceG.central ?? 0);
    expect(dense?.carbonPerCorrectG?.central).toBeGreaterThan(dense?.carbonPerInferenceG.central ?? 0);
  });

  it('excludes warm-up and washout by schedule time and counts them', () => {
    const { result } = analyse(defaultFleetSpec({ boards: 3, ratePerS: 0.1 }));
    for (const p of result.perBoardPeriod) {
      const s = result.schedule.find((x) => x.device === p.device && x.period === p.period);
      const washoutS = (Date.parse(s?.washoutEnd ?? '') - Date.parse(s?.start ?? '')) / 1000;
      expect(p.excluded.warmup + p.excluded.washout).toBe(washoutS === 0 ? 0 : 6); // 60 s at 0.1/s
      expect(p.n).toBe(washoutS === 0 ? 60 : 54);
    }
    expect(result.checks.warmupExcluded + result.checks.washoutExcluded).toBeGreaterThan(0);
  });
});

describe('checks', () => {
  it('sample ratio: passes a complete run, fails when one arm lost most of its board-periods', () => {
    const spec = defaultFleetSpec({ boards: 20, ratePerS: 0.1 });
    expect(analyse(spec).result.checks.sampleRatio.ok).toBe(true);
    // Every "pruned" period after the first two boards lost: its board-periods vanish.
    const lost = analyse(spec, (records) =>
      records.filter((r) => r.arm !== 'pruned' || ['sim-01', 'sim-02'].includes(r.device)),
    ).result;
    expect(lost.checks.sampleRatio.ok).toBe(false);
    expect(lost.checks.sampleRatio.pValue).toBeLessThan(0.001);
    expect(lost.conclusion).toMatch(/sample-ratio check failed/);
  });

  it('records per arm: a 20 % loss of one arm’s records is flagged in the warnings', () => {
    const { result } = analyse(defaultFleetSpec({ boards: 10, ratePerS: 0.5 }), (records) =>
      records.filter((r) => r.arm !== 'pruned' || r.seq % 5 !== 0),
    );
    expect(result.checks.sampleRatio.records?.ok).toBe(false);
    expect(result.checks.warnings.join('\n')).toMatch(/record counts per arm differ/);
  });

  it('carry-over: passes with a washout that covers it, fails when the washout is too short', () => {
    const spec = defaultFleetSpec({ boards: 12, ratePerS: 0.5, recordSdRel: 0.05 });
    expect(analyse(spec).result.checks.carryOver.ok).toBe(true);
    // The board keeps drawing like the previous arm for 5 min, but only 60 s are washed out.
    const fleet = simulateFleet({ ...spec, washoutS: 300 });
    const result = analyseRecords(
      {
        experiment: experimentOf({ ...spec, washoutS: 60 }, fleet.devices),
        devices: fleet.devices,
        startedAtMs: fleet.startMs,
        endedAtMs: null,
        replicates: 200,
        carbonSamples: 1,
      },
      fleet.records,
    );
    expect(result.checks.carryOver.ok).toBe(false);
    expect(result.checks.carryOver.estimate).toBeGreaterThan(0);
  });

  it('records tagged with another arm than scheduled are not analysed, and said so', () => {
    const { result } = analyse(defaultFleetSpec({ boards: 3, ratePerS: 0.1 }), (records) =>
      records.map((r, i) =>
        i % 50 === 0 && r.arm !== undefined ? { ...r, arm: r.arm === 'dense' ? 'pruned' : 'dense' } : r,
      ),
    );
    expect(result.perBoardPeriod.reduce((s, p) => s + p.excluded.wrongArm, 0)).toBeGreaterThan(0);
    expect(result.checks.warnings.join('\n')).toMatch(/carried another arm/);
  });
});

describe('parallel design with CUPED', () => {
  it('uses the pre-period to take out most of the board-to-board variance, and still covers the truth', () => {
    const spec = defaultFleetSpec({ design: 'parallel', boards: 20, ratePerS: 0.1, seed: 4 });
    const { result, fleet } = analyse(spec);
    const c = result.contrasts[0];
    expect(c?.method).toBe('two-group board-level bootstrap');
    expect(c?.cuped.applied).toBe(true);
    expect(c?.cuped.varianceReduction).toBeGreaterThan(0.5);
    expect(c?.relLo).toBeLessThanOrEqual(fleet.trueRelDiff.pruned as number);
    expect(c?.relHi).toBeGreaterThanOrEqual(fleet.trueRelDiff.pruned as number);
    const without = analyse({ ...spec, preS: 0 }).result.contrasts[0];
    expect(without?.cuped.applied).toBe(false);
    expect((without?.relHi ?? 0) - (without?.relLo ?? 0)).toBeGreaterThan(
      2 * ((c?.relHi ?? 0) - (c?.relLo ?? 0)),
    );
  });
});
