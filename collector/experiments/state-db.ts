// The experiments the collector runs, persisted in one SQLite file so a restarted driver resumes
// where it was: each experiment's validated file, its boards and start time (the schedule is
// re-derived from these and the seed), its state, every assignment published, and arms stopped by
// a guardrail. Analysis reads the same rows to know what was planned. Each board's state before the
// experiment first touched it (model, placement command) is kept too, and when it was put back.

import type Database from 'better-sqlite3';
import { EdgewattError } from '../../common/errors.js';
import { openStateDb } from '../state-db.js';
import { type Experiment, validateExperiment } from './experiment-file.js';

export class ExperimentStateError extends EdgewattError {
  override readonly name = 'ExperimentStateError';
}

export type ExperimentState = 'running' | 'stopped' | 'finished';

export interface StoredExperiment {
  experiment: Experiment;
  devices: string[];
  createdAtMs: number;
  startedAtMs: number;
  endedAtMs: number | null;
  state: ExperimentState;
  reason: string | null;
}

export interface PublishedAssignment {
  experiment: string;
  device: string;
  period: number;
  arm: string;
  modelId: string;
  publishedAtMs: number;
}

/** A board as it was before the experiment's first assignment, and whether it was put back. */
export interface BoardBefore {
  experiment: string;
  device: string;
  /** The model it was assigned or ran (retained assignment, else its last status); null: unknown. */
  modelId: string | null;
  /** The tags of its retained assignment then (without experiment/arm); null: none. */
  tagsJson: string | null;
  /** Its retained cmd/placement payload then (UTF-8 JSON); null: the topic held none. */
  placement: string | null;
  capturedAtMs: number;
  restoredAtMs: number | null;
  /** What the restore did or could not do. */
  restoreNote: string | null;
}

