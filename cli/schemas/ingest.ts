// Collector options of ingest: the dead-letter table, the payload size limit and the per-device
// rate limit. Added to `edgewatt collector` by cli/commands/collector.ts; every one is also an
// EDGEWATT_* variable and a config-file key.

import type { Command } from 'commander';
import { z } from 'zod';
import { MemoryDeadLetter, SqliteDeadLetter } from '../../collector/ingest/dead-letter.js';
import type { Ingest } from '../../collector/ingest/ingest.js';
import { DEFAULT_RATE_LIMIT } from '../../collector/ingest/rate-limit.js';
import { MAX_PAYLOAD_BYTES } from '../../protocol/index.js';

const whole = (name: string, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
    z
      .number({ error: `${name} must be a number` })
      .int()
      .min(0)
      .max(max),
  );

export const ingestFields = {
  deadLetter: z.string().min(1).default('.edgewatt/dead-letter.sqlite'),
  maxPayloadBytes: whole('payload limit', MAX_PAYLOAD_BYTES).default(MAX_PAYLOAD_BYTES),
  rateLimit: whole('rate limit', 1_000_000).default(DEFAULT_RATE_LIMIT.messagesPerS),
  rateBurst: whole('rate burst', 10_000_000).default(DEFAULT_RATE_LIMIT.burst),
};

export function addIngestOptions(command: Command): Command {
  return command
    .option(
      '--dead-letter <path>',
      'SQLite file of refused messages (reason + first 1 KiB), or "memory" (default: .edgewatt/dead-letter.sqlite)',
    )
    .option('--max-payload-bytes <n>', `largest payload accepted (default and maximum: ${MAX_PAYLOAD_BYTES})`)
    .option(
      '--rate-limit <per-s>',
      `messages per second per device, 0 = no limit (default: ${DEFAULT_RATE_LIMIT.messagesPerS})`,
    )
    .option('--rate-burst <n>', `messages a device may send at once (default: ${DEFAULT_RATE_LIMIT.burst})`);
}

export function configureIngest(
  ingest: Ingest,
  config: { deadLetter: string; maxPayloadBytes: number; rateLimit: number; rateBurst: number },
): void {
  ingest.configure({
    deadLetter:
      config.deadLetter === 'memory' ? new MemoryDeadLetter() : new SqliteDeadLetter(config.deadLetter),
    maxPayloadBytes: config.maxPayloadBytes,
    rateLimit: { messagesPerS: config.rateLimit, burst: config.rateBurst },
  });
}
