// The agent's publishing pair (the firmware bridge's too): opens its spool and the publisher that drains it, and closes them in
// the order durability needs (seal what is held, wait for acknowledgements, then close the spool).

import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../../common/logger.js';
import type { Encoding } from '../../protocol/index.js';
import { Publisher, type PublisherOptions } from './publisher.js';
import type { Sealer } from './sealer.js';
import type { Spool, SpoolOptions, SpoolStats } from './spool.js';
import { openSpool } from './spools.js';

// The agent's own log lines, as they were before this moved here.
const log = logger('agent');

/** What the spool and the publisher are opened with (the agent's config has these fields). */
export interface AgentOutboxConfig {
  broker: string;
  fleet: string;
  device: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Where the sequence counter, the spool and the birth counter live; survives restarts. */
  stateDir: string;
  encoding: Encoding;
  /** Spool kind (`file`, `sqlite`), byte bound and fsync policy; defaults: file, 64 MiB, always. */
  spool?: SpoolOptions & { kind?: string };
  tls?: PublisherOptions['tls'];
}

/** Opens the agent's spool (its kind from the config, `file` by default) and its publisher. */
export function openAgentOutbox(
  config: AgentOutboxConfig,
  describe: PublisherOptions['describe'],
): { outbox: Spool; publisher: Publisher } {
  const outbox = openSpool(
    config.spool?.kind ?? 'file',
    config.stateDir,
    config.device,
    config.encoding,
    config.spool,
  );
  const publisher = new Publisher(outbox, {
    brokerUrl: config.broker,
    fleet: config.fleet,
    device: config.device,
    username: config.username,
    password: config.password,
    stateDir: config.stateDir,
    tls: config.tls,
    describe,
  });
  return { outbox, publisher };
}

/**
 * Graceful end of publishing: seals what is held (after the collector's answer about seqs, waited
 * for at most `drainTimeoutMs`), waits for acknowledgements as long, says offline and closes the
 * spool. Returns the spool's figures at the end (what is still pending, what was dropped).
 */
export async function closeAgentOutbox(
  sealer: Sealer,
  publisher: Publisher,
  outbox: Spool,
  drainTimeoutMs: number,
): Promise<SpoolStats> {
  // Records held for the collector's answer about seqs: wait for it (bounded), then seal them.
  await Promise.race([publisher.seq.settled, sleep(drainTimeoutMs, undefined, { ref: false })]);
  sealer.seal(true);
  await sealer.landed();
  const drained = await publisher.drain(drainTimeoutMs);
  if (!drained)
    log.warn({ pending: outbox.stats().pendingBatches }, 'stopping with unacknowledged batches on disk');
  await publisher.close();
  const spool = outbox.stats(); // pending and dropped (oldest first past the byte bound)
  outbox.close();
  return spool;
}

/** As on power loss: the publisher drops its connection; writes already begun finish, then the spool closes. */
export async function killAgentOutbox(
  publisher: Publisher,
  outbox: Spool,
  loop: Promise<void>,
): Promise<void> {
  await publisher.kill();
  await loop.catch(() => undefined);
  // Writes already in the thread pool finish (a process killed mid-seal leaves them half done; the
  // spool's recovery covers that): waited for so that a test reopening the directory sees them.
  await outbox.idle();
  outbox.close();
}
