// The collector's deployment state in its own SQLite file (`<data-dir>/deploy.sqlite`, whatever the
// record store is): every `deployment` status message once per (fleet, device, seq), the assignment
// last published to each device, rollouts (one JSON document each, rewritten on every change in one
// transaction with their log lines), so that a restarted collector carries on where it stopped.

import type Database from 'better-sqlite3';
import { openStateDb } from '../state-db.js';
import type { DeploymentReport } from './report.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deployment_status (
  fleet TEXT NOT NULL, device TEXT NOT NULL, seq INTEGER NOT NULL,
  at_us INTEGER NOT NULL, received_us INTEGER NOT NULL,
  deployment_id TEXT NOT NULL, model_id TEXT NOT NULL, release INTEGER NOT NULL,
  state TEXT NOT NULL, reason TEXT, detail TEXT, bytes INTEGER, previous_model_id TEXT,
  attempt INTEGER NOT NULL,
  PRIMARY KEY (fleet, device, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deployment_status_by_id ON deployment_status (deployment_id, fleet, device);
CREATE TABLE IF NOT EXISTS assignment (
  fleet TEXT NOT NULL, device TEXT NOT NULL,
  deployment_id TEXT NOT NULL, model_id TEXT NOT NULL, release INTEGER NOT NULL, rollback INTEGER NOT NULL,
  issued_at TEXT NOT NULL, expires TEXT NOT NULL, payload BLOB NOT NULL,
  PRIMARY KEY (fleet, device)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollout (
  id TEXT PRIMARY KEY, state TEXT NOT NULL, created_ms INTEGER NOT NULL, document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rollout_log (
  rollout_id TEXT NOT NULL, at_ms INTEGER NOT NULL, line TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rollout_log_by_id ON rollout_log (rollout_id, at_ms);
`;

export interface StoredAssignment {
  fleet: string;
  device: string;
  deploymentId: string;
  modelId: string;
  release: number;
  rollback: boolean;
  issuedAt: string;
  expires: string;
  payload: Uint8Array;
}

export interface LogLine {
  atMs: number;
  line: string;
}

export class DeployDb {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    this.db = openStateDb(path, SCHEMA);
  }

  /** Stores a status message; false when (fleet, device, seq) was stored already (a redelivery). */
  addReport(report: DeploymentReport, receivedUs: number): boolean {
    const result = this.db
      .prepare(
        `INSERT OR IGNORE INTO deployment_status VALUES
         (@fleet, @device, @seq, @atUs, @receivedUs, @deploymentId, @modelId, @release, @state, @reason,
          @detail, @bytes, @previousModelId, @attempt)`,
      )
      .run({
        ...report,
        receivedUs,
        reason: report.reason ?? null,
        detail: report.detail ?? null,
        bytes: report.bytes ?? null,
        previousModelId: report.previousModelId ?? null,
      });
    return result.changes === 1;
  }

  /** Status messages, oldest first; of one deployment, or of one device. */
  reports(filter: { deploymentId?: string; fleet?: string; device?: string } = {}): DeploymentReport[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM deployment_status
         WHERE (@deploymentId IS NULL OR deployment_id = @deploymentId)
           AND (@fleet IS NULL OR fleet = @fleet) AND (@device IS NULL OR device = @device)
         ORDER BY at_us, seq`,
      )
      .all({
        deploymentId: filter.deploymentId ?? null,
        fleet: filter.fleet ?? null,
        device: filter.device ?? null,
      }) as Record<string, unknown>[];
    return rows.map((row) => ({
      fleet: row.fleet as string,
      device: row.device as string,
      seq: row.seq as number,
      atUs: row.at_us as number,
      deploymentId: row.deployment_id as string,
      modelId: row.model_id as string,
      release: row.release as number,
      state: row.state as DeploymentReport['state'],
      attempt: row.attempt as number,
      ...(row.reason === null ? {} : { reason: row.reason as string }),
      ...(row.detail === null ? {} : { detail: row.detail as string }),
      ...(row.bytes === null ? {} : { bytes: row.bytes as number }),
      ...(row.previous_model_id === null ? {} : { previousModelId: row.previous_model_id as string }),
    }));
  }

  setAssignment(assignment: StoredAssignment): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO assignment VALUES
         (@fleet, @device, @deploymentId, @modelId, @release, @rollback, @issuedAt, @expires, @payload)`,
      )
      .run({
        ...assignment,
        rollback: assignment.rollback ? 1 : 0,
        payload: Buffer.from(assignment.payload),
      });
  }

  clearAssignment(fleet: string, device: string): void {
    this.db.prepare('DELETE FROM assignment WHERE fleet = ? AND device = ?').run(fleet, device);
  }

  assignment(fleet: string, device: string): StoredAssignment | null {
    const row = this.db
      .prepare('SELECT * FROM assignment WHERE fleet = ? AND device = ?')
      .get(fleet, device) as Record<string, unknown> | undefined;
    if (row === undefined) return null;
    return {
      fleet: row.fleet as string,
      device: row.device as string,
      deploymentId: row.deployment_id as string,
      modelId: row.model_id as string,
      release: row.release as number,
      rollback: row.rollback === 1,
      issuedAt: row.issued_at as string,
      expires: row.expires as string,
      payload: row.payload as Buffer,
    };
  }

  /** Writes a rollout's document and appends its new log lines, in one transaction. */
  saveRollout(
    id: string,
    state: string,
    createdMs: number,
    document: unknown,
    newLines: readonly LogLine[],
  ): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO rollout VALUES (?, ?, ?, ?)')
        .run(id, state, createdMs, JSON.stringify(document));
      const insert = this.db.prepare('INSERT INTO rollout_log VALUES (?, ?, ?)');
      for (const line of newLines) insert.run(id, line.atMs, line.line);
    })();
  }

  rolloutDocuments(): unknown[] {
    const rows = this.db.prepare('SELECT document FROM rollout ORDER BY created_ms').all() as {
      document: string;
    }[];
    return rows.map((row) => JSON.parse(row.document) as unknown);
  }

  rolloutLog(id: string): LogLine[] {
    return (
      this.db
        .prepare('SELECT at_ms, line FROM rollout_log WHERE rollout_id = ? ORDER BY at_ms, rowid')
        .all(id) as {
        at_ms: number;
        line: string;
      }[]
    ).map((row) => ({ atMs: row.at_ms, line: row.line }));
  }

  close(): void {
    this.db.close();
  }
}
