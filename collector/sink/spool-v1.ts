// The upgrade path from the spool format before framed entries: segments `NNNNNNNNNN.spool` of
// newline-terminated entries (InfluxDB line protocol, one point a line) and `checkpoint.json`.
// readV1Spool() reads what such a spool still holds after its checkpoint, with the old recovery
// rules (a torn last line is cut; empty lines and lines holding NUL, a torn write, are skipped);
// the store appends it to the new spool and then calls removeV1Spool(). A crash in between only
// means those points are written twice, idempotently.

import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const SEGMENT = /^(\d{10})\.spool$/;
const CHECKPOINT = 'checkpoint.json';

/** A stretch of pending v1 entries: newline-terminated lines, and how many. */
export interface V1Lines {
  text: Buffer;
  lines: number;
}

const v1Segments = (dir: string): number[] => {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => SEGMENT.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
};

const segmentPath = (dir: string, n: number) => join(dir, `${String(n).padStart(10, '0')}.spool`);

/** Whether `dir` holds a spool in the v1 format (segments or a checkpoint). */
export function hasV1Spool(dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => name === CHECKPOINT || SEGMENT.test(name));
  } catch {
    return false;
  }
}

/** The pending lines of a v1 spool in `dir`, oldest first, in stretches of at most `maxLines` lines. */
export function* readV1Spool(dir: string, maxLines = 1000): Generator<V1Lines> {
  let checkpoint = { segment: 0, offset: 0 };
  try {
    checkpoint = JSON.parse(readFileSync(join(dir, CHECKPOINT), 'utf8')) as typeof checkpoint;
  } catch {
    // No checkpoint: everything in the segments is pending.
  }
  for (const segment of v1Segments(dir)) {
    if (segment < checkpoint.segment) continue;
    const data = readFileSync(segmentPath(dir, segment));
    // Only whole lines: what follows the last newline is a torn write, never acknowledged.
    const complete = data.lastIndexOf(0x0a) + 1;
    let kept: Buffer[] = [];
    for (let at = segment === checkpoint.segment ? checkpoint.offset : 0; at < complete; ) {
      const newline = data.indexOf(0x0a, at);
      const line = data.subarray(at, newline + 1);
      at = newline + 1;
      if (line.length > 1 && line.indexOf(0) < 0) kept.push(line);
      if (kept.length === maxLines) {
        yield { text: Buffer.concat(kept), lines: kept.length };
        kept = [];
      }
    }
    if (kept.length > 0) yield { text: Buffer.concat(kept), lines: kept.length };
  }
}

/** Deletes the v1 spool's files (after its lines are safe in the new spool). */
export function removeV1Spool(dir: string): void {
  for (const segment of v1Segments(dir)) rmSync(segmentPath(dir, segment), { force: true });
  rmSync(join(dir, CHECKPOINT), { force: true });
}
