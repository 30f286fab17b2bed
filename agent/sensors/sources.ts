// Builds the SensorFactory of a sample-based sensor from its parts, so that each driver file holds
// only what is particular to its hardware. The drivers import this file and the registry
// (index.ts) imports the drivers, so nothing here may import the registry.

import { z } from 'zod';
import type { Board } from '../../protocol/boards/index.js';
import type { Provenance, SensorCoverage } from '../../protocol/index.js';
import { SampledSensor } from './sampled-sensor.js';
import { WorkerSampler } from './sampler.js';
import type { ProbeEnv, ProbeResult, SampleSource, SensorFactory, SensorSpec } from './sensor.js';
import { numberOption, sensorOptions } from './spec.js';

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
  coverage: SensorCoverage;
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
    coverage: parts.coverage,
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
