// An edge arm's break-even row, with known truth on real SQLite files. Four boards; edge arm `base`
// (10 mJ per inference on the board) and arm `x` of the same model offloading every input (4 mJ on
// the board over a 50 ms round trip, 2 mJ on a RAPL-measured server in DE). The edge arm's row must
// be the engine's break-even of the edge arm's measured values against x's MEASURED offload values,
// as `compare` takes them from the same store — the very comparison x's own row makes — and not
// the scenario's offload terms (an ESP32 over Wi-Fi to a GPU server in the US). Without an offload
// arm of the same model, or with one whose records cannot be taken as measured, the row stays on
// the scenario's terms and says which it used, and why.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../collector/experiments/aggregate.js';
import type { AnalysisResult } from '../../collector/experiments/analysis-result.js';
import { DEFAULT_SCENARIO } from '../../collector/experiments/carbon.js';
import { compare, validateScenario } from '../../collector/lifecycle/index.js';
import { measureOffload } from '../../collector/lifecycle/measured-offload.js';
import type { StoredRecord } from '../../collector/store/index.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { MODEL_B as B } from '../support/experiment-records.js';
import { tempDir } from '../support/stack.js';
import { analyseAutoFleet, fleet, inputWith } from './auto-fleet.js';

const dir = tempDir('edgewatt-edge-arm-breakeven-');
afterAll(() => dir.remove());

const rowOf = (r: AnalysisResult, arm: string) => {
  const row = r.breakeven?.find((b) => b.arm === arm);
  if (row === undefined) throw new Error(`no break-even row for ${arm}`);
  return row;
};

/** What the analysis measured of the edge arm, from its records: board-mean energy and median latency. */
function edgeArmMeasured(records: readonly StoredRecord[]) {
  const boards = [...new Set(records.map((r) => r.device))];
  const boardMeans = boards.map((d) => {
    const own = records.filter((r) => r.device === d);
    return own.reduce((s, r) => s + r.energyJ, 0) / own.length;
  });
  const histogram = new LatencyHistogram();
  for (const r of records) histogram.add(r.durationUs / 1000);
  return {
    energyJ: boardMeans.reduce((s, m) => s + m, 0) / boardMeans.length,
    latencyS: (histogram.quantile(0.5) as number) / 1000,
  };
}

/** Break-even at central values, board dedicated, of `scenario` (with its measurement, if any). */
const breakEven = (scenario: Record<string, unknown>, source?: Parameters<typeof compare>[1]) =>
  compare(validateScenario({ ...scenario, allocation: 'dedicated', samples: 1 }, 'reference'), source)
    .breakEvenInferencesPerDay.inferencesPerDay;

/** The edge arm on the scenario's own offload terms (the row it had before, and keeps without a measured arm). */
function scenarioTermsBreakEven(edge: { energyJ: number; latencyS: number }) {
  return breakEven({
    ...DEFAULT_SCENARIO,
    device: { ...DEFAULT_SCENARIO.device, energyJ: edge.energyJ, latencyS: edge.latencyS },
  });
}

const relClose = (actual: number | null | undefined, expected: number, rel = 1e-9) =>
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(Math.abs(expected) * rel);

