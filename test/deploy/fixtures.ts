// Shared pieces of the deployment tests: a sample life-cycle comparison, the agent config of
// test/support (re-exported), and reading back which (device, seq) InfluxDB holds.

import type { ComparisonResult } from '../../collector/lifecycle/comparison-result.js';
import type { Influxd } from '../support/influxd.js';

export { agentConfig } from '../support/stack.js';

export const SAMPLE_COMPARISON: ComparisonResult = {
  atUs: 1_763_700_000_000_000,
  fleet: 'lab',
  board: 'rpi4',
  modelId: 'ccd5caa4f0157a1b5b0d6f0e4d2b0c9a8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b',
  variant: 'dense',
  scenario: 'eu-de-wifi',
  unit: 'inference',
  edge: { meanG: 0.0021, lowG: 0.0015, highG: 0.003 },
  offload: { meanG: 0.0042, lowG: 0.002, highG: 0.0081 },
  probabilityEdgeWins: 0.87,
  breakEvenPerS: 0.35,
  intervalLevel: 0.9,
  samples: 10_000,
};

/** Every stored (device, seq) of the database as `device/seq` strings, duplicates kept. */
export async function storedKeys(influx: Influxd, db: string): Promise<string[]> {
  const series = await influx.query(db, 'SELECT "seq" FROM "inference" GROUP BY "device"');
  return series.flatMap((s) => s.values.map((v) => `${s.tags?.device}/${String(v[1])}`));
}

/** Duplicates and missing keys of `stored` against `produced`. */
export function compareKeys(produced: readonly string[], stored: readonly string[]) {
  const storedSet = new Set(stored);
  const producedSet = new Set(produced);
  return {
    produced: produced.length,
    stored: stored.length,
    missing: produced.filter((k) => !storedSet.has(k)),
    duplicates: stored.length - storedSet.size,
    unexpected: stored.filter((k) => !producedSet.has(k)),
  };
}
