// One comparison as the API runs it: opens the store read-only when the scenario reads `measured`
// values, compares, closes. Runs inside the compare worker (compare-worker.ts).

import {
  type Comparison,
  compare,
  type MeasurementSource,
  measure,
  type Scenario,
} from '../lifecycle/index.js';
import { createStore, type QueryableStore } from '../store/index.js';

export async function runComparison(scenario: Scenario, storeUrl: string | undefined): Promise<Comparison> {
  let store: QueryableStore | undefined;
  let measurements: MeasurementSource | undefined;
  try {
    if (scenario.device.measured !== undefined && storeUrl !== undefined) {
      const opened = createStore(storeUrl, { readOnly: true });
      await opened.connect();
      store = opened;
      measurements = (query) => measure(opened, query);
    }
    return compare(scenario, measurements);
  } finally {
    await store?.close();
  }
}
