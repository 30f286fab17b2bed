// One comparison as the API runs it: opens the store read-only when the scenario reads `measured`
// values, reads them (narrowed by `filter`, e.g. compare --from/--experiment), compares, closes.
// Runs inside the compare worker (compare-worker.ts). With a models folder, a scenario's named
// model takes its training energy from its manifest.

import { type Comparison, compare, type Measurement, measure, type Scenario } from '../lifecycle/index.js';
import { measureOffload } from '../lifecycle/measured-offload.js';
import { manifestTrainingSource } from '../lifecycle/model-energy.js';
import { capability, createStore, optionalCapability, type RecordFilter } from '../store/index.js';

export async function runComparison(
  scenario: Scenario,
  storeUrl: string | undefined,
  filter: RecordFilter & { skipFirst?: number } = {},
  /** Folder of model folders (or one model folder) whose manifests give trainingJ (compare --models). */
  modelsDir?: string,
): Promise<Comparison> {
  const models = modelsDir === undefined ? undefined : await manifestTrainingSource(modelsDir);
  const wanted = scenario.device.measured;
  if (wanted === undefined || storeUrl === undefined) return compare(scenario, undefined, models);
  const store = capability(createStore(storeUrl, { readOnly: true }), 'readRecords', '--store');
  let measurement: Measurement;
  await store.connect();
  try {
    // Flags given on the command line win over the scenario's device.measured.
    const defined = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
    measurement = await measure(store, { ...wanted, ...defined });
    // The same device and model's offload records, where the store keeps them: both placements
    // then come from the store (the skip-first of a warm-up applies to inference records only).
    const offload = optionalCapability(store, 'readOffload');
    if (offload !== undefined) {
      const { skipFirst: _, ...filter } = { ...wanted, ...defined } as typeof wanted & { skipFirst?: number };
      // Feedback joins either kind (one seq space): the offload side's accuracy from its labels.
      measurement.offload = await measureOffload(offload, filter, store);
    }
  } finally {
    await store.close();
  }
  return compare(scenario, () => measurement, models);
}
