// compare with measured offload, against a real SQLite store filled with offload records of known
// values: the offload side's terms are exactly those values (the device's energy over the request
// window, round trip, socket bytes, the server's energy per request, the grid region and PUE
// class it states), each named by its source; an ESTIMATED server stays labelled so; mixed
// provenance is reported as mixed; without offload records nothing changes.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatComparison } from '../../collector/lifecycle/format.js';
import {
  compare,
  type Measurement,
  measure,
  type Scenario,
  validateScenario,
} from '../../collector/lifecycle/index.js';
import { measureOffload } from '../../collector/lifecycle/measured-offload.js';
import { GRID_REGIONS, PUE_CLASSES } from '../../collector/lifecycle/profiles/index.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import type { OffloadRecord } from '../../protocol/index.js';
import { makeRecord } from '../protocol/fixtures.js';
import { makeFailedOffloadRecord, makeOffloadRecord } from '../protocol/offload-fixtures.js';
import { tempDir } from './helpers.js';

const MODEL = 'ef'.repeat(32);
const J_PER_KWH = 3.6e6;

/** An answered request of known values: 50 mJ on the device over 10 ms at a 2 W baseline, 3 mJ on the server. */
const answered = (seq: number, overrides: Partial<OffloadRecord> = {}): OffloadRecord =>
  makeOffloadRecord(seq, {
    modelId: MODEL,
    variant: 'cnn-base',
    deviceEnergyJ: 0.05,
    deviceEnergyUncertaintyJ: 0,
    deviceBaselineW: 2,
    roundTripS: 0.01,
    socketBytesSent: 4000,
    socketBytesReceived: 600,
    serverEnergyJ: 0.003,
    serverEnergyUncertaintyJ: 0,
    serverIdleShareJ: 0.001,
    serverEnergyProvenance: 'rapl',
    serverRegion: 'FR',
    serverPueClass: 'hyperscale',
    energyProvenance: 'measured',
    sensor: 'ina219',
    ...overrides,
  });

