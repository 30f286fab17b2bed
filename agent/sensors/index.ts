// The sensor registry. A new sensor is one file implementing PowerSensor (or, for a sampled sensor,
// a SampleSource built with sampledSensorFactory) plus one line here.

import { BOARDS } from '../../protocol/boards/index.js';
import { ina219SensorFactory } from './ina219.js';
import { ina226SensorFactory } from './ina226.js';
import { jetsonIna3221SensorFactory } from './jetson-ina3221.js';
import { pi5PmicSensorFactory } from './pi5-pmic.js';
import { raplSensorFactory } from './rapl.js';
import { replaySensorFactory } from './replay.js';
import { type PowerSensor, type SampleSource, SensorConfigError, type SensorFactory } from './sensor.js';
import { simulatedSensorFactory } from './simulated.js';
import { boardOf, parseSensorSpec } from './spec.js';

export type { InferenceWindow, PowerSensor, WindowEnergy } from './sensor.js';
export { SensorConfigError } from './sensor.js';
export { parseSensorSpec } from './spec.js';

export const SENSORS: readonly SensorFactory[] = [
  simulatedSensorFactory,
  ina219SensorFactory,
  ina226SensorFactory,
  jetsonIna3221SensorFactory,
  raplSensorFactory,
  pi5PmicSensorFactory,
  replaySensorFactory,
];

/** Creates a sensor from `kind[:board][:key=value,...]`, e.g. `simulated:rpi4`; throws SensorConfigError with the fix. */
export function createSensor(spec: string): PowerSensor {
  const parsed = parseSensorSpec(spec);
  const factory = SENSORS.find((candidate) => candidate.kind === parsed?.kind);
  if (parsed === undefined || factory === undefined) {
    throw new SensorConfigError(
      `--sensor ${JSON.stringify(spec)} is not known; use <kind>[:<board>][:<key>=<value>,...] with kind one of ${SENSORS.map((s) => s.kind).join(', ')} and board one of ${BOARDS.map((b) => b.id).join(', ')}`,
    );
  }
  return factory.create({
    kind: parsed.kind,
    board: boardOf(spec, parsed.boardId, factory),
    options: parsed.options,
  });
}

/** Opens the sample source of `spec` in this thread (the sampling worker calls this). */
export async function openSource(spec: string): Promise<SampleSource> {
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
