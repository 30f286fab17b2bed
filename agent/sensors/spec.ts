// Sensor specs as written on the command line: `kind[:board][:key=value,key=value]`, e.g.
// `simulated:rpi4`, `rapl`, `ina219:rpi4:address=0x41,shuntOhms=0.1,maxCurrentA=3.2`.

import { z } from 'zod';
import { BOARDS, type Board, boardById, UnknownBoardError } from '../../protocol/boards/index.js';
import { SensorConfigError, type SensorFactory } from './sensor.js';

export interface ParsedSpec {
  kind: string;
  boardId: string | undefined;
  options: Record<string, string>;
}

export function parseSensorSpec(spec: string): ParsedSpec | undefined {
  const [kind = '', ...rest] = spec.split(':');
  const options: Record<string, string> = {};
  const plain: string[] = [];
  for (const part of rest) {
    if (!part.includes('=')) {
      plain.push(part);
      continue;
    }
    for (const pair of part.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) return undefined;
      options[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  if (plain.length > 1) return undefined;
  return { kind, boardId: plain[0] === '' ? undefined : plain[0], options };
}

/** Whether a sensor can measure a board: the board lists its sensors; estimates fit every board. */
export function sensorFitsBoard(sensor: Pick<SensorFactory, 'kind' | 'fitsAnyBoard'>, board: Board): boolean {
  return sensor.fitsAnyBoard === true || board.sensors.includes(sensor.kind);
}

/** The board a spec names, refused with the fix when unknown or when the sensor cannot measure it. */
export function boardOf(
  spec: string,
  boardId: string | undefined,
  sensor: Pick<SensorFactory, 'kind' | 'fitsAnyBoard'>,
): Board | undefined {
  if (boardId === undefined) return undefined;
  let board: Board;
  try {
    board = boardById(boardId);
  } catch (error) {
    if (error instanceof UnknownBoardError)
      throw new SensorConfigError(`--sensor ${JSON.stringify(spec)}: ${error.message}`);
    throw error;
  }
  if (!sensorFitsBoard(sensor, board))
    throw new SensorConfigError(
      `--sensor ${JSON.stringify(spec)}: a ${board.name} (${board.id}) is not measured with ${sensor.kind}; its sensors are ${board.sensors.join(', ')}, or simulated:${board.id} (an estimate)`,
    );
  return board;
}

/** Validates a sensor's options with its zod schema, listing every problem with the fix. */
export function sensorOptions<S extends z.ZodObject>(
  kind: string,
  schema: S,
  options: Record<string, string>,
): z.infer<S> {
  const known = Object.keys(schema.shape);
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    throw new SensorConfigError(
      `sensor "${kind}" has no option ${unknown.map((k) => JSON.stringify(k)).join(', ')}; its options are ${known.join(', ')}`,
    );
  const parsed = schema.safeParse(options);
  if (!parsed.success)
    throw new SensorConfigError(
      `sensor "${kind}" options: ${parsed.error.issues.map((i) => `${String(i.path[0])}=${JSON.stringify(options[String(i.path[0])])}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** Number written in decimal or 0x hex (I2C addresses). */
export const numberOption = z
  .string()
  .regex(/^(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(e[-+]?[0-9]+)?)$/, 'must be a number (0x.. hex allowed)')
  .transform((text) => Number(text));

export const boardList = () => BOARDS.map((b) => b.id).join(', ');
