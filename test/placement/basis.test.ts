// The auto placement basis from a real SQLite store: each side is measured where the device has
// records (and says how many), the scenario's profiles where it has none (and says so); which side
// is lower follows the records; records older than the window do not count; a scenario that cannot
// be computed without records is a problem, not a guess.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateScenario } from '../../collector/lifecycle/index.js';
import { basisReason, storeBasisSource } from '../../collector/placement/basis.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { tempDir } from '../lifecycle/helpers.js';
import { makeRecord, T0_US } from '../protocol/fixtures.js';
import { makeOffloadRecord } from '../protocol/offload-fixtures.js';

const MODEL = 'ab'.repeat(32);
const NOW_MS = T0_US / 1000 + 60_000;

const scenario = (overrides: Record<string, unknown> = {}) =>
  validateScenario({
    samples: 500,
    workload: { inferencesPerDay: 20_000, inputBytes: 3136, outputBytes: 40 },
    // The fallbacks for a side without records; measured sides replace them.
    device: { profile: 'rpi4', region: 'FR', lifetimeYears: 5, energyJ: 0.05 },
    network: { profile: 'wifi', rttS: 0.05 },
    datacenter: { profile: 'cpu-server', powerW: 20, region: 'FR', pue: 'hyperscale', energyJ: 0.004 },
    ...overrides,
  });

