// An offload arm's carbon and accuracy from its MEASURED offload values, with known truth. Two
// boards offload every 10 s: 4 mJ on the device over a 50 ms round trip, 3,400 B sent and 600 B
// received on the socket, 2 mJ on a RAPL-measured server in DE of PUE class hyperscale, prediction 3.
// The arm's carbon per inference must equal the life-cycle engine's result on those values as
// `compare` takes them from a store (measureOffload on a real SQLite file, device.measured) — not
// the scenario's offload terms; feedback joined to the offload records gives its accuracy, and
// carbon per correct inference is carbon per inference ÷ that accuracy.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyseRecords, scheduleOf } from '../../collector/experiments/analyse.js';
import { DEFAULT_SCENARIO } from '../../collector/experiments/carbon.js';
import { compare, type Scenario, validateScenario } from '../../collector/lifecycle/index.js';
import { measureOffload } from '../../collector/lifecycle/measured-offload.js';
import { GRID_REGIONS, PUE_CLASSES } from '../../collector/lifecycle/profiles/index.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import type { StoredOffloadRecord as StoredOffload } from '../../collector/store/store.js';
import {
  analysisInputOf,
  MODEL_B as B,
  storedEdgeRecord,
  storedOffloadOk,
  twoArmExperiment,
} from '../support/experiment-records.js';
import { tempDir } from '../support/stack.js';
import { analyseOnSqlite } from './sqlite-fleet.js';

const SAMPLES = 200;
const DEVICES = ['pi-1', 'pi-2'];
const experiment = twoArmExperiment('off-c', DEVICES, 'offload');
const input = analysisInputOf(experiment, DEVICES, { replicates: 50, carbonSamples: SAMPLES });

function offloadRecord(device: string, seq: number, atMs: number): StoredOffload {
  return storedOffloadOk({
    experiment: 'off-c',
    device,
    seq,
    atMs,
    arm: 'offload',
    policy: 'fixed',
    deviceEnergyJ: 0.004,
    deviceEnergyUncertaintyJ: 0,
    serverEnergyJ: 0.002,
    serverEnergyUncertaintyJ: 0,
  });
}

/**
 * Offload records every 10 s of each offload period, one in a washout too (never analysed), and
 * edge records in edge periods. `washoutRecord` carries other values: if the carbon took it, the
 * means would move.
 */
function fleet() {
  const records: Parameters<typeof analyseRecords>[1] extends Iterable<infer R> ? R[] : never = [];
  const offloaded: StoredOffload[] = [];
  let seq = 0;
  for (const period of scheduleOf(input)) {
    if (period.arm === 'offload')
      offloaded.push({
        ...offloadRecord(period.device, seq++, period.startMs + 1000),
        deviceEnergyJ: 0.5,
        serverEnergyJ: 0.5,
      });
    for (let at = period.washoutEndMs; at < period.endMs; at += 10_000) {
      if (period.arm === 'offload') offloaded.push(offloadRecord(period.device, seq++, at));
      else
        records.push(
          storedEdgeRecord({
            experiment: 'off-c',
            device: period.device,
            seq: seq++,
            atMs: at,
            energyJ: 0.01,
          }),
        );
    }
  }
  return { records, offloaded };
}

/**
 * What `edgewatt compare` runs on the same offload records: the experiment's built-in scenario
 * with device.measured and without the offload terms the records measure (bytes, round trip,
 * the server's energy, region and PUE), the offloading device being the board itself.
 */
function referenceScenario(): Scenario {
  const { offloadDevice: _o, ...base } = DEFAULT_SCENARIO;
  return validateScenario({
    ...base,
    samples: SAMPLES,
    workload: { inferencesPerDay: base.workload.inferencesPerDay },
    device: { ...base.device, energyJ: 0.01, measured: { device: 'pi-1', model: B } },
    network: { profile: 'wifi' },
    datacenter: { profile: 'gpu-server' },
  });
}

const dir = tempDir('edgewatt-offload-arm-carbon-');
afterAll(() => dir.remove());

