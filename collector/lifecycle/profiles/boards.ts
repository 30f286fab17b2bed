// The boards a scenario can name, as the life-cycle engine sees them: the board registry
// (protocol/boards/) with each figure turned into an uncertain value of its factor, which brings
// the factor's distribution, source and year. The numbers are the registry's (a test checks they
// equal the factors); no board is declared here.

import {
  type Board,
  type FactorFigure,
  isUnsourcedFigure,
  offloadWaitW,
  BOARDS as REGISTRY,
} from '../../../protocol/boards/index.js';
import { fromFactor, type ProfileValue } from '../uncertain.js';
import type { BoardProfile } from './types.js';

const value = (figure: FactorFigure): ProfileValue => fromFactor(figure.factor, figure.scale, figure.note);

export function lifecycleBoard(board: Board): BoardProfile {
  return {
    id: board.id,
    name: board.name,
    idleW: value(offloadWaitW(board)),
    embodiedKg: value(board.embodiedKgCo2e),
    lifetimeYears: isUnsourcedFigure(board.lifetimeYears) ? board.lifetimeYears : value(board.lifetimeYears),
  };
}

export const BOARDS: readonly BoardProfile[] = REGISTRY.map(lifecycleBoard);
