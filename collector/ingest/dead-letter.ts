// The dead-letter table: every message the collector refused (undecodable, invalid, wrong device,
// too large, rate-limited, or one the store kept failing on) is acknowledged, so the broker never
// redelivers it, and kept here with its reason and a copy for a human to look at: truncated for
// bad input, whole for good data that could not be stored (store-failed, points InfluxDB refused),
// so that it can be stored again by hand.

import type Database from 'better-sqlite3';
import { openStateDb } from '../state-db.js';

/** Bytes of a refused payload kept; enough to see what it was, not enough to fill a disk. */
export const DEAD_LETTER_PAYLOAD_BYTES = 1024;
const TOPIC_CHARS = 256;
const DETAIL_CHARS = 512;

export interface DeadLetterEntry {
  atUs: number;
  topic: string;
  reason: string;
  /** The error message: which field, which value. */
  detail: string;
  payloadBytes: number;
  /** The first DEAD_LETTER_PAYLOAD_BYTES bytes of the payload, or all of it (`whole`). */
  payloadHead: Uint8Array;
  /** Good data kept whole: the table syncs it to disk before add() returns (it is acknowledged next). */
  durable?: boolean;
}

export interface DeadLetter {
  add(entry: DeadLetterEntry): void;
  /** Entries held now (bounded). */
  size(): number;
  /** Newest first. */
  recent(limit: number): DeadLetterEntry[];
  close(): void;
}

export function deadLetterEntry(
  topic: string,
  reason: string,
  detail: string,
  payload: Uint8Array,
  atUs: number,
  /** `whole`: keep every byte (good data the store could not take; ingest bounds it at 256 KiB). */
  options: { whole?: boolean } = {},
): DeadLetterEntry {
  return {
    atUs,
    topic: topic.slice(0, TOPIC_CHARS),
    reason,
    detail: detail.slice(0, DETAIL_CHARS),
    payloadBytes: payload.length,
    payloadHead: Uint8Array.from(
      options.whole === true ? payload : payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES),
    ),
    ...(options.whole === true ? { durable: true } : {}),
  };
}

/** In memory, the newest `maxEntries`: the default when no dead-letter file is configured. */
export class MemoryDeadLetter implements DeadLetter {
  private readonly entries: DeadLetterEntry[] = [];
  constructor(private readonly maxEntries = 1000) {}
  add(entry: DeadLetterEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.maxEntries) this.entries.shift();
  }
  size(): number {
    return this.entries.length;
  }
  recent(limit: number): DeadLetterEntry[] {
    return this.entries.slice(-limit).reverse();
  }
  close(): void {}
}

/** A `dead_letter` table in a SQLite file, trimmed to the newest `maxEntries` rows. */
export class SqliteDeadLetter implements DeadLetter {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly trim: Database.Statement;
  private added = 0;

  constructor(
    readonly path: string,
    private readonly maxEntries = 100_000,
  ) {
    this.db = openStateDb(
      path,
      `CREATE TABLE IF NOT EXISTS dead_letter (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at_us INTEGER NOT NULL,
      topic TEXT NOT NULL,
      reason TEXT NOT NULL,
      detail TEXT NOT NULL,
      payload_bytes INTEGER NOT NULL,
      payload_head BLOB NOT NULL
    )`,
    );
    // NORMAL for bad input (a flood of it must not cost an fsync each); entries of good data that
    // are acknowledged once here (`durable`) are committed with FULL, see add().
    this.db.pragma('synchronous = NORMAL');
    this.insert = this.db.prepare(
      'INSERT INTO dead_letter (at_us, topic, reason, detail, payload_bytes, payload_head) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.trim = this.db.prepare('DELETE FROM dead_letter WHERE id <= (SELECT MAX(id) FROM dead_letter) - ?');
  }

  add(entry: DeadLetterEntry): void {
    if (entry.durable === true) {
      // The message is acknowledged after this: sync the WAL at this commit (and all before it).
      this.db.pragma('synchronous = FULL');
      try {
        this.insertRow(entry);
      } finally {
        this.db.pragma('synchronous = NORMAL');
      }
    } else {
      this.insertRow(entry);
    }
    // Trimming every 100 inserts keeps the table within maxEntries + 100 rows at little cost.
    if (++this.added % 100 === 0) this.trim.run(this.maxEntries);
  }

  private insertRow(entry: DeadLetterEntry): void {
    this.insert.run(
      entry.atUs,
      entry.topic,
      entry.reason,
      entry.detail,
      entry.payloadBytes,
      entry.payloadHead,
    );
  }

  size(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM dead_letter').get() as { n: number }).n;
  }

  recent(limit: number): DeadLetterEntry[] {
    const rows = this.db
      .prepare(
        'SELECT at_us, topic, reason, detail, payload_bytes, payload_head FROM dead_letter ORDER BY id DESC LIMIT ?',
      )
      .all(limit) as {
      at_us: number;
      topic: string;
      reason: string;
      detail: string;
      payload_bytes: number;
      payload_head: Buffer;
    }[];
    return rows.map((row) => ({
      atUs: row.at_us,
      topic: row.topic,
      reason: row.reason,
      detail: row.detail,
      payloadBytes: row.payload_bytes,
      payloadHead: new Uint8Array(row.payload_head),
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
