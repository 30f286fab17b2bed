// The board registry: one plain-data file per board, registered in BOARDS; looked up by id or
// recognised from the model string the board reports. Adding a board is one file plus one line here.

import { EdgewattError } from '../edgewatt-error.js';
import type { Board } from './board.js';
import { esp32 } from './esp32.js';
import { jetsonNano } from './jetson-nano.js';
import { jetsonOrinNano } from './jetson-orin-nano.js';
import { rpi4 } from './rpi4.js';
import { rpi5 } from './rpi5.js';

export type { Board, FactorFigure, UnsourcedFigure } from './board.js';
export { isUnsourcedFigure, offloadWaitW } from './board.js';

export const BOARDS: readonly Board[] = [rpi4, rpi5, jetsonNano, jetsonOrinNano, esp32];

export class UnknownBoardError extends EdgewattError {
  override readonly name = 'UnknownBoardError';
}

export const boardIds = (): string[] => BOARDS.map((board) => board.id);

export function boardById(id: string): Board {
  const board = BOARDS.find((candidate) => candidate.id === id);
  if (board === undefined)
    throw new UnknownBoardError(
      `unknown board ${JSON.stringify(id)}; known boards: ${boardIds().join(', ')}`,
    );
  return board;
}

/** The board whose model strings occur in a reported model (e.g. /proc/device-tree/model), if any. */
export function recogniseBoard(model: string): Board | undefined {
  const text = model.toLowerCase();
  return BOARDS.find((board) =>
    board.recognise.modelContains.some((part) => part !== '' && text.includes(part.toLowerCase())),
  );
}
