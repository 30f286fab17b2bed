// The sensor registry. A new sensor is one file implementing PowerSensor plus one line here.

import { BOARDS, boardById, UnknownBoardError } from '../boards/index.js';
import { type PowerSensor, SensorConfigError, type SensorFactory } from './sensor.js';
import { simulatedSensorFactory } from './simulated.js';

export type { InferenceWindow, PowerSensor, WindowEnergy } from './sensor.js';
export { SensorConfigError } from './sensor.js';

export const SENSORS: readonly SensorFactory[] = [simulatedSensorFactory];

/** Creates a sensor from `kind[:board]`, e.g. `simulated:rpi4`; throws SensorConfigError with the fix. */
export function createSensor(spec: string): PowerSensor {
  const [kind = '', boardId, ...extra] = spec.split(':');
  const factory = SENSORS.find((candidate) => candidate.kind === kind);
  if (factory === undefined || extra.length > 0) {
    throw new SensorConfigError(
      `--sensor ${JSON.stringify(spec)} is not known; use <kind>[:<board>] with kind one of ${SENSORS.map((s) => s.kind).join(', ')} and board one of ${BOARDS.map((b) => b.id).join(', ')}`,
    );
  }
  try {
    return factory.create({ kind, board: boardId === undefined ? undefined : boardById(boardId) });
  } catch (error) {
    if (error instanceof UnknownBoardError)
      throw new SensorConfigError(`--sensor ${JSON.stringify(spec)}: ${error.message}`);
    throw error;
  }
}
