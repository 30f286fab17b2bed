// The board registry: every known profile, looked up by id or recognised from the device model string.

import { jetsonOrinNano } from './jetson-orin-nano.js';
import type { BoardProfile } from './profile.js';
import { rpi4 } from './rpi4.js';
import { rpi5 } from './rpi5.js';

export type { BoardProfile, RangedFigure } from './profile.js';

export const BOARDS: readonly BoardProfile[] = [rpi4, rpi5, jetsonOrinNano];

export class UnknownBoardError extends Error {
  override readonly name = 'UnknownBoardError';
}

export function boardById(id: string): BoardProfile {
  const board = BOARDS.find((candidate) => candidate.id === id);
  if (board === undefined) {
    throw new UnknownBoardError(
      `unknown board ${JSON.stringify(id)}; known boards: ${BOARDS.map((b) => b.id).join(', ')}`,
    );
  }
  return board;
}

/** The profile whose pattern matches a device model string (e.g. /proc/device-tree/model), if any. */
export function recogniseBoard(modelString: string): BoardProfile | undefined {
  return BOARDS.find((board) => board.recognise.test(modelString));
}