describe('compare with measured offload (real SQLite store)', () => {
  const dir = tempDir();
  const store = new SqliteStore(join(dir.path, 'o.sqlite'));

  /** What runComparison() does: the device's inference records, then its offload records. */
  const measured = async (device: string): Promise<() => Measurement> => {
    const query = { device, model: 'cnn-base' };
    const m = await measure(store, query);
    m.offload = await measureOffload(store, query, store);
    return () => m;
  };
  const scenario = (device: string, energyBasis: 'gross' | 'marginal' = 'gross'): Scenario =>
    validateScenario({
      samples: 1,
      energyBasis,
      workload: { inferencesPerDay: 1000 },
      device: { profile: 'rpi4', region: 'BE', measured: { device, model: 'cnn-base' }, lifetimeYears: 5 },
      network: { profile: 'wifi' },
      datacenter: { profile: 'gpu-server', idleW: 0 },
    });

  beforeAll(async () => {
    await store.connect();
    const edge = (seq: number) =>
      makeRecord(seq, {
        modelId: MODEL,
        variant: 'cnn-base',
        energyJ: 0.02,
        provenance: 'measured',
        sensor: 'ina219',
      });
    for (const device of ['pi-known', 'pi-mixed', 'pi-est', 'pi-edge-only']) {
      await store.writeBatch('lab', device, [edge(0), edge(1), edge(2)]);
    }
    await store.writeOffload('lab', 'pi-known', [
      answered(3),
      answered(4),
      answered(5),
      makeFailedOffloadRecord(6, { modelId: MODEL, variant: 'cnn-base', outcome: 'timeout' }),
    ]);
    await store.writeOffload('lab', 'pi-mixed', [
      answered(3),
      answered(4, { serverEnergyProvenance: 'estimated', energyProvenance: 'estimated' }),
      answered(5),
    ]);
    await store.writeOffload('lab', 'pi-est', [answered(3, { serverEnergyProvenance: 'estimated' })]);
    // Labels given after the answers (feedback, one seq space): edge records 0–2 are 2 of 3 right
    // (their own `correct` is overridden by the feedback), offload answers 3–6 (prediction 7) are
    // 3 of 4 right; a label for the failed request at 7 is not judged (it got no answer).
    await store.writeBatch('lab', 'pi-labelled', [edge(0), edge(1), edge(2)]);
    await store.writeOffload('lab', 'pi-labelled', [
      answered(3),
      answered(4),
      answered(5),
      answered(6),
      makeFailedOffloadRecord(7, { modelId: MODEL, variant: 'cnn-base', outcome: 'timeout' }),
    ]);
    const feedback = (seq: number, label: number, correct: boolean) =>
      store.writeFeedback('lab', {
        v: 1,
        type: 'feedback',
        device: 'pi-labelled',
        seq,
        label,
        correct,
        atUs: 1_700_000_000_000_000 + seq,
      });
    for (const [seq, label, correct] of [
      [0, 1, false],
      [1, 2, true],
      [2, 2, true],
      [3, 7, true],
      [4, 7, true],
      [5, 2, false],
      [6, 7, true],
      [7, 7, true],
    ] as const)
      await feedback(seq, label, correct);
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('takes every offload value from the records, and its terms are exactly theirs', async () => {
    const result = compare(scenario('pi-known'), await measured('pi-known'));
    const p = result.provenance;
    expect(p['network.requestOverheadJ']).toMatchObject({ origin: 'measured', central: 0.05 });
    expect(p['network.requestOverheadJ']?.profile).toBe('offload records (ina219)');
    expect(p['network.uplinkUJPerBit']).toMatchObject({ origin: 'measured', central: 0 });
    expect(p['network.downlinkUJPerBit']).toMatchObject({ origin: 'measured', central: 0 });
    expect(p['network.rttS']).toMatchObject({ origin: 'measured', central: 0.01 });
    expect(p['workload.inputBytes']).toMatchObject({ origin: 'measured', central: 4000 });
    expect(p['workload.outputBytes']).toMatchObject({ origin: 'measured', central: 600 });
    expect(p['datacenter.energyJ']).toMatchObject({ origin: 'measured', central: 0.003 });
    expect(p['datacenter.energyJ']?.profile).toBe('server dc-fra-1 (measured by rapl)');
    expect(p['datacenter.gPerKWh']?.profile).toBe('FR (the region the server states)');
    expect(p['datacenter.pue']?.profile).toBe('PUE class hyperscale (the class the server states)');
    // The network's energy stays a model (kWh/GB of the wifi profile), on the measured bytes.
    expect(p['network.kWhPerGB']?.origin).toBe('profile');

    const ciDevice = p['device.gPerKWh']?.central as number;
    const kWhPerGB = p['network.kWhPerGB']?.central as number;
    const ciFr = GRID_REGIONS.find((r) => r.id === 'FR')?.gPerKWh as { central: number };
    const pue = PUE_CLASSES.find((c) => c.id === 'hyperscale')?.pue as { central: number };
    const t = result.offload.terms as Record<string, { central: number }>;
    // The device's whole request window (radio and waiting) is the measured 50 mJ; no idle × rtt on top.
    expect(t.deviceRadio?.central).toBeCloseTo((0.05 * ciDevice) / J_PER_KWH, 15);
    expect(t.deviceWait?.central).toBe(0);
    expect(t.network?.central).toBeCloseTo(((4000 + 600) / 1e9) * kWhPerGB * ciDevice, 15);
    expect(t.datacenter?.central).toBeCloseTo((0.003 * pue.central * ciFr.central) / J_PER_KWH, 15);
    expect(result.measurement?.offload).toMatchObject({
      records: 4,
      answered: 3,
      outcomes: { ok: 3, timeout: 1 },
    });
    expect(result.warnings.join('\n')).toContain(
      '1 of 4 offload requests of pi-known failed (ok 3, timeout 1)',
    );
    const text = formatComparison(result);
    expect(text).toContain('measured offload: 3 answered of 4 offload records of lab/pi-known');
    expect(text).toContain('server energy measured by rapl');
    expect(text).toContain('measured server dc-fra-1 (measured by rapl):');
  });

  it('gives carbon per correct inference on both sides from the labels feedback joined to each kind', async () => {
    const result = compare(scenario('pi-labelled'), await measured('pi-labelled'));
    expect(result.measurement?.accuracy).toMatchObject({ labelled: 3 });
    expect(result.measurement?.accuracy?.mean).toBeCloseTo(2 / 3, 12);
    expect(result.measurement?.offload?.accuracy).toMatchObject({ labelled: 4, mean: 0.75 });
    const p = result.provenance;
    expect(p['device.accuracy']).toMatchObject({ origin: 'measured' });
    expect(p['device.accuracy']?.central).toBeCloseTo(2 / 3, 12);
    expect(p['datacenter.accuracy']).toMatchObject({ origin: 'measured', central: 0.75 });
    expect(p['datacenter.accuracy']?.profile).toBe('offload records (feedback)');
    if (!('edge' in result.perCorrectInference)) throw new Error(result.perCorrectInference.reason);
    // One draw: per correct = per inference ÷ the measured share correct, on each side.
    expect(result.perCorrectInference.offload.central).toBeCloseTo(result.offload.total.central / 0.75, 15);
    expect(result.perCorrectInference.edge.central).toBeCloseTo(result.edge.total.central / (2 / 3), 15);
  });

  it('computes no carbon per correct inference when only the edge records are labelled', async () => {
    const result = compare(scenario('pi-known'), await measured('pi-known'));
    expect(result.measurement?.offload?.accuracy).toBeNull();
    expect('reason' in result.perCorrectInference).toBe(true);
  });

  it('takes the above-idle device energy on the marginal basis (energy − baseline × round trip)', async () => {
    const result = compare(scenario('pi-known', 'marginal'), await measured('pi-known'));
    expect(result.provenance['network.requestOverheadJ']?.central).toBeCloseTo(0.05 - 2 * 0.01, 15);
  });

  it('keeps an estimated server labelled ESTIMATED, never measured', async () => {
    const result = compare(scenario('pi-est'), await measured('pi-est'));
    expect(result.provenance['datacenter.energyJ']).toMatchObject({
      origin: 'store-estimate',
      central: 0.003,
    });
    expect(result.provenance['datacenter.energyJ']?.profile).toContain('ESTIMATED');
    expect(formatComparison(result)).toContain('server energy ESTIMATED');
  });

  it('reports mixed provenance as mixed, on the device and on the server', async () => {
    const result = compare(scenario('pi-mixed'), await measured('pi-mixed'));
    const p = result.provenance;
    expect(p['datacenter.energyJ']?.origin).toBe('store-estimate');
    expect(p['datacenter.energyJ']?.profile).toBe('server dc-fra-1 (MIXED: estimated 1, rapl 2)');
    expect(p['network.requestOverheadJ']?.origin).toBe('store-estimate');
    expect(p['network.requestOverheadJ']?.profile).toContain('MIXED: measured and estimated');
    expect(result.measurement?.offload).toMatchObject({
      deviceEnergyProvenance: 'mixed',
      serverEnergyProvenance: 'mixed',
    });
  });

  it('leaves the offload side to the profiles when the device has no offload records', async () => {
    const m = await measured('pi-edge-only');
    expect(m().offload).toBeNull();
    const base = validateScenario({
      ...scenario('pi-edge-only'),
      workload: { inferencesPerDay: 1000, inputBytes: 3136, outputBytes: 40 },
      network: { profile: 'wifi', rttS: 0.05 },
      datacenter: { profile: 'gpu-server', idleW: 0, region: 'US', energyJ: 0.002 },
    });
    const result = compare(base, m);
    expect(result.provenance['network.requestOverheadJ']?.origin).toBe('profile');
    expect(result.provenance['network.uplinkUJPerBit']?.origin).toBe('profile');
    expect(result.offload.terms.deviceWait?.central).toBeGreaterThan(0);
  });
});