describe('auto placement basis from the store', () => {
  const dir = tempDir();
  const store = new SqliteStore(join(dir.path, 'b.sqlite'));
  const edge = (seq: number, energyJ: number, startUs = T0_US + seq * 10_000) =>
    makeRecord(seq, { modelId: MODEL, energyJ, provenance: 'measured', sensor: 'ina219', startUs });
  const offload = (seq: number, deviceEnergyJ: number) =>
    makeOffloadRecord(seq, {
      modelId: MODEL,
      deviceEnergyJ,
      deviceEnergyUncertaintyJ: 0,
      roundTripS: 0.02,
      serverEnergyJ: 0.002,
      serverRegion: 'FR',
      serverPueClass: 'hyperscale',
      energyProvenance: 'measured',
      sensor: 'ina219',
      startUs: T0_US + seq * 10_000,
    });

  beforeAll(async () => {
    await store.connect();
    // Costly edge inferences, cheap offloads: offloading emits less.
    await store.writeBatch(
      'lab',
      'pi-offload-wins',
      [0, 1, 2, 3].map((s) => edge(s, 0.5)),
    );
    await store.writeOffload(
      'lab',
      'pi-offload-wins',
      [4, 5, 6].map((s) => offload(s, 0.01)),
    );
    // Cheap edge inferences, costly offloads (a slow radio): the edge emits less.
    await store.writeBatch(
      'lab',
      'pi-edge-wins',
      [0, 1, 2, 3].map((s) => edge(s, 0.001)),
    );
    await store.writeOffload(
      'lab',
      'pi-edge-wins',
      [4, 5, 6].map((s) => offload(s, 2)),
    );
    await store.writeBatch(
      'lab',
      'pi-edge-only',
      [0, 1].map((s) => edge(s, 0.5)),
    );
    // Records from eight days before NOW_MS: outside the 7-day window.
    await store.writeBatch(
      'lab',
      'pi-old',
      [0, 1].map((s) => edge(s, 0.5, T0_US - 8 * 86_400e6)),
    );
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  const source = (s = scenario()) =>
    storeBasisSource({ scenario: s, scenarioName: 'test', reader: store, offload: store });

  it('both sides measured: offloading is lower when the records say so, with records counted', async () => {
    const outcome = await source()({ fleet: 'lab', device: 'pi-offload-wins', modelId: MODEL }, NOW_MS);
    if (!outcome.ok) throw new Error(outcome.problem);
    const { basis, provenance } = outcome.value;
    expect(basis.comparedAt).toBe(new Date(NOW_MS).toISOString());
    expect(basis.offloadG).toBeLessThan(basis.edgeG);
    expect(provenance).toMatchObject({
      edgeSource: 'measured',
      offloadSource: 'measured',
      edgeRecords: 4,
      offloadRecords: 3,
    });
    expect(provenance.probabilityEdgeLower).toBeLessThan(0.5);
    expect(basisReason(outcome.value, 'set')).toMatch(
      /^set; auto basis \(test\): edge .* g \(measured, 4 records\) vs offload .* g \(measured, 3 records\), p\(edge lower\) 0\.\d\d$/,
    );
  });

  it('the same scenario favours the edge when the records do', async () => {
    const outcome = await source()({ fleet: 'lab', device: 'pi-edge-wins', modelId: MODEL }, NOW_MS);
    if (!outcome.ok) throw new Error(outcome.problem);
    expect(outcome.value.basis.edgeG).toBeLessThan(outcome.value.basis.offloadG);
    expect(outcome.value.provenance.probabilityEdgeLower).toBeGreaterThan(0.5);
    // The measured energies (0.5 J vs 0.001 J), not the template's fallback (0.05 J for both), set
    // each edge side: 0.499 J more at FR's ~44 gCO2e/kWh is ~6e-6 g (idle and embodied are shared).
    const costly = await source()({ fleet: 'lab', device: 'pi-offload-wins', modelId: MODEL }, NOW_MS);
    if (!costly.ok) throw new Error(costly.problem);
    expect(costly.value.basis.edgeG - outcome.value.basis.edgeG).toBeGreaterThan(5e-6);
  });

  it('a side without records is the profile, and says why', async () => {
    const only = await source()({ fleet: 'lab', device: 'pi-edge-only', modelId: MODEL }, NOW_MS);
    if (!only.ok) throw new Error(only.problem);
    expect(only.value.provenance).toMatchObject({
      edgeSource: 'measured',
      offloadSource: 'profile',
      offloadRecords: 0,
    });
    expect(only.value.provenance.notes.join(' ')).toMatch(/no answered offload records/);

    const none = await source()({ fleet: 'lab', device: 'pi-nothing', modelId: MODEL }, NOW_MS);
    if (!none.ok) throw new Error(none.problem);
    expect(none.value.provenance).toMatchObject({
      edgeSource: 'profile',
      offloadSource: 'profile',
      edgeRecords: 0,
    });
    expect(none.value.provenance.notes[0]).toMatch(/^edge: no usable inference records/);
    expect(basisReason(none.value, 'x')).toMatch(/edge .* g \(profile\) vs offload .* g \(profile\)/);
  });

  it('records older than the window do not describe the device now', async () => {
    const old = await source()({ fleet: 'lab', device: 'pi-old', modelId: MODEL }, NOW_MS);
    if (!old.ok) throw new Error(old.problem);
    expect(old.value.provenance.edgeSource).toBe('profile');
    const wider = storeBasisSource({
      scenario: scenario(),
      scenarioName: 'test',
      reader: store,
      windowS: 9 * 86_400,
    });
    const within = await wider({ fleet: 'lab', device: 'pi-old', modelId: MODEL }, NOW_MS);
    if (!within.ok) throw new Error(within.problem);
    expect(within.value.provenance).toMatchObject({ edgeSource: 'measured', edgeRecords: 2 });
  });

  it('a scenario that needs records it does not have is a problem, not a guess', async () => {
    const noBytes = scenario({ workload: { inferencesPerDay: 20_000 } });
    // With the offload side measured the bytes come from the socket: no problem there.
    const measuredOk = await source(noBytes)(
      { fleet: 'lab', device: 'pi-offload-wins', modelId: MODEL },
      NOW_MS,
    );
    expect(measuredOk.ok).toBe(true);
    const outcome = await source(noBytes)({ fleet: 'lab', device: 'pi-nothing', modelId: MODEL }, NOW_MS);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problem).toMatch(/^scenario test: [\s\S]*workload.inputBytes: no value/);
  });
});
