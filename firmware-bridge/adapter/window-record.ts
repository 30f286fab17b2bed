// The domain adapter: one measured window of a microcontroller's inferences becomes one
// inference record per inference in it (method `batched`), as the agent's batched windows do:
// the window's energy divided evenly, the monitor's own accuracy as the uncertainty, the idle
// power between windows as the baseline.

import type { UnsequencedRecord } from '../../agent/publish/outbox.js';
import { quantizeRecord } from '../../protocol/index.js';

export interface BridgeModel {
  /** SHA-256 (hex) of the model artifact the board runs (or of its name: see bridge.ts). */
  modelId: string;
  variant: string;
}

export interface WindowMeasurement {
  /** Wall-clock end of the window on the host, µs since the epoch. */
  endUs: number;
  durationS: number;
  energyJ: number;
  sampleCount: number;
  /** Mean power while idle before the window, W; null when no idle samples were seen. */
  idleW: number | null;
  /** Inferences the board ran inside the window. */
  inferences: number;
  /** The monitor's relative accuracy (e.g. 0.01 for ±1 %). */
  accuracy: number;
  /** e.g. `ewfw:simulated-ina219`, `lpm01a`, `ppk2`. */
  sensor: string;
  inputBytes?: number;
  outputBytes?: number;
}

export function windowRecords(window: WindowMeasurement, model: BridgeModel): UnsequencedRecord[] {
  const n = Math.max(1, Math.floor(window.inferences));
  const perInferenceJ = window.energyJ / n;
  const durationUs = Math.max(1, Math.round((window.durationS * 1e6) / n));
  const startUs = Math.round(window.endUs - window.durationS * 1e6);
  const records: UnsequencedRecord[] = [];
  for (let i = 0; i < n; i++) {
    const { seq: _seq, ...record } = quantizeRecord({
      seq: 0,
      startUs: startUs + i * durationUs,
      durationUs,
      energyJ: perInferenceJ,
      // A monitor's stated accuracy is a bound on a systematic error: it does not shrink with n.
      energyUncertaintyJ: perInferenceJ * window.accuracy,
      baselineW: window.idleW ?? 0,
      sampleCount: window.sampleCount,
      provenance: 'measured',
      sensor: window.sensor,
      modelId: model.modelId,
      variant: model.variant,
      backend: 'mcu',
      batchSize: 1,
      inputBytes: window.inputBytes ?? 0,
      outputBytes: window.outputBytes ?? 0,
      correct: null,
      method: 'batched',
      windowInferences: n,
    });
    records.push(record);
  }
  return records;
}
