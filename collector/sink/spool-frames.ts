// How the collector's spool lays entries out on disk: each entry is a frame — a 12-byte header
// (body length, lines, CRC-32 of header and body) then the body. The CRC is what tells a whole
// frame from a torn one (a crash mid-write, or a tail of zeros after a power cut), since the
// entries are binary (MQTT payloads) and no delimiter can be trusted in them.

import { crc32 } from 'node:zlib';

/** One spool entry: opaque bytes, and how many lines (destination points) they stand for. */
export interface SpoolEntry {
  bytes: Uint8Array;
  /** Points the entry becomes at the destination (≥ 1): what batching, counters and metrics count. */
  lines: number;
  /**
   * What the appender already derived from the bytes (the decoded message), kept with the entry
   * while it is in memory so that the sink need not derive it again. Never written: an entry read
   * back from disk has none, and the sink derives it from the bytes.
   */
  memo?: unknown;
  /** Memory the memo takes, bytes, about (what the spool's memo budget counts; 0 when absent). */
  memoBytes?: number;
}

export const FRAME_HEADER_BYTES = 12;
/** Largest body a frame may declare: anything larger is taken as a torn or foreign header. */
export const MAX_FRAME_BODY_BYTES = 64 * 2 ** 20;
const MAX_FRAME_LINES = 2 ** 24;

export const frameBytes = (entry: SpoolEntry): number => FRAME_HEADER_BYTES + entry.bytes.length;

function frameCrc(header: Buffer, body: Uint8Array): number {
  return crc32(body, crc32(header.subarray(0, 8)));
}

/** Writes `entry` as a frame into `into` at `at`; returns the offset just past it. */
export function writeFrame(into: Buffer, at: number, entry: SpoolEntry): number {
  if (!(entry.lines >= 1 && entry.lines <= MAX_FRAME_LINES && Number.isInteger(entry.lines)))
    throw new RangeError(`a spool entry stands for 1..${MAX_FRAME_LINES} lines, got ${entry.lines}`);
  if (entry.bytes.length > MAX_FRAME_BODY_BYTES)
    throw new RangeError(
      `a spool entry holds at most ${MAX_FRAME_BODY_BYTES} bytes, got ${entry.bytes.length}`,
    );
  const header = into.subarray(at, at + FRAME_HEADER_BYTES);
  header.writeUInt32LE(entry.bytes.length, 0);
  header.writeUInt32LE(entry.lines, 4);
  header.writeUInt32LE(frameCrc(header, entry.bytes), 8);
  into.set(entry.bytes, at + FRAME_HEADER_BYTES);
  return at + FRAME_HEADER_BYTES + entry.bytes.length;
}

/** The frame starting at `at` if it is whole and its CRC matches, else undefined. */
export function frameAt(data: Buffer, at: number): { entry: SpoolEntry; end: number } | undefined {
  if (at + FRAME_HEADER_BYTES > data.length) return undefined;
  const length = data.readUInt32LE(at);
  const lines = data.readUInt32LE(at + 4);
  const end = at + FRAME_HEADER_BYTES + length;
  if (length > MAX_FRAME_BODY_BYTES || lines < 1 || lines > MAX_FRAME_LINES || end > data.length)
    return undefined;
  const header = data.subarray(at, at + FRAME_HEADER_BYTES);
  const bytes = data.subarray(at + FRAME_HEADER_BYTES, end);
  if (frameCrc(header, bytes) !== data.readUInt32LE(at + 8)) return undefined;
  return { entry: { bytes, lines }, end };
}

/** A run of whole frames found in a stretch of segment file: [start, end) and what it holds. */
export interface FrameRun {
  start: number;
  end: number;
  entries: SpoolEntry[];
  lines: number;
}

/**
 * The whole frames of a stretch of segment file, as runs of adjacent frames. Bytes that are not a
 * whole frame (a torn write) are skipped; the scan resumes at the next offset where a frame with
 * a matching CRC starts, so data after a damaged stretch is not lost with it. `skipped` counts the
 * bytes passed over; `validEnd` is where the last whole frame ends (the rest is a torn tail).
 */
export function scanFrames(data: Buffer, from = 0): { runs: FrameRun[]; skipped: number; validEnd: number } {
  const runs: FrameRun[] = [];
  let run: FrameRun | undefined;
  let skipped = 0;
  let validEnd = from;
  for (let at = from; at < data.length; ) {
    const frame = frameAt(data, at);
    if (frame === undefined) {
      run = undefined;
      skipped++;
      at++;
      continue;
    }
    if (run === undefined) {
      run = { start: at, end: at, entries: [], lines: 0 };
      runs.push(run);
    }
    run.entries.push(frame.entry);
    run.lines += frame.entry.lines;
    run.end = frame.end;
    validEnd = frame.end;
    at = frame.end;
  }
  // The bytes after the last frame are the torn tail, not skipped data in between.
  skipped -= data.length - validEnd;
  return { runs, skipped, validEnd };
}

/** The entries of frames the spool wrote itself and holds in memory (trusted: no CRC check). */
export function framesOf(data: Buffer): SpoolEntry[] {
  const entries: SpoolEntry[] = [];
  for (let at = 0; at < data.length; ) {
    const length = data.readUInt32LE(at);
    const end = at + FRAME_HEADER_BYTES + length;
    entries.push({ bytes: data.subarray(at + FRAME_HEADER_BYTES, end), lines: data.readUInt32LE(at + 4) });
    at = end;
  }
  return entries;
}
