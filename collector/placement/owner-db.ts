// Who set each device's retained cmd/placement command, and what it is: one row per device in
// `<dataDir>/placement.sqlite`. The collector is the only writer of that retained topic; this row
// is how it knows whether the operator or a running experiment holds a device, which command to
// re-publish with a fresh basis, and the basis's provenance (which the wire does not carry).

import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { PlacementCommand } from '../../protocol/placement.js';
import { openStateDb } from '../state-db.js';
import type { BasisProvenance } from './basis.js';

export const PLACEMENT_DB = 'placement.sqlite';
export const placementDbPath = (dataDir: string): string => join(dataDir, PLACEMENT_DB);

/** `operator`, or `experiment:<id>` while an experiment holds the device. */
export type PlacementOwnerId = 'operator' | `experiment:${string}`;

export interface PlacementRow {
  fleet: string;
  device: string;
  owner: PlacementOwnerId;
  command: PlacementCommand;
  /** The model an experiment arm runs (its basis is for that model); null: the device's current one. */
  modelId: string | null;
  setAtMs: number;
  /** The last basis computed for an auto command, with where its figures came from. */
  provenance: BasisProvenance | null;
  basisAtMs: number | null;
  /** Why the last basis could not be computed (null once one is). */
  basisProblem: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS placement_commands (
  fleet TEXT NOT NULL,
  device TEXT NOT NULL,
  owner TEXT NOT NULL,
  command_json TEXT NOT NULL,
  model_id TEXT,
  set_at_ms INTEGER NOT NULL,
  provenance_json TEXT,
  basis_at_ms INTEGER,
  basis_problem TEXT,
  PRIMARY KEY (fleet, device)
);`;

interface Row {
  fleet: string;
  device: string;
  owner: string;
  command_json: string;
  model_id: string | null;
  set_at_ms: number;
  provenance_json: string | null;
  basis_at_ms: number | null;
  basis_problem: string | null;
}

export class PlacementDb {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    this.db = openStateDb(path, SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  get(fleet: string, device: string): PlacementRow | null {
    const row = this.db
      .prepare('SELECT * FROM placement_commands WHERE fleet = ? AND device = ?')
      .get(fleet, device) as Row | undefined;
    return row === undefined ? null : toRow(row);
  }

  list(): PlacementRow[] {
    return (this.db.prepare('SELECT * FROM placement_commands ORDER BY fleet, device').all() as Row[]).map(
      toRow,
    );
  }

  /** A new command and owner; the previous basis provenance goes with the previous command. */
  set(row: Omit<PlacementRow, 'provenance' | 'basisAtMs' | 'basisProblem'>): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO placement_commands (fleet, device, owner, command_json, model_id, set_at_ms)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(row.fleet, row.device, row.owner, JSON.stringify(row.command), row.modelId, row.setAtMs);
  }

  /** The command re-published with a fresh basis (owner and set time unchanged). */
  setBasis(
    fleet: string,
    device: string,
    command: PlacementCommand,
    provenance: BasisProvenance,
    atMs: number,
  ): void {
    this.db
      .prepare(
        `UPDATE placement_commands SET command_json = ?, provenance_json = ?, basis_at_ms = ?, basis_problem = NULL
         WHERE fleet = ? AND device = ?`,
      )
      .run(JSON.stringify(command), JSON.stringify(provenance), atMs, fleet, device);
  }

  setBasisProblem(fleet: string, device: string, problem: string): void {
    this.db
      .prepare('UPDATE placement_commands SET basis_problem = ? WHERE fleet = ? AND device = ?')
      .run(problem, fleet, device);
  }

  delete(fleet: string, device: string): void {
    this.db.prepare('DELETE FROM placement_commands WHERE fleet = ? AND device = ?').run(fleet, device);
  }
}

function toRow(row: Row): PlacementRow {
  return {
    fleet: row.fleet,
    device: row.device,
    owner: row.owner as PlacementOwnerId,
    command: JSON.parse(row.command_json) as PlacementCommand,
    modelId: row.model_id,
    setAtMs: row.set_at_ms,
    provenance: row.provenance_json === null ? null : (JSON.parse(row.provenance_json) as BasisProvenance),
    basisAtMs: row.basis_at_ms,
    basisProblem: row.basis_problem,
  };
}
