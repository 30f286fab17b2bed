// Agent options of the reliability and security path: the spool (kind, byte bound, fsync policy),
// and the CA for TLS to the broker. Part of the agent's schema (cli/schemas.ts); every one is also
// an EDGEWATT_* variable and a config-file key.

import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { AgentConfig } from '../../agent/agent.js';
import { DEFAULT_SPOOL_MAX_BYTES, FSYNC_POLICIES } from '../../agent/publish/spool.js';
import { SPOOL_KINDS } from '../../agent/publish/spools.js';
import { type DeprecatedAlias, oneOf, option, size } from './fields.js';

/** A PEM file that must exist (checked at start, not when the first TLS handshake fails). */
export const pemFile = () =>
  z.string().refine((path) => existsSync(path), {
    error: (issue) => `file ${JSON.stringify(issue.input)} does not exist`,
  });

/** Spool size bound, spelled the same for agent and collector: bytes, or with a unit (64MiB). */
export const spoolMaxBytes = (defaultBytes: number, help: string, aliases?: DeprecatedAlias[]) =>
  option(size({ min: 1 }).prefault(formatBytes(defaultBytes)), {
    arg: 'size',
    help,
    ...(aliases === undefined ? {} : { aliases }),
  });

/** fsync policy of a spool, one enum for agent and collector. */
export const spoolFsync = (help: string, deprecatedValues?: Record<string, string>) =>
  option(oneOf(FSYNC_POLICIES as ['always', 'never']).default('always'), {
    help,
    ...(deprecatedValues === undefined ? {} : { deprecatedValues }),
  });

/** 67108864 → "64MiB": a default shown in the unit a person would type. */
export function formatBytes(bytes: number): string {
  for (const [unit, scale] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const)
    if (bytes >= scale && bytes % scale === 0) return `${bytes / scale}${unit}`;
  return String(bytes);
}

export const agentReliabilityFields = {
  spool: option(oneOf(SPOOL_KINDS as [string, ...string[]]).default('file'), {
    help: 'where unacknowledged batches wait: one file each, or one SQLite file',
  }),
  spoolMaxBytes: spoolMaxBytes(
    DEFAULT_SPOOL_MAX_BYTES,
    'bound of the spool (bytes, or with a unit: 64MiB, 1GiB); past it the oldest batches are dropped and counted',
  ),
  spoolFsync: spoolFsync(
    'always: survives power loss (costs an fsync per batch); never: survives a crash only',
  ),
  ca: option(pemFile().optional(), {
    arg: 'file',
    help: 'CA certificate (PEM) to trust for an mqtts:// broker',
  }),
};

export function reliabilityConfig(config: {
  spool: string;
  spoolMaxBytes: number;
  spoolFsync: 'always' | 'never';
  ca?: string | undefined;
}): { spool: NonNullable<AgentConfig['spool']>; tls?: AgentConfig['tls'] } {
  return {
    spool: { kind: config.spool, maxBytes: config.spoolMaxBytes, fsync: config.spoolFsync },
    ...(config.ca === undefined ? {} : { tls: { ca: readFileSync(config.ca, 'utf8') } }),
  };
}