describe('an offload arm through the life-cycle engine with its measured offload values', () => {
  it("has the engine's carbon per inference on those values, not the scenario's offload terms", async () => {
    const { records, offloaded } = fleet();
    const result = analyseRecords(input, records, offloaded);
    const arm = result.arms.find((a) => a.arm === 'offload');
    // 54 requests after each offload period's washout on each of 2 boards; the washout's one is not taken.
    expect(arm?.measuredOffload).toMatchObject({
      answered: 108,
      records: 108,
      deviceEnergyProvenance: 'measured',
      servers: ['dc-1'],
      serverEnergyProvenance: 'rapl',
      serverRegions: ['DE'],
      serverPueClasses: ['hyperscale'],
      accuracy: null,
    });
    expect(arm?.measuredOffload?.deviceEnergyJ).toBeCloseTo(0.004, 12);
    expect(arm?.measuredOffload?.serverEnergyJ).toBeCloseTo(0.002, 12);
    expect(arm?.measuredOffload?.roundTripMs).toBeCloseTo(50, 9);

    // The reference: compare's own path over a real store holding the analysed records.
    const store = new SqliteStore(join(dir.path, 'ref.sqlite'));
    await store.connect();
    const analysed = offloaded.filter((r) => r.deviceEnergyJ === 0.004 && r.device === 'pi-1');
    await store.writeOffload('lab', 'pi-1', analysed);
    const offload = await measureOffload(store, { device: 'pi-1', model: B }, store);
    await store.close();
    expect(offload?.answered).toBe(analysed.length);
    const reference = compare(referenceScenario(), () => ({
      fleet: 'lab',
      device: 'pi-1',
      modelId: B,
      records: 1,
      windows: 1,
      energyProvenance: 'measured',
      sensors: ['ina219'],
      coverage: 'board-input',
      energyJ: { mean: 0.01, standardError: 0, sensorUncertaintyJ: 0 },
      marginalEnergyJ: { mean: 0.01, standardError: 0, baselineUncertaintyJ: 0 },
      latencyS: { mean: 0.05, standardError: 0 },
      accuracy: null,
      offload,
    }));
    const total = reference.offload.total;
    expect(arm?.carbonPerInferenceG.central).toBeCloseTo(total.central, 15);
    expect(arm?.carbonPerInferenceG.lo).toBeCloseTo(total.p5, 15);
    expect(arm?.carbonPerInferenceG.hi).toBeCloseTo(total.p95, 15);

    // The reference itself took the measured values: the server's 2 mJ (RAPL) in the grid and PUE
    // class it states, the device's 4 mJ over the request window, the socket bytes, the round trip.
    const p = reference.provenance;
    expect(p['datacenter.energyJ']).toMatchObject({ origin: 'measured', central: 0.002 });
    expect(p['datacenter.gPerKWh']?.central).toBe(GRID_REGIONS.find((r) => r.id === 'DE')?.gPerKWh.central);
    expect(p['datacenter.pue']?.central).toBe(PUE_CLASSES.find((c) => c.id === 'hyperscale')?.pue.central);
    expect(p['network.rttS']).toMatchObject({ origin: 'measured', central: 0.05 });
    expect(reference.provenance['network.requestOverheadJ']).toMatchObject({
      origin: 'measured',
      central: 0.004,
    });
    expect(reference.provenance['workload.inputBytes']).toMatchObject({ origin: 'measured', central: 3400 });

    // …and it is not what the scenario's own offload terms give (8.33 mJ server in the US, esp32).
    const scenarioTerms = compare(
      validateScenario({
        ...DEFAULT_SCENARIO,
        samples: SAMPLES,
        device: { ...DEFAULT_SCENARIO.device, energyJ: 0.006, latencyS: 0.05 },
      }),
    );
    expect(Math.abs(scenarioTerms.offload.total.central - total.central) / total.central).toBeGreaterThan(
      0.2,
    );
    expect(arm?.provenance).toContain('server dc-1 (measured by rapl)');
    expect(arm?.provenance).toContain('DE (the region the server states)');
  });

  it('takes the accuracy of an offload arm from feedback joined to its offload records (real SQLite)', async () => {
    const { records, offloaded } = fleet();
    // Labels for every analysed offloaded answer (prediction 3): two in three right.
    const feedback = offloaded
      .filter((r) => r.deviceEnergyJ === 0.004)
      .map((r, i) => {
        const label = i % 3 === 2 ? 5 : 3;
        // The verdict the device would send; the collector judges the stored prediction anyway.
        return { device: r.device, seq: r.seq, startUs: r.startUs, label, correct: label === 3 };
      });
    const labelled = feedback.length;
    const result = await analyseOnSqlite(dir.path, 'arm', input, { records, offloads: offloaded, feedback });
    const arm = result.arms.find((a) => a.arm === 'offload');
    const right = Math.ceil((labelled * 2) / 3);
    expect(arm?.accuracy).toBeCloseTo(right / labelled, 12);
    expect(arm?.measuredOffload).toMatchObject({ labelled });
    expect(arm?.measuredOffload?.accuracy).toBeCloseTo(right / labelled, 12);
    expect(arm?.carbonPerCorrectG?.central).toBeCloseTo(
      (arm?.carbonPerInferenceG.central as number) / (right / labelled),
      15,
    );
    expect(arm?.provenance).toContain(`over ${labelled} labelled requests (feedback)`);
    // The edge arm got no labels: no accuracy, nothing per correct inference.
    expect(result.arms.find((a) => a.arm === 'edge')?.accuracy).toBeNull();
  });
});
