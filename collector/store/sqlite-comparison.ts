// The SQLite store's `comparison` table: life-cycle comparison results (ComparisonResult, the same
// shape InfluxDB's `comparison` measurement holds), one row per (fleet, device, board, model,
// variant, scenario, unit) and computation time; writing the same point again overwrites it.

import type Database from 'better-sqlite3';
import type { ComparisonResult } from '../lifecycle/comparison-result.js';

export const COMPARISON_SCHEMA = `
CREATE TABLE IF NOT EXISTS comparison (
  at_us INTEGER NOT NULL,
  fleet TEXT NOT NULL,
  device TEXT NOT NULL,
  board TEXT NOT NULL,
  model_id TEXT NOT NULL,
  variant TEXT NOT NULL,
  scenario TEXT NOT NULL,
  unit TEXT NOT NULL,
  edge_g_co2e REAL NOT NULL,
  edge_g_co2e_low REAL NOT NULL,
  edge_g_co2e_high REAL NOT NULL,
  offload_g_co2e REAL NOT NULL,
  offload_g_co2e_low REAL NOT NULL,
  offload_g_co2e_high REAL NOT NULL,
  p_edge_wins REAL NOT NULL,
  break_even_per_s REAL,
  interval_level REAL NOT NULL,
  samples INTEGER NOT NULL,
  PRIMARY KEY (fleet, device, board, model_id, variant, scenario, unit, at_us)
) WITHOUT ROWID;
`;

interface ComparisonRow {
  at_us: number;
  fleet: string;
  device: string;
  board: string;
  model_id: string;
  variant: string;
  scenario: string;
  unit: string;
  edge_g_co2e: number;
  edge_g_co2e_low: number;
  edge_g_co2e_high: number;
  offload_g_co2e: number;
  offload_g_co2e_low: number;
  offload_g_co2e_high: number;
  p_edge_wins: number;
  break_even_per_s: number | null;
  interval_level: number;
  samples: number;
}

const COLUMNS: readonly (keyof ComparisonRow)[] = [
  'at_us',
  'fleet',
  'device',
  'board',
  'model_id',
  'variant',
  'scenario',
  'unit',
  'edge_g_co2e',
  'edge_g_co2e_low',
  'edge_g_co2e_high',
  'offload_g_co2e',
  'offload_g_co2e_low',
  'offload_g_co2e_high',
  'p_edge_wins',
  'break_even_per_s',
  'interval_level',
  'samples',
];

/** `device` is '' when the comparison is not per device (a NULL cannot be part of the key). */
function toRow(c: ComparisonResult): ComparisonRow {
  return {
    at_us: c.atUs,
    fleet: c.fleet,
    device: c.device ?? '',
    board: c.board,
    model_id: c.modelId,
    variant: c.variant,
    scenario: c.scenario,
    unit: c.unit,
    edge_g_co2e: c.edge.meanG,
    edge_g_co2e_low: c.edge.lowG,
    edge_g_co2e_high: c.edge.highG,
    offload_g_co2e: c.offload.meanG,
    offload_g_co2e_low: c.offload.lowG,
    offload_g_co2e_high: c.offload.highG,
    p_edge_wins: c.probabilityEdgeWins,
    break_even_per_s: c.breakEvenPerS,
    interval_level: c.intervalLevel,
    samples: c.samples,
  };
}

function fromRow(row: ComparisonRow): ComparisonResult {
  return {
    atUs: row.at_us,
    fleet: row.fleet,
    ...(row.device === '' ? {} : { device: row.device }),
    board: row.board,
    modelId: row.model_id,
    variant: row.variant,
    scenario: row.scenario,
    unit: row.unit,
    edge: { meanG: row.edge_g_co2e, lowG: row.edge_g_co2e_low, highG: row.edge_g_co2e_high },
    offload: { meanG: row.offload_g_co2e, lowG: row.offload_g_co2e_low, highG: row.offload_g_co2e_high },
    probabilityEdgeWins: row.p_edge_wins,
    breakEvenPerS: row.break_even_per_s,
    intervalLevel: row.interval_level,
    samples: row.samples,
  };
}

/** Inserts (or overwrites) the results in one transaction. */
export function insertComparisons(db: Database.Database, results: readonly ComparisonResult[]): void {
  const insert = db.prepare(
    `INSERT OR REPLACE INTO comparison (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`,
  );
  db.transaction(() => {
    for (const c of results) insert.run(toRow(c));
  })();
}

/** Every stored comparison, oldest first; none when the file predates the table. */
export function selectComparisons(db: Database.Database): ComparisonResult[] {
  const table = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'comparison'")
    .get();
  if (table === undefined) return [];
  return (
    db
      .prepare(`SELECT ${COLUMNS.join(', ')} FROM comparison ORDER BY at_us, scenario`)
      .all() as ComparisonRow[]
  ).map(fromRow);
}