export interface ArmStop {
  experiment: string;
  arm: string;
  reason: string;
  atMs: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS experiments (
  id TEXT PRIMARY KEY,
  fleet TEXT NOT NULL,
  file_json TEXT NOT NULL,
  devices_json TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  started_at_ms INTEGER NOT NULL,
  ended_at_ms INTEGER,
  state TEXT NOT NULL,
  reason TEXT
);
CREATE TABLE IF NOT EXISTS experiment_assignments (
  experiment TEXT NOT NULL,
  device TEXT NOT NULL,
  period INTEGER NOT NULL,
  arm TEXT NOT NULL,
  model_id TEXT NOT NULL,
  published_at_ms INTEGER NOT NULL,
  PRIMARY KEY (experiment, device, period)
);
CREATE TABLE IF NOT EXISTS experiment_boards (
  experiment TEXT NOT NULL,
  device TEXT NOT NULL,
  model_id TEXT,
  tags_json TEXT,
  placement TEXT,
  captured_at_ms INTEGER NOT NULL,
  restored_at_ms INTEGER,
  restore_note TEXT,
  PRIMARY KEY (experiment, device)
);
CREATE TABLE IF NOT EXISTS experiment_arm_stops (
  experiment TEXT NOT NULL,
  arm TEXT NOT NULL,
  reason TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (experiment, arm)
);`;

interface ExperimentRow {
  id: string;
  fleet: string;
  file_json: string;
  devices_json: string;
  created_at_ms: number;
  started_at_ms: number;
  ended_at_ms: number | null;
  state: ExperimentState;
  reason: string | null;
}

export class ExperimentDb {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    this.db = openStateDb(path, SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  create(
    experiment: Experiment,
    devices: readonly string[],
    nowMs: number,
    startedAtMs: number,
  ): StoredExperiment {
    const existing = this.get(experiment.id);
    if (existing !== null) {
      throw new ExperimentStateError(
        `experiment ${JSON.stringify(experiment.id)} exists already (${existing.state}, started ${new Date(existing.startedAtMs).toISOString()})`,
        { hint: 'give the new run another id in its file: records are tagged with it' },
      );
    }
    this.db
      .prepare(
        `INSERT INTO experiments (id, fleet, file_json, devices_json, created_at_ms, started_at_ms, state)
         VALUES (?, ?, ?, ?, ?, ?, 'running')`,
      )
      .run(
        experiment.id,
        experiment.fleet,
        JSON.stringify(experiment),
        JSON.stringify(devices),
        nowMs,
        startedAtMs,
      );
    return this.get(experiment.id) as StoredExperiment;
  }

  get(id: string): StoredExperiment | null {
    const row = this.db.prepare('SELECT * FROM experiments WHERE id = ?').get(id) as
      | ExperimentRow
      | undefined;
    return row === undefined ? null : toStored(row);
  }

  /** get(), or an error naming the known ids. */
  require(id: string): StoredExperiment {
    const found = this.get(id);
    if (found !== null) return found;
    const known = this.list().map((e) => e.experiment.id);
    throw new ExperimentStateError(
      `no experiment ${JSON.stringify(id)} in ${this.path}${known.length > 0 ? `; known: ${known.join(', ')}` : ' (none started)'}`,
      { hint: 'start one with "edgewatt experiment start <file>", or pass --state' },
    );
  }

  list(state?: ExperimentState): StoredExperiment[] {
    const rows = (
      state === undefined
        ? this.db.prepare('SELECT * FROM experiments ORDER BY started_at_ms').all()
        : this.db.prepare('SELECT * FROM experiments WHERE state = ? ORDER BY started_at_ms').all(state)
    ) as ExperimentRow[];
    return rows.map(toStored);
  }

  end(id: string, state: 'stopped' | 'finished', atMs: number, reason: string | null): void {
    this.db
      .prepare(
        "UPDATE experiments SET state = ?, ended_at_ms = ?, reason = ? WHERE id = ? AND state = 'running'",
      )
      .run(state, atMs, reason, id);
  }

  recordAssignment(a: PublishedAssignment): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO experiment_assignments (experiment, device, period, arm, model_id, published_at_ms)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(a.experiment, a.device, a.period, a.arm, a.modelId, a.publishedAtMs);
  }

  assignments(experiment: string): PublishedAssignment[] {
    return (
      this.db
        .prepare(
          `SELECT experiment, device, period, arm, model_id AS modelId, published_at_ms AS publishedAtMs
           FROM experiment_assignments WHERE experiment = ? ORDER BY device, period`,
        )
        .all(experiment) as PublishedAssignment[]
    ).map((a) => ({ ...a }));
  }

  /** Keeps a board's pre-experiment state; the first capture wins (a restarted driver keeps it). */
  recordBoardBefore(before: Omit<BoardBefore, 'restoredAtMs' | 'restoreNote'>): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO experiment_boards (experiment, device, model_id, tags_json, placement, captured_at_ms)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(
        before.experiment,
        before.device,
        before.modelId,
        before.tagsJson,
        before.placement,
        before.capturedAtMs,
      );
  }

  boardsBefore(experiment: string): BoardBefore[] {
    return this.db
      .prepare(
        `SELECT experiment, device, model_id AS modelId, tags_json AS tagsJson, placement,
                captured_at_ms AS capturedAtMs, restored_at_ms AS restoredAtMs, restore_note AS restoreNote
         FROM experiment_boards WHERE experiment = ? ORDER BY device`,
      )
      .all(experiment) as BoardBefore[];
  }

  markRestored(experiment: string, device: string, atMs: number, note: string): void {
    this.db
      .prepare(
        'UPDATE experiment_boards SET restored_at_ms = ?, restore_note = ? WHERE experiment = ? AND device = ?',
      )
      .run(atMs, note, experiment, device);
  }

  stopArm(stop: ArmStop): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO experiment_arm_stops (experiment, arm, reason, at_ms) VALUES (?, ?, ?, ?)',
      )
      .run(stop.experiment, stop.arm, stop.reason, stop.atMs);
  }

  armStops(experiment: string): ArmStop[] {
    return this.db
      .prepare('SELECT experiment, arm, reason, at_ms AS atMs FROM experiment_arm_stops WHERE experiment = ?')
      .all(experiment) as ArmStop[];
  }
}

function toStored(row: ExperimentRow): StoredExperiment {
  return {
    experiment: validateExperiment(JSON.parse(row.file_json), `stored experiment ${row.id}`),
    devices: JSON.parse(row.devices_json) as string[],
    createdAtMs: row.created_at_ms,
    startedAtMs: row.started_at_ms,
    endedAtMs: row.ended_at_ms,
    state: row.state,
    reason: row.reason,
  };
}
