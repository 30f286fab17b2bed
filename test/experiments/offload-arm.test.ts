// Offload arms analysed from offload records (issue 16's kind): each offloaded inference counts as the
// device's energy over its request window plus the server's energy for the request, latency is the
// round trip, and failed requests count with the device's energy alone. Known truth: the edge arm
// costs 10 mJ per inference; the offload arm 4 mJ on the device + 2 mJ on the server = 6 mJ, so −40 %
// (times a board factor), and a request that times out costs 20 mJ on the device and nothing more.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { offloadObservation, type StoredOffload } from '../../collector/experiments/aggregate.js';
import { analyseRecords, analyseStore, scheduleOf } from '../../collector/experiments/analyse.js';
import { fallbackObservation } from '../../collector/experiments/fallback-pairs.js';
import { analyseExperiment, ExperimentDb } from '../../collector/experiments/index.js';
import {
  capability,
  createStore,
  type RecordFilter,
  recordMatches,
  type StoredRecord,
} from '../../collector/store/index.js';
import {
  analysisInputOf,
  offloadCommon,
  storedEdgeRecord,
  storedOffloadOk,
  T0,
  twoArmExperiment,
} from '../support/experiment-records.js';
import { tempDir } from '../support/stack.js';

const DEVICES = ['pi-1', 'pi-2', 'pi-3', 'pi-4', 'pi-5', 'pi-6'];
const experiment = twoArmExperiment('off-1', DEVICES, 'offload');
const input = analysisInputOf(experiment, DEVICES, { replicates: 200, carbonSamples: 50 });

/** Boards differ (pi-1 ×1.00 … pi-6 ×1.15); each board's offload arm costs 40 % less than its edge arm. */
const boardFactor = (device: string) => 1 + 0.03 * (Number(device.slice(3)) - 1);

function edgeRecord(device: string, seq: number, atMs: number): StoredRecord {
  return storedEdgeRecord({ experiment: 'off-1', device, seq, atMs, energyJ: 0.01 * boardFactor(device) });
}

function offloadRecord(
  device: string,
  seq: number,
  atMs: number,
  failed: boolean,
  fallback: 'none' | 'edge' = 'none',
): StoredOffload {
  const at = { experiment: 'off-1', device, seq, atMs, arm: 'offload', policy: 'fixed' } as const;
  if (failed)
    return {
      ...offloadCommon({ ...at, deviceEnergyUncertaintyJ: 0.0001 }),
      roundTripS: 2,
      deviceEnergyJ: 0.02,
      responseBytes: 0,
      socketBytesReceived: 0,
      outcome: 'timeout',
      fallback,
    };
  return storedOffloadOk({
    ...at,
    deviceEnergyJ: 0.004 * boardFactor(device),
    deviceEnergyUncertaintyJ: 0.0001,
    serverEnergyJ: 0.002 * boardFactor(device),
    serverEnergyUncertaintyJ: 0.0005,
  });
}

/** Every 10 s of each period after its washout: edge records in edge periods, offload records in offload ones. */
function fleet(failEvery = 0) {
  const records: StoredRecord[] = [];
  const offloaded: StoredOffload[] = [];
  let seq = 0;
  for (const period of scheduleOf(input)) {
    let i = 0;
    for (let at = period.washoutEndMs; at < period.endMs; at += 10_000, i++) {
      if (period.arm === 'edge') records.push(edgeRecord(period.device, seq++, at));
      else offloaded.push(offloadRecord(period.device, seq++, at, failEvery > 0 && i % failEvery === 0));
    }
  }
  return { records, offloaded };
}

/**
 * Like fleet(), but every failEvery-th offload times out and falls back to the edge: the agent writes
 * the offload record (seq) and then the edge inference record (seq + 1, same experiment/arm tags).
 * `lose` drops that many of those edge records (spool loss).
 */
function fallbackFleet(failEvery: number, lose = 0) {
  const records: StoredRecord[] = [];
  const offloaded: StoredOffload[] = [];
  let seq = 0;
  let lost = 0;
  for (const period of scheduleOf(input)) {
    let i = 0;
    for (let at = period.washoutEndMs; at < period.endMs; at += 10_000, i++) {
      if (period.arm === 'edge') {
        records.push(edgeRecord(period.device, seq++, at));
        continue;
      }
      const failed = i % failEvery === 0;
      offloaded.push(offloadRecord(period.device, seq++, at, failed, failed ? 'edge' : 'none'));
      if (!failed) continue;
      const edge = { ...edgeRecord(period.device, seq++, at + 2000), arm: 'offload', correct: true };
      if (lost < lose) lost++;
      else records.push(edge);
    }
  }
  return { records, offloaded };
}

