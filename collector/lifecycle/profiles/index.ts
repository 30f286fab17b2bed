// Profile registries: one array per kind, one line per profile. Lookups throw errors that list the
// known ids, so a typo in a scenario says what would have worked.

import { EdgewattError } from '../../../common/errors.js';
import { BOARDS } from './boards.js';
import { GRID_REGIONS } from './grid.js';
import { fiveG } from './links/5g.js';
import { ethernet } from './links/ethernet.js';
import { lte } from './links/lte.js';
import { lteM } from './links/lte-m.js';
import { wifi } from './links/wifi.js';
import { PUE_CLASSES } from './pue.js';
import { cpuServer } from './servers/cpu-server.js';
import { gpuServer } from './servers/gpu-server.js';
import type { LinkProfile, ServerProfile } from './types.js';

export { BOARDS } from './boards.js';
export { GRID_REGIONS } from './grid.js';
export { PUE_CLASSES } from './pue.js';
export type { BoardProfile, GridRegion, LinkProfile, PueClass, ServerProfile } from './types.js';

export const LINKS: readonly LinkProfile[] = [wifi, lte, fiveG, ethernet, lteM];
export const SERVERS: readonly ServerProfile[] = [cpuServer, gpuServer];

export class UnknownProfileError extends EdgewattError {
  override readonly name = 'UnknownProfileError';
}

export function lookup<T extends { id: string }>(list: readonly T[], id: string, field: string): T {
  const found = list.find((item) => item.id === id);
  if (found === undefined) {
    throw new UnknownProfileError(
      `${field}: unknown ${JSON.stringify(id)}; known: ${list.map((item) => item.id).join(', ')}`,
    );
  }
  return found;
}

export const boardIds = (): string[] => BOARDS.map((b) => b.id);
export const linkIds = (): string[] => LINKS.map((l) => l.id);
export const serverIds = (): string[] => SERVERS.map((s) => s.id);
export const pueClassIds = (): string[] => PUE_CLASSES.map((p) => p.id);
export const regionIds = (): string[] => GRID_REGIONS.map((r) => r.id);
