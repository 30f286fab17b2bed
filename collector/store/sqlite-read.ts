// The SQLite store's reads as SQL: a RecordFilter becomes one WHERE clause with named parameters,
// shared by the record, count and summary queries. SqliteStore (sqlite.ts) runs them; records
// stream through better-sqlite3's iterate(), so an export never holds the table in memory.

import { MODEL_PREFIX_MIN, type RecordFilter } from './filter.js';

export interface Query {
  sql: string;
  params: Record<string, string | number>;
}

/** `WHERE …` (or '') over the inference or offload table, its columns prefixed with `alias.` when given. */
export function whereRecords(f: RecordFilter, alias = ''): Query {
  const c = (column: string) => (alias === '' ? column : `${alias}.${column}`);
  const clauses: string[] = [];
  const params: Record<string, string | number> = {};
  const equal = (column: string, key: string, value: string | undefined) => {
    if (value === undefined) return;
    clauses.push(`${c(column)} = @${key}`);
    params[key] = value;
  };
  equal('fleet', 'fleet', f.fleet);
  equal('device', 'device', f.device);
  if (f.model !== undefined) {
    // Same meaning as modelMatches(): the id, a prefix of 8+ characters of it, or the variant.
    clauses.push(
      `(${c('model_id')} = @model OR (length(@model) >= ${MODEL_PREFIX_MIN} AND substr(${c('model_id')}, 1, length(@model)) = @model) OR ${c('variant')} = @model)`,
    );
    params.model = f.model;
  }
  if (f.fromUs !== undefined) {
    clauses.push(`${c('start_us')} >= @fromUs`);
    params.fromUs = f.fromUs;
  }
  if (f.toUs !== undefined) {
    clauses.push(`${c('start_us')} < @toUs`);
    params.toUs = f.toUs;
  }
  equal('experiment', 'experiment', f.experiment);
  equal('arm', 'arm', f.arm);
  return { sql: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, params };
}

/** In primary-key order, so SQLite streams them without sorting; `table`: inference or offload. */
export function recordsQuery(columns: readonly string[], f: RecordFilter, table = 'inference'): Query {
  const where = whereRecords(f);
  return {
    sql: `SELECT ${columns.join(', ')} FROM ${table} ${where.sql} ORDER BY fleet, device, seq`,
    params: where.params,
  };
}

export function countQuery(f: RecordFilter, table = 'inference'): Query {
  const where = whereRecords(f);
  return { sql: `SELECT COUNT(*) AS n FROM ${table} ${where.sql}`, params: where.params };
}

export function summaryQuery(f: RecordFilter): Query {
  const where = whereRecords(f, 'i');
  return {
    sql: `SELECT i.fleet, i.device, d.board, d.state, i.model_id AS modelId, i.variant, i.backend, i.sensor, i.provenance,
                COUNT(*) AS inferences, AVG(i.duration_us) AS meanDurationUs, AVG(i.energy_j) AS meanEnergyJ,
                AVG(i.energy_j - i.baseline_w * i.duration_us / 1e6) AS meanMarginalEnergyJ,
                AVG(i.energy_uncertainty_j) AS meanUncertaintyJ
         FROM inference i LEFT JOIN device d ON d.fleet = i.fleet AND d.device = i.device
         ${where.sql}
         GROUP BY i.fleet, i.device, i.model_id, i.variant, i.backend, i.sensor, i.provenance
         ORDER BY i.fleet, i.device`,
    params: where.params,
  };
}

/** Feedback rows in key order; of the filter only fleet and device apply (labels are joined by seq). */
export function feedbackQuery(f: RecordFilter): Query {
  const where = whereRecords({ fleet: f.fleet, device: f.device });
  return {
    sql: `SELECT fleet, device, seq, label, correct, at_us AS atUs FROM feedback ${where.sql} ORDER BY fleet, device, seq`,
    params: where.params,
  };
}

/** Device status rows; of the filter only fleet and device apply (a status has no model or time). */
export function devicesQuery(f: RecordFilter): Query {
  const where = whereRecords({ fleet: f.fleet, device: f.device });
  return {
    sql: `SELECT fleet, device, state, status_seq AS statusSeq, status_at_us AS statusAtUs, board, sensor, backend,
                model_id AS modelId, variant, agent_version AS agentVersion
         FROM device ${where.sql} ORDER BY fleet, device`,
    params: where.params,
  };
}
