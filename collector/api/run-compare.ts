// One comparison as the API runs it: opens the store read-only when the scenario reads `measured`
// values, reads them (narrowed by `filter`, e.g. compare --from/--experiment), compares, closes.
// Runs inside the compare worker (compare-worker.ts).

import { type Comparison, compare, type Measurement, measure, type Scenario } from '../lifecycle/index.js';
import { capability, createStore, type RecordFilter } from '../store/index.js';

export async function runComparison(
  scenario: Scenario,
  storeUrl: string | undefined,
  filter: RecordFilter = {},
): Promise<Comparison> {
  const wanted = scenario.device.measured;
  if (wanted === undefined || storeUrl === undefined) return compare(scenario);
  const store = capability(createStore(storeUrl, { readOnly: true }), 'readRecords', '--store');
  let measurement: Measurement;
  await store.connect();
  try {
    // Flags given on the command line win over the scenario's device.measured.
    const defined = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
    measurement = await measure(store, { ...wanted, ...defined });
  } finally {
    await store.close();
  }
  return compare(scenario, () => measurement);
}
