// The variability the power analysis needs, read from stored records: each board's records of one
// model are cut into consecutive chunks one period long (the first `skipS` of each chunk dropped, as
// the washout will be), and the chunks' mean energies per inference give σ_p, the relative SD of a
// period mean around the board's own mean (pooled over boards, the records' noise included). The
// boards' own means give σ_b, the relative spread between boards (for parallel designs).

import type { RecordFilter, RecordReader, StoredRecord } from '../store/index.js';

export interface Variability {
  periodSdRel: number;
  boardSdRel: number | null;
  /** Chunks (board-periods) the estimate rests on, and the boards they come from. */
  chunks: number;
  boards: number;
  /** Mean records per analysed chunk. */
  recordsPerChunk: number;
}

/** Fewer records than this in a chunk and it is not a period mean worth counting. */
const MIN_RECORDS_PER_CHUNK = 5;

interface Series {
  firstMs: number;
  chunks: Map<number, { sum: number; n: number }>;
}

export class VariabilityEstimator {
  private readonly series = new Map<string, Series & { device: string }>();
  constructor(
    private readonly periodS: number,
    private readonly skipS: number,
  ) {}

  add(record: StoredRecord): void {
    const key = `${record.fleet}\u0000${record.device}\u0000${record.modelId}`;
    const atMs = record.startUs / 1000;
    let s = this.series.get(key);
    if (s === undefined) {
      s = { firstMs: atMs, chunks: new Map(), device: `${record.fleet}\u0000${record.device}` };
      this.series.set(key, s);
    }
    const offsetMs = atMs - s.firstMs;
    const index = Math.floor(offsetMs / (this.periodS * 1000));
    if (offsetMs - index * this.periodS * 1000 < this.skipS * 1000) return;
    const chunk = s.chunks.get(index) ?? { sum: 0, n: 0 };
    chunk.sum += record.energyJ;
    chunk.n++;
    s.chunks.set(index, chunk);
  }

  /** null when no board ran one model for two periods or more. */
  result(): Variability | null {
    let squares = 0;
    let df = 0;
    let chunks = 0;
    let records = 0;
    const boardMeans: number[] = [];
    const devices = new Set<string>();
    for (const s of this.series.values()) {
      const means = [...s.chunks.values()]
        .filter((c) => c.n >= MIN_RECORDS_PER_CHUNK)
        .map((c) => c.sum / c.n);
      if (means.length < 2) continue;
      const m = means.reduce((a, b) => a + b, 0) / means.length;
      for (const x of means) squares += (x / m - 1) ** 2;
      df += means.length - 1;
      chunks += means.length;
      records += [...s.chunks.values()]
        .filter((c) => c.n >= MIN_RECORDS_PER_CHUNK)
        .reduce((a, c) => a + c.n, 0);
      boardMeans.push(m);
      devices.add(s.device);
    }
    if (df === 0) return null;
    let boardSdRel: number | null = null;
    if (boardMeans.length >= 3) {
      const grand = boardMeans.reduce((a, b) => a + b, 0) / boardMeans.length;
      const v = boardMeans.reduce((a, x) => a + (x / grand - 1) ** 2, 0) / (boardMeans.length - 1);
      boardSdRel = Math.sqrt(v);
    }
    return {
      periodSdRel: Math.sqrt(squares / df),
      boardSdRel,
      chunks,
      boards: devices.size,
      recordsPerChunk: records / chunks,
    };
  }
}

export async function estimateVariability(
  reader: RecordReader,
  filter: RecordFilter,
  periodS: number,
  skipS: number,
): Promise<Variability | null> {
  const estimator = new VariabilityEstimator(periodS, skipS);
  for await (const record of reader.readRecords(filter)) estimator.add(record);
  return estimator.result();
}
