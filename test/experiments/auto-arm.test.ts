// Auto arms: each input ran where the agent's policy sent it, so the arm has edge records and
// offload records, and each counts as the placement it had. Known truth: edge inferences cost
// 10 mJ, offloaded ones 4 mJ on the device + 2 mJ on the server; the auto arm offloads every
// other input, so it costs 8 mJ (−20 % against the edge arm), and the analysis says how many of
// its inferences were offloaded.

import { describe, expect, it } from 'vitest';
import type { StoredOffload } from '../../collector/experiments/aggregate.js';
import { analyseRecords, scheduleOf } from '../../collector/experiments/analyse.js';
import type { StoredRecord } from '../../collector/store/index.js';
import {
  MODEL_A as A,
  analysisInputOf,
  MODEL_B as B,
  storedEdgeRecord,
  storedOffloadOk,
  twoArmExperiment,
} from '../support/experiment-records.js';

const DEVICES = ['pi-1', 'pi-2', 'pi-3', 'pi-4', 'pi-5', 'pi-6'];
const input = analysisInputOf(twoArmExperiment('auto-1', DEVICES, 'auto'), DEVICES, {
  replicates: 200,
  carbonSamples: 50,
});
const factor = (device: string) => 1 + 0.03 * (Number(device.slice(3)) - 1);

const edge = (device: string, seq: number, atMs: number, arm: string, modelId: string): StoredRecord =>
  storedEdgeRecord({ experiment: 'auto-1', device, seq, atMs, energyJ: 0.01 * factor(device), arm, modelId });

const offloaded = (device: string, seq: number, atMs: number): StoredOffload =>
  storedOffloadOk({
    experiment: 'auto-1',
    device,
    seq,
    atMs,
    arm: 'auto',
    policy: 'auto-comparison',
    deviceEnergyJ: 0.004 * factor(device),
    deviceEnergyUncertaintyJ: 0.0001,
    serverEnergyJ: 0.002 * factor(device),
    serverEnergyUncertaintyJ: 0.0005,
  });

describe('auto arms', () => {
  it('count each inference by the placement it had: half offloaded (6 mJ), half on the edge (10 mJ) is 8 mJ', () => {
    const records: StoredRecord[] = [];
    const offloads: StoredOffload[] = [];
    let seq = 0;
    for (const period of scheduleOf(input)) {
      let i = 0;
      for (let at = period.washoutEndMs; at < period.endMs; at += 10_000, i++) {
        if (period.arm === 'edge') records.push(edge(period.device, seq++, at, 'edge', A));
        else if (i % 2 === 0) offloads.push(offloaded(period.device, seq++, at));
        else records.push(edge(period.device, seq++, at, 'auto', B));
      }
    }
    const result = analyseRecords(input, records, offloads);
    const arm = (id: string) => result.arms.find((a) => a.arm === id);
    const meanFactor = DEVICES.reduce((sum, d) => sum + factor(d), 0) / DEVICES.length;
    expect(arm('auto')?.energyJ.mean).toBeCloseTo(0.008 * meanFactor, 4);
    expect(arm('auto')?.n).toBe(offloads.length + records.filter((r) => r.arm === 'auto').length);
    expect(result.contrasts[0]?.relDiff).toBeCloseTo(-0.2, 2);
    expect(result.experiment.arms[1]?.placement).toBe('auto');
    expect(result.checks.warnings).toContain(
      `arm auto is an auto arm: ${offloads.length} of its inference(s) were offloaded (offload records), the rest ran on the edge; each counts as the placement it had (offloaded: the device's request energy plus the server's)`,
    );
  });
});
