// Opens the SampleSource of a sample-based sensor from its spec string (the sampling worker and
// `edgewatt doctor` call this), and builds the SensorFactory of such a sensor from its parts, so
// that each driver file holds only what is particular to its hardware.

import { z } from 'zod';
import type { Board } from '../../protocol/boards/index.js';
import type { Provenance } from '../../protocol/index.js';
import { SampledSensor } from './sampled-sensor.js';
import { WorkerSampler } from './sampler.js';
import type { ProbeEnv, ProbeResult, SampleSource, SensorFactory, SensorSpec } from './sensor.js';
import { SensorConfigError } from './sensor.js';
import { boardOf, numberOption, parseSensorSpec, sensorOptions } from './spec.js';

/** Options every sampled sensor takes. */
export const samplingOptions = {
  /** Sampling period, milliseconds (default: the sensor's own). */
  periodMs: numberOption.pipe(z.number().min(0.1).max(10_000)).optional(),
  /** Idle time sampled at start-up for the baseline, milliseconds. */
  baselineMs: numberOption.pipe(z.number().min(0).max(60_000)).default(1000),
};

export interface SampledSensorParts<S extends z.ZodObject> {
  kind: string;
  description: string;
  preference: number;
  provenance: Provenance;
  options: S;
  fitsAnyBoard?: boolean;
  open(options: z.infer<S>, board: Board | undefined): Promise<SampleSource>;
  probe?(env: ProbeEnv): Promise<ProbeResult[]>;
}

export function sampledSensorFactory<S extends z.ZodObject>(parts: SampledSensorParts<S>): SensorFactory {
  const schema = parts.options.extend(samplingOptions);
  const specText = (spec: SensorSpec) =>
    [
      spec.kind,
      ...(spec.board === undefined ? [] : [spec.board.id]),
      ...(Object.keys(spec.options).length === 0
        ? []
        : [
            Object.entries(spec.options)
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
          ]),
    ].join(':');
  return {
    kind: parts.kind,
    description: parts.description,
    preference: parts.preference,
    ...(parts.fitsAnyBoard === undefined ? {} : { fitsAnyBoard: parts.fitsAnyBoard }),
    create(spec) {
      const options = sensorOptions(parts.kind, schema, spec.options) as {
        periodMs?: number;
        baselineMs: number;
      };
      const label = spec.board === undefined ? spec.kind : `${spec.kind}:${spec.board.id}`;
      return new SampledSensor(label, parts.provenance, new WorkerSampler(specText(spec), options.periodMs), {
        baselineMs: options.baselineMs,
      });
    },
    openSource(spec) {
      return parts.open(sensorOptions(parts.kind, schema, spec.options) as z.infer<S>, spec.board);
    },
    ...(parts.probe === undefined ? {} : { probe: parts.probe }),
  };
}

/** Opens the source of `spec` in this thread (the worker, or doctor reading once). */
export async function openSource(spec: string): Promise<SampleSource> {
  // Imported here, not at the top: the registry imports the factories, which import this file.
  const { SENSORS } = await import('./index.js');
  const parsed = parseSensorSpec(spec);
  const factory = SENSORS.find((candidate) => candidate.kind === parsed?.kind);
  if (parsed === undefined || factory?.openSource === undefined)
    throw new SensorConfigError(`sensor spec ${JSON.stringify(spec)} does not name a sample-based sensor`);
  return factory.openSource({
    kind: parsed.kind,
    board: boardOf(spec, parsed.boardId, factory),
    options: parsed.options,
  });
}