describe("an edge arm's break-even row", () => {
  it('compares against the measured offload arm of the same model, as compare does on the same store', async () => {
    const f = fleet(() => true);
    const result = await analyseAutoFleet(
      dir.path,
      'pair',
      inputWith('offload', true),
      f.base,
      f.autoOffload,
    );
    const edge = edgeArmMeasured(f.base);
    expect(result.arms.find((a) => a.arm === 'base')?.energyJ.mean).toBeCloseTo(edge.energyJ, 12);

    // The reference: compare's own path over the same SQLite file's offload records.
    const store = new SqliteStore(join(dir.path, 'pair.sqlite'));
    await store.connect();
    const offload = await measureOffload(store, { fleet: 'lab', model: B }, store);
    await store.close();
    expect(offload?.answered).toBe(f.autoOffload.length);
    const { offloadDevice: _o, ...base } = DEFAULT_SCENARIO;
    const measuredScenario = {
      ...base,
      workload: { inferencesPerDay: base.workload.inferencesPerDay },
      device: {
        ...base.device,
        energyJ: edge.energyJ,
        latencyS: edge.latencyS,
        measured: { device: 'pi-1, pi-2, pi-3, pi-4', model: B },
      },
      network: { profile: 'wifi' },
      datacenter: { profile: 'gpu-server' },
    };
    const source = () => ({
      fleet: 'lab',
      device: '',
      modelId: B,
      records: 1,
      windows: 1,
      energyProvenance: 'measured' as const,
      sensors: ['ina219'],
      coverage: 'board-input' as const,
      energyJ: { mean: edge.energyJ, standardError: 0, sensorUncertaintyJ: 0 },
      marginalEnergyJ: { mean: edge.energyJ, standardError: 0, baselineUncertaintyJ: 0 },
      latencyS: { mean: edge.latencyS, standardError: 0 },
      accuracy: null,
      offload,
    });
    const reference = breakEven(measuredScenario, source);
    const referenceProvenance = compare(
      validateScenario({ ...measuredScenario, samples: 1 }, 'reference'),
      source,
    ).provenance;
    // The reference took the measured offload values (the server's 2 mJ by RAPL, in DE; 50 ms).
    expect(referenceProvenance['datacenter.energyJ']?.origin).toBe('measured');
    expect(referenceProvenance['network.rttS']).toMatchObject({ origin: 'measured', central: 0.05 });
    expect(reference).not.toBeNull();

    const row = rowOf(result, 'base');
    relClose(row.inferencesPerDay, reference as number);
    expect(row.against).toBe('x');
    expect(row.note).toContain(
      `this arm (measured on the board) against offload arm x (same model, its measured offload values over ${f.autoOffload.length} answered requests)`,
    );
    // The same comparison as the offload arm's own row against this edge arm.
    const offloadRow = rowOf(result, 'x');
    expect(offloadRow.against).toBe('base');
    expect(offloadRow.inferencesPerDay).toBe(row.inferencesPerDay);
    // …and not the scenario's offload terms, which the row had before.
    const old = scenarioTermsBreakEven(edge);
    expect(old).not.toBeNull();
    expect(Math.abs((row.inferencesPerDay as number) - (old as number)) / (old as number)).toBeGreaterThan(
      0.2,
    );
  });

  it("stays on the scenario's offload terms without an offload arm of the same model, and says so", async () => {
    const f = fleet(() => true);
    // Arm base runs model A, arm x (offload) model B.
    const result = await analyseAutoFleet(
      dir.path,
      'other-model',
      inputWith('offload'),
      f.base,
      f.autoOffload,
    );
    const row = rowOf(result, 'base');
    relClose(row.inferencesPerDay, scenarioTermsBreakEven(edgeArmMeasured(f.base)) as number);
    expect(row.against).toBeUndefined();
    expect(row.note).toContain(
      "this arm (measured on the board) against the scenario's ASSUMED offload terms, because the experiment has no offload arm of the same model",
    );
  });

  it("stays on the scenario's terms when the same model's offload arm has no measured offload values, and says why", async () => {
    const f = fleet(() => true);
    // Answered, but the server reported no energy per request (an older server): nothing measured.
    const offloads = f.autoOffload.map(({ serverEnergyJ: _e, serverEnergyUncertaintyJ: _u, ...r }) => r);
    const result = await analyseAutoFleet(
      dir.path,
      'unmeasured',
      inputWith('offload', true),
      f.base,
      offloads,
    );
    const row = rowOf(result, 'base');
    relClose(row.inferencesPerDay, scenarioTermsBreakEven(edgeArmMeasured(f.base)) as number);
    expect(row.against).toBeUndefined();
    expect(row.note).toContain(
      `against the scenario's ASSUMED offload terms, because offload arm x of the same model has no measured offload values (none of its ${offloads.length} answered offload records carries the server's energy per request (serverEnergyJ)`,
    );
  });
});
