// The collector's state databases open one way (collector/state-db.ts): the folder is made, the
// file is in WAL mode with its schema, and every one of the four stores refuses a path it cannot
// open with a StateDbOpenError naming that path, with a hint.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeployDb } from '../../collector/deploy/deploy-db.js';
import { ExperimentDb } from '../../collector/experiments/state-db.js';
import { SqliteDeadLetter } from '../../collector/ingest/dead-letter.js';
import { PlacementDb } from '../../collector/placement/owner-db.js';
import { openStateDb, StateDbOpenError } from '../../collector/state-db.js';
import { tempDir } from '../support/stack.js';

const dir = tempDir('edgewatt-state-db-');
afterAll(() => dir.remove());

const STORES: [string, (path: string) => { close(): void }][] = [
  ['PlacementDb', (path) => new PlacementDb(path)],
  ['ExperimentDb', (path) => new ExperimentDb(path)],
  ['DeployDb', (path) => new DeployDb(path)],
  ['SqliteDeadLetter', (path) => new SqliteDeadLetter(path)],
];

describe('openStateDb', () => {
  it('makes the folder, opens the file in WAL mode and applies the schema (again on reopen)', () => {
    const path = join(dir.path, 'made', 'later', 'state.sqlite');
    const schema = 'CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL);';
    const db = openStateDb(path, schema);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.prepare('INSERT INTO t VALUES (?, ?)').run('a', 1);
    db.close();
    const again = openStateDb(path, schema);
    expect(again.prepare('SELECT v FROM t WHERE k = ?').get('a')).toEqual({ v: 1 });
    again.close();
  });

  it('refuses a SQLite file whose tables do not take the schema, naming the path', () => {
    const path = join(dir.path, 'other-program.sqlite');
    openStateDb(path, 'CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY);').close();
    const schema =
      'CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER); CREATE INDEX IF NOT EXISTS t_v ON t (v);';
    let caught: unknown;
    try {
      openStateDb(path, schema).close();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StateDbOpenError);
    expect((caught as StateDbOpenError).message).toContain(path);
    expect((caught as StateDbOpenError).message).toContain('no such column');
    expect((caught as StateDbOpenError).hint).toContain('move it aside');
    // Moved aside (here: removed), a new file with the schema is made.
    rmSync(path);
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    openStateDb(path, schema).close();
  });

  it.each(STORES)('%s refuses a folder it cannot make with the path and a hint', (_name, open) => {
    const blocker = join(dir.path, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const path = join(blocker, 'state.sqlite');
    let caught: unknown;
    try {
      open(path).close();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StateDbOpenError);
    expect((caught as StateDbOpenError).message).toContain(path);
    expect((caught as StateDbOpenError).hint).toContain(blocker);
  });

  it.each(STORES)('%s refuses a file that is not SQLite with the path', (name, open) => {
    const path = join(dir.path, `${name}-garbage.sqlite`);
    writeFileSync(
      path,
      'this is not a SQLite database, only some text that is long enough to be read'.repeat(20),
    );
    expect(() => open(path).close()).toThrow(StateDbOpenError);
    expect(() => open(path).close()).toThrow(path);
  });
});