describe('offload arms', () => {
  it('an offloaded inference is device + server energy, above idle off the device baseline, latency the round trip', () => {
    const ok = offloadObservation(offloadRecord('pi-1', 7, T0, false));
    expect(ok).toMatchObject({ device: 'pi-1', arm: 'offload', durationUs: 50_000, baselineW: 0.6 });
    expect(ok.energyJ).toBeCloseTo(0.006, 12); // pi-1: factor 1
    const failed = offloadObservation(offloadRecord('pi-1', 8, T0, true));
    expect(failed.energyJ).toBe(0.02);
  });

  it('compares the arms on the known truth: offload 6 mJ against edge 10 mJ (−40 %)', () => {
    const { records, offloaded } = fleet();
    const result = analyseRecords(input, records, offloaded);
    const arm = (id: string) => result.arms.find((a) => a.arm === id);
    const meanFactor = input.devices.reduce((sum, d) => sum + boardFactor(d), 0) / input.devices.length;
    expect(arm('edge')?.energyJ.mean).toBeCloseTo(0.01 * meanFactor, 12);
    expect(arm('offload')?.energyJ.mean).toBeCloseTo(0.006 * meanFactor, 12);
    expect(arm('offload')?.boards).toBe(6); // 6 boards: a paired sign test can reach p < 0.05 (4 cannot: 2/16)
    expect(result.contrasts[0]?.relDiff).toBeCloseTo(-0.4, 9);
    expect(result.conclusion).toMatch(/^offload uses 40\.0 % less energy per inference than edge/);
    // p95 latency of the offload arm is the round trip (50 ms, within the histogram's 4.7 % bins).
    expect(arm('offload')?.latencyP95Ms).toBeGreaterThan(47);
    expect(arm('offload')?.latencyP95Ms).toBeLessThan(53);
    expect(arm('offload')?.provenance).toMatch(
      /with the arm's MEASURED offload values \(324 answered of 324/,
    );
    expect(result.checks.warnings.filter((w) => w.includes('offload'))).toEqual([]);
  });

  it('counts failed requests with their device energy and says how many there were', () => {
    const { records, offloaded } = fleet(10);
    const result = analyseRecords(input, records, offloaded);
    const failed = offloaded.filter((r) => r.outcome !== 'ok').length;
    const share = failed / offloaded.length;
    expect(share).toBeGreaterThan(0.05);
    const mean = result.arms.find((a) => a.arm === 'offload')?.energyJ.mean ?? Number.NaN;
    // Each board-period's mean weighs equally; every period has the same count, so the pooled share
    // holds (ok requests scale with the board, a timeout costs 20 mJ on any board).
    const meanFactor = input.devices.reduce((sum, d) => sum + boardFactor(d), 0) / input.devices.length;
    expect(mean).toBeCloseTo((1 - share) * 0.006 * meanFactor + share * 0.02, 9);
    expect(result.checks.warnings).toContain(
      `arm offload: ${failed} of ${offloaded.length} offloaded inference(s) got no answer; they count with the device's energy alone`,
    );
  });

  it('reads offload records from a store’s readOffload with the experiment filter, and warns when there are none', async () => {
    const { records, offloaded } = fleet();
    const filters: RecordFilter[] = [];
    const reader = {
      async *readRecords(filter: RecordFilter = {}) {
        for (const r of records) if (recordMatches(r, filter)) yield r;
      },
      async *readFeedback() {},
    } as unknown as Parameters<typeof analyseStore>[0];
    const source = {
      async *readOffload(filter: RecordFilter) {
        filters.push(filter);
        for (const r of offloaded)
          if (r.fleet === filter.fleet && r.experiment === filter.experiment) yield r;
      },
    };
    const fromStore = await analyseStore(reader, input, source);
    expect(filters).toEqual([{ fleet: 'lab', experiment: 'off-1' }]);
    expect(fromStore.contrasts[0]?.relDiff).toBeCloseTo(-0.4, 9);
    const without = await analyseStore(reader, input);
    expect(without.checks.warnings).toContain(
      "arm offload is an offload arm but no offload records were read: its figures are its boards' edge records only (an agent without placement, or a store without offload records)",
    );
  });

  it('experiment analyse (analyseExperiment) reads the offload arm from the store it analyses', async () => {
    const { records, offloaded } = fleet();
    const dir = tempDir('edgewatt-offload-arm-');
    const db = new ExperimentDb(join(dir.path, 'experiments.sqlite'));
    const store = capability(createStore(`sqlite:${join(dir.path, 'store.sqlite')}`), 'readRecords');
    const writer = capability(store, 'writeRecords');
    try {
      await store.connect();
      for (const device of input.devices) {
        const strip = <T extends { fleet: string; device: string }>({ fleet: _f, device: _d, ...rest }: T) =>
          rest;
        await writer.writeBatch('lab', device, records.filter((r) => r.device === device).map(strip));
        for (const r of offloaded.filter((o) => o.device === device))
          await writer.writeOffload('lab', device, [strip(r)]);
      }
      db.create(experiment, input.devices, T0, T0);
      const result = await analyseExperiment(db, store, 'off-1', { replicates: 200 });
      expect(result.checks.warnings.filter((w) => w.includes('offload'))).toEqual([]);
      expect(result.contrasts[0]?.relDiff).toBeCloseTo(-0.4, 6);
    } finally {
      await store.close();
      db.close();
      dir.remove();
    }
  });

  it('a failed offload that fell back to the edge is one inference: E_fail + E_edge, round trip + edge latency', async () => {
    const { records, offloaded } = fallbackFleet(10);
    const failed = offloaded.filter((r) => r.outcome !== 'ok').length;
    const share = failed / offloaded.length;
    expect(share).toBeGreaterThan(0.05);
    const meanFactor = input.devices.reduce((sum, d) => sum + boardFactor(d), 0) / input.devices.length;
    // Known truth: an ok request 6 mJ × board; a fallback 20 mJ (timeout) + 10 mJ × board (edge run).
    const truth = (1 - share) * 0.006 * meanFactor + share * (0.02 + 0.01 * meanFactor);
    const reader = {
      async *readRecords(filter: RecordFilter = {}) {
        for (const r of records) if (recordMatches(r, filter)) yield r;
      },
      async *readFeedback() {},
    } as unknown as Parameters<typeof analyseStore>[0];
    const source = {
      async *readOffload() {
        yield* offloaded;
      },
    };
    // One pair by hand: above idle takes each part's baseline over its own span.
    const pair = fallbackObservation(
      offloadRecord('pi-1', 8, T0, true, 'edge'),
      edgeRecord('pi-1', 9, T0 + 2000),
    );
    expect(pair).toMatchObject({ device: 'pi-1', startUs: T0 * 1000, durationUs: 2_003_000 });
    expect(pair.energyJ).toBeCloseTo(0.03, 12);
    expect(pair.baselineW * (pair.durationUs / 1e6)).toBeCloseTo(0.6 * 2 + 0.6 * 0.003, 12);
    for (const result of [
      analyseRecords(input, records, offloaded),
      await analyseStore(reader, input, source),
    ]) {
      const arm = result.arms.find((a) => a.arm === 'offload');
      expect(arm?.energyJ.mean).toBeCloseTo(truth, 12);
      expect(arm?.n).toBe(offloaded.length); // one inference per input, the edge record not on its own
      expect(arm?.accuracy).toBe(1); // correctness from the edge record
      // p95 latency: the 2 s round trip + 3 ms edge run (within the histogram's 4.7 % bins).
      expect(arm?.latencyP95Ms).toBeGreaterThan(2003 / 1.05);
      expect(arm?.latencyP95Ms).toBeLessThan(2003 * 1.05);
      expect(result.checks.warnings).toContain(
        `arm offload: ${failed} of ${offloaded.length} offloaded inference(s) got no answer and ran on the edge; each counts as the request's device energy plus its edge inference`,
      );
      expect(result.checks.warnings.filter((w) => w.includes('lost'))).toEqual([]);
    }
  });

  it('a fallback whose edge record (seq + 1) is missing counts alone, with a warning saying how many', () => {
    const { records, offloaded } = fallbackFleet(10, 3);
    const result = analyseRecords(input, records, offloaded);
    expect(result.arms.find((a) => a.arm === 'offload')?.n).toBe(offloaded.length);
    expect(result.checks.warnings).toContain(
      "3 offload fallback(s) to the edge have no edge inference record at seq + 1 (lost): they count with the request's device energy alone",
    );
  });
});
