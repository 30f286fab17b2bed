// Preloaded (node --import) into an agent process for the kill-mid-seal test: every fsync through
// fs.promises (the agent's off-loop seal) takes SLOW_FSYNC_MS longer, as on a slow SD card, and is
// announced on stderr (`fsync start` / `fsync end`), so the test can kill the process mid-seal.

import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

const delayMs = Number(process.env.SLOW_FSYNC_MS ?? 100);
const probe = await open(tmpdir(), 'r');
const prototype = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
await probe.close();
const sync = prototype.sync;
prototype.sync = async function slowSync(this: unknown) {
  process.stderr.write('fsync start\n');
  await sleep(delayMs);
  await sync.call(this);
  process.stderr.write('fsync end\n');
};
