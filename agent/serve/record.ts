// Builds the per-inference record from a measured window's inference: the one place that maps a
// run, its attributed energy and the model to the wire record (agent loop, API, library alike).
// answerFigures gives an answer the record's measured figures, rounded as the record rounds them,
// without building the record (agent.infer() answers first and builds it after).

import { type InferenceRecord, quantizeRecord, RECORD_FIELDS } from '../../protocol/index.js';
import type { LoadedModel } from '../../runtime/model.js';
import type { InputSourceKind } from '../inputs/source.js';
import type { AttributedInference } from '../measure/windows.js';
import type { UnsequencedRecord } from '../publish/outbox.js';

export interface RecordContext {
  model: Pick<LoadedModel, 'id' | 'variant'>;
  sensorLabel: string;
  backend: string;
  batchSize: number;
  inputSource: InputSourceKind;
}

/** The scale a measured field is rounded to on the wire (what quantizeRecord uses), or none. */
function wireScale(field: 'durationUs' | 'energyJ' | 'energyUncertaintyJ' | 'baselineW'): number | undefined {
  const wire = RECORD_FIELDS[field].wire;
  return wire.coding === 'column' && wire.rounded ? wire.scale : undefined;
}
// Looked up once: answerFigures runs on every agent.infer() before its answer.
const DURATION_SCALE = wireScale('durationUs');
const ENERGY_SCALE = wireScale('energyJ');
const UNCERTAINTY_SCALE = wireScale('energyUncertaintyJ');
const BASELINE_SCALE = wireScale('baselineW');

/** A measured field's value at the resolution the wire carries (what quantizeRecord makes of it). */
function rounded(scale: number | undefined, value: number): number {
  return scale === undefined ? value : Math.round(value * scale) / scale;
}

/** The window's duration in whole µs (at least 1), as the record has it. */
function durationUsOf(run: AttributedInference<unknown>['run']): number {
  return Math.max(1, Math.round(Number(run.window.endNs - run.window.startNs) / 1000));
}

/** What an answer says of a measured inference, equal to its record's fields (recordOf). */
export interface AnswerFigures {
  durationUs: number;
  energyJ: number;
  energyUncertaintyJ: number;
  baselineW: number;
}

export function answerFigures({ run, energy }: AttributedInference<unknown>): AnswerFigures {
  return {
    durationUs: rounded(DURATION_SCALE, durationUsOf(run)),
    energyJ: rounded(ENERGY_SCALE, energy.energyJ),
    energyUncertaintyJ: rounded(UNCERTAINTY_SCALE, energy.uncertaintyJ),
    baselineW: rounded(BASELINE_SCALE, energy.baselineW),
  };
}

export function recordOf(
  { run, label, energy, method, windowInferences }: AttributedInference<number | null>,
  context: RecordContext,
): UnsequencedRecord & { durationUs: number } {
  const durationUs = durationUsOf(run);
  const { seq: _seq, ...record } = quantizeRecord({
    seq: 0,
    startUs: run.startUs,
    durationUs,
    energyJ: energy.energyJ,
    energyUncertaintyJ: energy.uncertaintyJ,
    baselineW: energy.baselineW,
    ...(energy.baselineUncertaintyW === undefined
      ? {}
      : { baselineUncertaintyW: energy.baselineUncertaintyW }),
    sampleCount: energy.sampleCount,
    provenance: energy.provenance,
    sensor: context.sensorLabel,
    modelId: context.model.id,
    variant: context.model.variant,
    backend: context.backend,
    batchSize: context.batchSize,
    inputBytes: run.inputBytes,
    outputBytes: run.outputBytes,
    correct: label === null ? null : run.argmax === label,
    method,
    windowInferences,
    inputSource: context.inputSource,
  } satisfies InferenceRecord);
  return { ...record, durationUs };
}

/**
 * An answer's rows (one per input, from the call's output, copied once) and each row's predicted
 * class: the first index of its largest value (-1 when a row holds NaN, as indexOf(Math.max) gives).
 */
export function answerRowsOf(
  values: ArrayLike<number>,
  count: number,
): { output: number[][]; predictedClass: number[] } {
  // From the call's output: an ONNX graph need not fix its output shape.
  const classes = values.length / count;
  const output: number[][] = [];
  const predictedClass: number[] = [];
  for (let k = 0; k < count; k++) {
    const row: number[] = [];
    let max = Number.NEGATIVE_INFINITY;
    for (let i = k * classes; i < (k + 1) * classes; i++) {
      const value = values[i] as number;
      row.push(value);
      max = Math.max(max, value);
    }
    output.push(row);
    predictedClass.push(row.indexOf(max));
  }
  return { output, predictedClass };
}
