// Agent options of the reliability and security path: the spool (kind, byte bound, fsync policy),
// the backlog pace, and the CA for TLS to the broker. Added to `edgewatt agent` by
// cli/commands/agent.ts; every one is also an EDGEWATT_* variable and a config-file key.

import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import type { AgentConfig } from '../../agent/agent.js';
import { DEFAULT_SPOOL_MAX_BYTES, FSYNC_POLICIES } from '../../agent/publish/spool.js';
import { SPOOL_KINDS } from '../../agent/publish/spools.js';

const whole = (name: string) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
    z
      .number({ error: `${name} must be a number` })
      .int()
      .positive(),
  );

export const agentReliabilityFields = {
  spool: z.enum(SPOOL_KINDS as [string, ...string[]]).default('file'),
  spoolMaxBytes: whole('spool size').default(DEFAULT_SPOOL_MAX_BYTES),
  spoolFsync: z.enum(FSYNC_POLICIES as ['always', 'never']).default('always'),
  ca: z
    .string()
    .refine((path) => existsSync(path), {
      error: (issue) => `file ${JSON.stringify(issue.input)} does not exist`,
    })
    .optional(),
};

export function addAgentReliabilityOptions(command: Command): Command {
  return command
    .option(
      '--spool <file|sqlite>',
      'where unacknowledged batches wait: one file each, or one SQLite file (default: file)',
    )
    .option(
      '--spool-max-bytes <n>',
      `bound of the spool; past it the oldest batches are dropped and counted (default: ${DEFAULT_SPOOL_MAX_BYTES})`,
    )
    .option(
      '--spool-fsync <always|never>',
      'always: survives power loss (costs an fsync per batch); never: survives a crash only (default: always)',
    )
    .option('--ca <file>', 'CA certificate (PEM) to trust for an mqtts:// broker');
}

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
