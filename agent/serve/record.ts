// Builds the per-inference record from a measured window's inference: the one place that maps a
// run, its attributed energy and the model to the wire record (agent loop, API, library alike).

import { type InferenceRecord, quantizeRecord } from '../../protocol/index.js';
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

export function recordOf(
  { run, label, energy, method, windowInferences }: AttributedInference<number | null>,
  context: RecordContext,
): UnsequencedRecord & { durationUs: number } {
  const durationUs = Math.max(1, Math.round(Number(run.window.endNs - run.window.startNs) / 1000));
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
