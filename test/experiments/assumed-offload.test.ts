// An offload arm whose records cannot be taken as measured offload values — none answered, or
// answered without the server's energy per request — is priced on the scenario's offload terms.
// Its provenance must say exactly that: which terms are assumed (with their values and sources)
// and why, in the analysis JSON, the `analyse` text and the HTML report; and the carbon must be the
// scenario's offload side indeed (known truth: the engine on the scenario alone). Real SQLite files.

import { afterAll, describe, expect, it } from 'vitest';
import type { StoredOffload } from '../../collector/experiments/aggregate.js';
import { type AnalysisResult, analysisResultSchema } from '../../collector/experiments/analysis-result.js';
import { DEFAULT_SCENARIO } from '../../collector/experiments/carbon.js';
import { formatAnalysis } from '../../collector/experiments/format.js';
import { renderReport } from '../../collector/experiments/report/render.js';
import { compare, validateScenario } from '../../collector/lifecycle/index.js';
import { tempDir } from '../support/stack.js';
import { analyseAutoFleet, fleet, inputWith, SAMPLES } from './auto-fleet.js';

const dir = tempDir('edgewatt-assumed-offload-');
afterAll(() => dir.remove());

/** The request timed out: no answer, no server fields. */
const timedOut = ({
  prediction: _p,
  httpStatus: _h,
  serverId: _i,
  serverRegion: _r,
  serverPueClass: _c,
  serverEnergyJ: _e,
  serverEnergyUncertaintyJ: _u,
  serverIdleShareJ: _s,
  serverEnergyProvenance: _v,
  serverBatchSize: _b,
  serverLatencyS: _l,
  ...r
}: StoredOffload): StoredOffload => ({
  ...r,
  outcome: 'timeout',
  roundTripS: 2,
  responseBytes: 0,
  socketBytesReceived: 0,
});

/** Answered by a server that does not report its energy per request. */
const withoutServerEnergy = ({ serverEnergyJ: _e, serverEnergyUncertaintyJ: _u, ...r }: StoredOffload) => r;

const armX = (r: AnalysisResult) => {
  const arm = r.arms.find((a) => a.arm === 'x');
  if (arm === undefined) throw new Error('no arm x');
  return arm;
};

/** The scenario's offload side alone (its device values do not enter it): what an unmeasured arm must get. */
const scenarioOffload = () =>
  compare(
    validateScenario({
      ...DEFAULT_SCENARIO,
      samples: SAMPLES,
      device: { ...DEFAULT_SCENARIO.device, energyJ: 0.01, latencyS: 0.05 },
    }),
  ).offload.total;

/** The scenario's terms as the analysis must list them (the built-in scenario's values and sources). */
const ASSUMED_TERMS = [
  'bytes sent 3136 B (scenario)',
  'bytes received 40 B (scenario)',
  'round trip 50.0 ms (scenario)',
  'radio energy sending 0.0350 µJ/bit (wifi)',
  'radio energy per request 0.101 J (wifi)',
  "the offloading device's idle power while it waits 0.280 W (esp32)",
  "the server's energy per request 0.00833 J (scenario)",
  "the server's grid 384 g/kWh (US)",
  'PUE 1.10 (PUE class hyperscale)',
];

describe("an offload arm on the scenario's offload terms says which and why", () => {
  for (const [name, spoil, reason] of [
    [
      'none answered',
      timedOut,
      (n: number) => `none of its ${n} analysed offload requests was answered (timeout ${n})`,
    ],
    [
      'no server energy',
      withoutServerEnergy,
      (n: number) =>
        `none of its ${n} answered offload records carries the server's energy per request (serverEnergyJ), so no answered request's cost was measured`,
    ],
  ] as const) {
    it(`${name}: JSON, text and report name the assumed terms and the reason; the carbon is the scenario's`, async () => {
      const f = fleet(() => true);
      const offloads = f.autoOffload.map(spoil);
      const result = await analyseAutoFleet(
        dir.path,
        name.replace(/ /g, '-'),
        inputWith('offload', true),
        f.base,
        offloads,
      );
      expect(analysisResultSchema.parse(JSON.parse(JSON.stringify(result)))).toEqual(result);
      const arm = armX(result);
      expect(arm.measuredOffload).toBeUndefined();
      const why = reason(offloads.length);
      expect(arm.assumedOffload?.reason).toBe(why);
      for (const term of ASSUMED_TERMS) expect(arm.assumedOffload?.terms).toContain(term);
      expect(arm.provenance).toContain(
        `with the scenario's ASSUMED offload terms, not measured values, because ${why}:`,
      );
      expect(arm.provenance).toContain("the server's energy per request 0.00833 J (scenario)");
      // Known truth: exactly the scenario's offload side.
      const truth = scenarioOffload();
      expect(arm.carbonPerInferenceG).toEqual({ central: truth.central, lo: truth.p5, hi: truth.p95 });
      // The edge arm has no assumed offload; its break-even row says why it is on the scenario's terms.
      expect(result.arms.find((a) => a.arm === 'base')?.assumedOffload).toBeUndefined();
      expect(result.breakeven?.find((b) => b.arm === 'x')?.note).toContain(
        `against this arm offloaded (the scenario's ASSUMED offload terms, because ${why})`,
      );

      const text = formatAnalysis(result);
      expect(text).toContain(`  x: offload terms ASSUMED (the scenario's, not measured), because ${why}:`);
      expect(text).toContain(
        "the server's energy per request 0.00833 J (scenario); the server's grid 384 g/kWh (US)",
      );

      const html = renderReport(result, { generatedAt: new Date(0) });
      expect(html).toContain('Offload terms ASSUMED');
      const table = html.slice(html.indexOf('Offload terms ASSUMED'));
      expect(table).toContain(why.replace(/'/g, '&#39;'));
      expect(table).toContain('round trip 50.0 ms (scenario)');
    });
  }

  it('an auto arm whose offloaded share is unmeasured says so in its shares and its JSON', async () => {
    const f = fleet((i) => i % 3 === 0);
    const offloads = f.autoOffload.map(withoutServerEnergy);
    const result = await analyseAutoFleet(
      dir.path,
      'auto',
      inputWith('auto'),
      [...f.base, ...f.autoEdge],
      offloads,
    );
    const arm = armX(result);
    const why = `none of its ${offloads.length} answered offload records carries the server's energy per request (serverEnergyJ), so no answered request's cost was measured`;
    expect(arm.assumedOffload?.reason).toBe(why);
    expect(arm.autoShares?.offload?.provenance).toContain(
      `ASSUMED offload terms, not measured values, because ${why}`,
    );
    expect(result.breakeven?.find((b) => b.arm === 'x')?.note).toContain(
      `the offloaded share on the scenario's ASSUMED offload terms, because ${why}`,
    );
  });

  it('a measured offload arm has no assumed terms', async () => {
    const f = fleet(() => true);
    const result = await analyseAutoFleet(
      dir.path,
      'measured',
      inputWith('offload', true),
      f.base,
      f.autoOffload,
    );
    expect(armX(result).measuredOffload?.answered).toBe(f.autoOffload.length);
    expect(armX(result).assumedOffload).toBeUndefined();
    expect(armX(result).provenance).not.toContain('ASSUMED');
    expect(renderReport(result)).not.toContain('Offload terms ASSUMED');
  });
});
