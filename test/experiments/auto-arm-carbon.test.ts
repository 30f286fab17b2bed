// An auto arm's carbon with known truth, on real SQLite files. Four boards; the auto arm offloads
// one input in three: its edge inferences cost 10 mJ on the board, its offloaded ones 4 mJ on the
// board over a 50 ms round trip and 2 mJ on a RAPL-measured server in DE; feedback makes 90 % of the
// edge answers and 75 % of the server's right. Its carbon per inference must be
// (1 − f)·(the same arm priced as an EDGE arm on its edge records alone)
//   + f·(the same arm priced as an OFFLOAD arm on its offload records alone),
// each computed through the analysis's existing paths on a store holding only those records, and
// carbon per correct inference all that carbon over all the correct answers. The old pricing (the
// edge side with the mixed energy) is far from it: the offloaded share's network and datacenter
// terms were left out.

import { afterAll, describe, expect, it } from 'vitest';
import type { StoredOffload } from '../../collector/experiments/aggregate.js';
import type { AnalysisInput } from '../../collector/experiments/analyse.js';
import type { AnalysisResult } from '../../collector/experiments/analysis-result.js';
import { autoArmCarbon } from '../../collector/experiments/auto-carbon.js';
import { armCarbon, defaultScenario } from '../../collector/experiments/carbon.js';
import type { StoredRecord } from '../../collector/store/index.js';
import { tempDir } from '../support/stack.js';
import { analyseAutoFleet, fleet, inputWith, measuredShare, SAMPLES } from './auto-fleet.js';

const dir = tempDir('edgewatt-auto-arm-carbon-');
afterAll(() => dir.remove());

/** The records on a new SQLite file `<name>.sqlite` with feedback, analysed as `input` says. */
const analyse = (name: string, input: AnalysisInput, records: StoredRecord[], offloads: StoredOffload[]) =>
  analyseAutoFleet(dir.path, name, input, records, offloads);

const armOf = (r: AnalysisResult, id: string) => {
  const arm = r.arms.find((a) => a.arm === id);
  if (arm === undefined) throw new Error(`no arm ${id}`);
  return arm;
};

/** Relative closeness: the figures are a few mg, so absolute digits say little. */
const expectClose = (actual: number | undefined, expected: number, rel = 1e-12) =>
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(Math.abs(expected) * rel);

