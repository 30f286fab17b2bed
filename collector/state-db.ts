// Opens one of the collector's own state databases (placement owners, experiments, deployments,
// dead letters): a SQLite file in WAL mode with its schema, its folder made first. A file that
// cannot be opened is one StateDbOpenError naming the path, not a bare SQLite message.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { EdgewattError } from '../common/errors.js';

export class StateDbOpenError extends EdgewattError {
  override readonly name = 'StateDbOpenError';
}

/** Opens (creating when absent) the SQLite file at `path` (or `:memory:`) and applies `schema` (idempotent DDL). */
export function openStateDb(path: string, schema: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    // Readers (the API, the live analysis) do not block the writer.
    db.pragma('journal_mode = WAL');
  } catch (error) {
    db?.close();
    throw new StateDbOpenError(`cannot open the state database ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: `check that the folder ${dirname(path)} exists or can be made and is writable by this user, and that ${path} is a SQLite file`,
    });
  }
  try {
    db.exec(schema);
  } catch (error) {
    db.close();
    throw new StateDbOpenError(
      `the state database ${path} does not take this collector's schema: ${(error as Error).message}`,
      {
        cause: error,
        hint: `${path} was made by another program or another edgewatt version; move it aside and the collector makes a new one`,
      },
    );
  }
  return db;
}
