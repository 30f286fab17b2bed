// What the batch engine needs of the model: one batch in, its outputs out, with the meter's marks
// read right around the model call on whichever thread runs it. ModelThread (compute-thread.ts) runs
// the model on a worker thread, so the HTTP thread keeps reading, refusing and answering meanwhile;
// inThread() runs it here (unit tests, and the worker itself).

import { type MarkReader, markReader } from './energy/mark.js';
import type { ComputeMarks, MarkSource } from './energy/meter.js';
import type { ServedModel } from './model.js';

/** A batch's outputs and the marks around its model call. */
export interface MarkedOutput {
  output: Float32Array;
  marks: ComputeMarks;
}

export interface BatchCompute {
  /** Shape of one input, without the batch dimension. */
  readonly inputShape: readonly number[];
  readonly outputSize: number;
  /** Runs `count` inputs (row-major, one after the other), reading `source` right around the call. */
  run(values: Float32Array, count: number, source: MarkSource): Promise<MarkedOutput>;
}

/** A mark reader per source, kept open (RAPL's files) for as long as the source stays the same. */
export class MarkReaders {
  private current: { key: string; reader: MarkReader } | null = null;

  get(source: MarkSource): MarkReader {
    const key = JSON.stringify(source);
    if (this.current?.key !== key) {
      this.current?.reader.close();
      this.current = { key, reader: markReader(source) };
    }
    return this.current.reader;
  }

  close(): void {
    this.current?.reader.close();
    this.current = null;
  }
}

/** Runs one batch on this thread between two marks. */
export async function runMarked(
  model: ServedModel,
  reader: MarkReader,
  values: Float32Array,
  count: number,
): Promise<MarkedOutput> {
  const start = reader.read();
  const output = await model.run(values, count);
  const end = reader.read();
  return { output, marks: { start, end } };
}

/** The model on the calling thread (tests; the worker uses runMarked itself). */
export function inThread(model: ServedModel): BatchCompute {
  const readers = new MarkReaders();
  return {
    inputShape: model.inputShape,
    outputSize: model.outputSize,
    run: (values, count, source) => runMarked(model, readers.get(source), values, count),
  };
}
