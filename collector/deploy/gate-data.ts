// The health gate's records, read from the collector's record store (SQLite or InfluxDB, through
// the `readRecords` capability) and the devices a rollout can select, from their last status.

import type { RecordReader } from '../store/index.js';
import type { GateRecord } from './health-gate.js';
import type { GateData } from './rollout-controller.js';
import type { KnownDevice } from './rollout-plan.js';

/** Most records read per board and period: plenty for the batch statistics, bounded memory. */
export const MAX_GATE_RECORDS = 50_000;

export function storeGateData(reader: RecordReader): GateData {
  return {
    async records(fleet, device, modelId, fromUs, toUs) {
      const out: GateRecord[] = [];
      for await (const record of reader.readRecords({
        fleet,
        device,
        fromUs,
        toUs,
        // A 16-digit prefix: InfluxDB keeps the model id shortened in its tag and restores the full
        // id only from status messages, which may not name the new model yet.
        ...(modelId === null ? {} : { model: modelId.slice(0, 16) }),
      })) {
        out.push({
          startUs: record.startUs,
          durationUs: record.durationUs,
          energyJ: record.energyJ,
          correct: record.correct,
        });
        if (out.length >= MAX_GATE_RECORDS) break;
      }
      return out;
    },
  };
}

export function storeDevices(reader: RecordReader): () => Promise<KnownDevice[]> {
  return async () =>
    (await reader.readDevices()).map((d) => ({ fleet: d.fleet, device: d.device, modelId: d.modelId }));
}