describe("an auto arm's carbon is the mixture of its two shares, each priced as its placement", () => {
  it('equals (1 − f)·edge arm on its edge records + f·offload arm on its offload records (SQLite)', async () => {
    const f = fleet((i) => i % 3 === 0);
    const auto = armOf(
      await analyse('auto', inputWith('auto'), [...f.base, ...f.autoEdge], f.autoOffload),
      'x',
    );
    const asEdge = armOf(await analyse('edge-only', inputWith('edge'), [...f.base, ...f.autoEdge], []), 'x');
    const asOffload = armOf(await analyse('offload-only', inputWith('offload'), f.base, f.autoOffload), 'x');

    const fraction = f.autoOffload.length / (f.autoOffload.length + f.autoEdge.length);
    expect(fraction).toBeGreaterThan(0.3);
    expect(fraction).toBeLessThan(0.4);
    const e = asEdge.carbonPerInferenceG;
    const o = asOffload.carbonPerInferenceG;
    const mixed = (1 - fraction) * e.central + fraction * o.central;
    expectClose(auto.carbonPerInferenceG.central, mixed);
    const shares = auto.autoShares;
    expect(shares?.offloadedFraction).toBe(fraction);
    expect(shares?.edge?.n).toBe(f.autoEdge.length);
    expect(shares?.offload?.n).toBe(f.autoOffload.length);
    expect(shares?.unanswered).toBe(0);
    // Each share is what the existing paths give on its records alone.
    expect(shares?.edge?.carbonPerInferenceG).toEqual(asEdge.carbonPerInferenceG);
    expect(shares?.offload?.carbonPerInferenceG).toEqual(asOffload.carbonPerInferenceG);
    expect(shares?.edge?.energyJ).toEqual(asEdge.energyJ);
    expect(shares?.offload?.energyJ).toEqual(asOffload.energyJ);
    // The offloaded share took the measured offload values, as an offload arm does.
    expect(auto.measuredOffload).toEqual(asOffload.measuredOffload);
    expect(auto.measuredOffload?.serverRegions).toEqual(['DE']);

    // An interval around it from the draws: inside the hull of the two sides' intervals.
    expect(auto.carbonPerInferenceG.lo).toBeLessThan(mixed);
    expect(auto.carbonPerInferenceG.hi).toBeGreaterThan(mixed);
    expect(auto.carbonPerInferenceG.lo).toBeGreaterThanOrEqual(Math.min(e.lo, o.lo));
    expect(auto.carbonPerInferenceG.hi).toBeLessThanOrEqual(Math.max(e.hi, o.hi));

    // Per correct inference: all the carbon over all the correct answers, each share's accuracy
    // from its own feedback (known: 9 in 10 edge, 3 in 4 offloaded, up to the seqs' rounding).
    const accEdge = asEdge.accuracy as number;
    const accOffload = asOffload.accuracy as number;
    expect(accEdge).toBeCloseTo(0.9, 1);
    expect(accOffload).toBeCloseTo(0.75, 1);
    expect(shares?.edge?.accuracy).toBe(accEdge);
    expect(shares?.offload?.accuracy).toBe(accOffload);
    expectClose(auto.carbonPerCorrectG?.central, mixed / ((1 - fraction) * accEdge + fraction * accOffload));
    expectClose(asEdge.carbonPerCorrectG?.central, e.central / accEdge);

    // The old pricing — the edge side with the arm's mixed energy — is not this figure.
    const old = armCarbon(
      { ...defaultScenario(), samples: SAMPLES },
      {
        arm: 'x',
        placement: 'auto',
        energyJ: auto.energyJ,
        aboveIdleJ: auto.energyJ,
        latencyP95Ms: auto.latencyP95Ms,
        meanLatencyS: (auto.latencyP95Ms as number) / 1000,
        accuracy: auto.accuracy,
        inputBytes: null,
        outputBytes: null,
      },
      'built-in experiment scenario (assumed)',
    );
    expect(Math.abs(old.carbonPerInferenceG.central - mixed) / mixed).toBeGreaterThan(0.1);
    expect(auto.provenance).toContain('mixture');
    expect(auto.provenance).toContain('Offloaded share: life-cycle engine');

    // Break-even of the auto arm: its own edge share against its own offloaded share.
    const breakeven = (
      await analyse('auto-2', inputWith('auto'), [...f.base, ...f.autoEdge], f.autoOffload)
    ).breakeven?.find((b) => b.arm === 'x');
    expect(breakeven?.note).toContain('its edge share against its offloaded share');
  });

  it('is priced wholly as an edge arm when nothing was offloaded (f = 0), and says so', async () => {
    const f = fleet(() => false);
    const auto = armOf(await analyse('f0-auto', inputWith('auto'), [...f.base, ...f.autoEdge], []), 'x');
    const asEdge = armOf(await analyse('f0-edge', inputWith('edge'), [...f.base, ...f.autoEdge], []), 'x');
    expect(auto.carbonPerInferenceG).toEqual(asEdge.carbonPerInferenceG);
    expect(auto.autoShares?.offloadedFraction).toBe(0);
    expect(auto.autoShares?.offload).toBeNull();
    expect(auto.carbonPerInferenceG).toEqual(asEdge.carbonPerInferenceG);
    expect(auto.carbonPerCorrectG).toEqual(asEdge.carbonPerCorrectG);
    expect(auto.provenance).toContain(
      'no analysed inference of the arm was offloaded: priced wholly as an edge arm',
    );
  });

  it('is priced wholly as an offload arm when everything was offloaded (f = 1), and says so', async () => {
    const f = fleet(() => true);
    const result = await analyse('f1-auto', inputWith('auto'), f.base, f.autoOffload);
    const auto = armOf(result, 'x');
    const asOffload = armOf(await analyse('f1-offload', inputWith('offload'), f.base, f.autoOffload), 'x');
    expect(auto.carbonPerInferenceG).toEqual(asOffload.carbonPerInferenceG);
    expect(auto.autoShares?.offloadedFraction).toBe(1);
    expect(auto.autoShares?.edge).toBeNull();
    expect(auto.carbonPerInferenceG).toEqual(asOffload.carbonPerInferenceG);
    expect(auto.carbonPerCorrectG).toEqual(asOffload.carbonPerCorrectG);
    expect(auto.provenance).toContain('every answered inference of the arm was offloaded');
    // No edge arm of model B: no break-even, with the reason.
    const row = result.breakeven?.find((b) => b.arm === 'x');
    expect(row?.inferencesPerDay).toBeNull();
    expect(row?.note).toContain('no edge arm of the same model');
  });

  it("gives an offload arm's break-even against the edge arm of the same model, not its own unmeasured edge side", async () => {
    const f = fleet(() => true);
    const result = await analyse('breakeven-pair', inputWith('offload', true), f.base, f.autoOffload);
    const row = result.breakeven?.find((b) => b.arm === 'x');
    expect(row?.against).toBe('base');
    expect(row?.note).toContain(
      'edge arm base (same model, measured on the board) against this arm offloaded (its measured offload values)',
    );
    // The edge arm's own row is the same pair, seen from the edge arm (edge-arm-breakeven.test.ts).
    expect(result.breakeven?.find((b) => b.arm === 'base')?.against).toBe('x');
  });

  it('mixes the very draws each side was summarised from: f → 0 gives the edge interval, f → 1 the offload one', () => {
    const share = measuredShare;
    const base = { ...defaultScenario(), samples: SAMPLES };
    const at = (edgeN: number, offloadN: number) =>
      autoArmCarbon(base, 'built-in', {
        arm: 'x',
        edge: share(0.01, edgeN),
        offload: share(0.006, offloadN),
        measurement: null,
        unanswered: 0,
        whole: share(0.008, edgeN + offloadN),
      });
    const nearlyEdge = at(1e12, 1);
    const nearlyOffload = at(1, 1e12);
    const edge = nearlyEdge.autoShares.edge?.carbonPerInferenceG;
    const offload = nearlyOffload.autoShares.offload?.carbonPerInferenceG;
    expect(nearlyEdge.pricedAs).toBe('mixture');
    for (const k of ['central', 'lo', 'hi'] as const) {
      expectClose(nearlyEdge.carbon.carbonPerInferenceG[k], edge?.[k] as number, 1e-6);
      expectClose(nearlyOffload.carbon.carbonPerInferenceG[k], offload?.[k] as number, 1e-6);
    }
    // And a real mixture lies strictly between, draw by draw (the sides differ a lot here).
    const half = at(1, 1).carbon.carbonPerInferenceG;
    expectClose(half.central, ((edge?.central as number) + (offload?.central as number)) / 2);
  });
});
