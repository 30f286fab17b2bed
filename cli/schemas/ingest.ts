// Collector options of ingest: the dead-letter table, the payload size limit and the per-device
// rate limit. Part of the collector's schema (cli/schemas.ts); every one is also an EDGEWATT_*
// variable and a config-file key.

import { z } from 'zod';
import { MemoryDeadLetter, SqliteDeadLetter } from '../../collector/ingest/dead-letter.js';
import type { Ingest } from '../../collector/ingest/ingest.js';
import { DEFAULT_RATE_LIMIT } from '../../collector/ingest/rate-limit.js';
import { MAX_PAYLOAD_BYTES } from '../../protocol/index.js';
import { int, option } from './fields.js';

export const ingestFields = {
  deadLetter: option(z.string().min(1).default('.edgewatt/dead-letter.sqlite'), {
    arg: 'path',
    help: 'SQLite file of refused messages (reason + first 1 KiB), or "memory"',
  }),
  maxPayloadBytes: option(int({ min: 0, max: MAX_PAYLOAD_BYTES }).default(MAX_PAYLOAD_BYTES), {
    arg: 'n',
    help: `largest payload accepted, in bytes (at most ${MAX_PAYLOAD_BYTES})`,
  }),
  rateLimit: option(int({ min: 0, max: 1_000_000 }).default(DEFAULT_RATE_LIMIT.messagesPerS), {
    arg: 'per-s',
    help: 'messages per second per device, 0 = no limit',
  }),
  rateBurst: option(int({ min: 0, max: 10_000_000 }).default(DEFAULT_RATE_LIMIT.burst), {
    arg: 'n',
    help: 'messages a device may send at once',
  }),
};

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
