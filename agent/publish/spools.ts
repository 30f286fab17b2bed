// The spool registry: a spool kind names one implementation of the Spool interface. A new spool
// is one file plus one line here; test/spool/ runs the same contract suite against each.

import type { Encoding } from '../../protocol/index.js';
import { Outbox } from './outbox.js';
import { type Spool, SpoolError, type SpoolOptions } from './spool.js';
import { SqliteSpool } from './sqlite-spool.js';

export type SpoolFactory = (
  stateDir: string,
  device: string,
  encoding: Encoding,
  options: SpoolOptions,
) => Spool;

export const SPOOLS = {
  file: (stateDir, device, encoding, options) => new Outbox(stateDir, device, encoding, options),
  sqlite: (stateDir, device, encoding, options) => new SqliteSpool(stateDir, device, encoding, options),
} satisfies Record<string, SpoolFactory>;

export type SpoolKind = keyof typeof SPOOLS;
export const SPOOL_KINDS = Object.keys(SPOOLS) as SpoolKind[];

export function openSpool(
  kind: string,
  stateDir: string,
  device: string,
  encoding: Encoding,
  options: SpoolOptions = {},
): Spool {
  const factory = (SPOOLS as Record<string, SpoolFactory>)[kind];
  if (factory === undefined) {
    throw new SpoolError(
      `spool kind ${JSON.stringify(kind)} is unknown; use one of: ${SPOOL_KINDS.join(', ')}`,
    );
  }
  return factory(stateDir, device, encoding, options);
}
