// Auto arms: each input ran where the agent's policy sent it, so the arm has edge records and
// offload records, and each counts as the placement it had. Known truth: edge inferences cost
// 10 mJ, offloaded ones 4 mJ on the device + 2 mJ on the server; the auto arm offloads every
// other input, so it costs 8 mJ (−20 % against the edge arm), and the analysis says how many of
// its inferences were offloaded.

import { describe, expect, it } from 'vitest';
import type { StoredOffload } from '../../collector/experiments/aggregate.js';
import { type AnalysisInput, analyseRecords, scheduleOf } from '../../collector/experiments/analyse.js';
import { parseExperiment } from '../../collector/experiments/experiment-file.js';
import type { StoredRecord } from '../../collector/store/index.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
const DEVICES = ['pi-1', 'pi-2', 'pi-3', 'pi-4', 'pi-5', 'pi-6'];
const input: AnalysisInput = {
  experiment: parseExperiment(`
id: auto-1
fleet: lab
devices: [${DEVICES.join(', ')}]
arms:
  - { id: edge, model: ${A} }
  - { id: auto, model: ${B}, placement: auto, server: "https://serve.lan:8790" }
periodS: 600
periods: 2
washoutS: 60
warmupS: 30
seed: 4
`),
  devices: DEVICES,
  startedAtMs: T0,
  endedAtMs: null,
  replicates: 200,
  carbonSamples: 50,
};
const factor = (device: string) => 1 + 0.03 * (Number(device.slice(3)) - 1);

const edge = (device: string, seq: number, atMs: number, arm: string, modelId: string): StoredRecord => ({
  fleet: 'lab',
  device,
  seq,
  startUs: atMs * 1000,
  durationUs: 3000,
  energyJ: 0.01 * factor(device),
  energyUncertaintyJ: 0.0002,
  baselineW: 0.6,
  sampleCount: 10,
  provenance: 'measured',
  sensor: 'ina219',
  modelId,
  variant: arm,
  backend: 'cpu',
  batchSize: 1,
  inputBytes: 3136,
  outputBytes: 40,
  correct: null,
  experiment: 'auto-1',
  arm,
  placement: 'edge',
});

const offloaded = (device: string, seq: number, atMs: number): StoredOffload => ({
  fleet: 'lab',
  device,
  seq,
  startUs: atMs * 1000,
  modelId: B,
  variant: 'auto',
  experiment: 'auto-1',
  arm: 'auto',
  deviceEnergyJ: 0.004 * factor(device),
  deviceEnergyUncertaintyJ: 0.0001,
  deviceBaselineW: 0.6,
  energyProvenance: 'measured',
  sensor: 'ina219',
  requestBytes: 3136,
  socketBytesSent: 3400,
  roundTripS: 0.05,
  responseBytes: 412,
  socketBytesReceived: 600,
  outcome: 'ok',
  httpStatus: 200,
  fallback: 'none',
  policy: 'auto-comparison',
  prediction: 3,
  serverId: 'dc-1',
  serverRegion: 'DE',
  serverPueClass: 'hyperscale',
  serverEnergyJ: 0.002 * factor(device),
  serverEnergyUncertaintyJ: 0.0005,
  serverIdleShareJ: 0.001,
  serverEnergyProvenance: 'rapl',
  serverBatchSize: 2,
  serverLatencyS: 0.01,
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
