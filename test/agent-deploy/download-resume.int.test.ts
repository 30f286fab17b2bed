// Power loss mid-download: `edgewatt agent` (a real process) is killed with SIGKILL while the
// registry is still sending the weights; started again, it resumes with a Range request from
// exactly the byte its file reached, and the deployment commits.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/stack.js';
import { CASE_TIMEOUT_MS, type Fleet, isTerminal, startCliDevice, startFleet } from './fleet.js';
import { assignmentFor } from './support.js';

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({ wideNext: true });
});

afterAll(async () => {
  await fleet?.close();
});

describe('kill -9 in downloading', () => {
  it('resumes from the byte reached', { timeout: CASE_TIMEOUT_MS }, async () => {
    const name = 'kill-downloading';
    const fileBytes = (path: string) => fleet.next.manifest.files.find((f) => f.path === path)?.bytes ?? 0;
    const weights = fileBytes('weights.bin');
    // About 3 s for the weights: time to stop the device in the middle.
    fleet.registry.throttleBytesPerS = Math.ceil(weights / 3);
    const first = startCliDevice(fleet, name);
    await fleet.control.assign(
      assignmentFor(name, fleet.next, fleet.registry, { deploymentId: 'd-download' }),
      fleet.keys.deploymentKey,
    );
    const partial = join(first.stateDir, 'deploy', `${fleet.next.id}.partial`, 'weights.bin');
    const size = () => {
      try {
        return statSync(partial).size;
      } catch {
        return 0;
      }
    };
    await waitFor('a third of the weights on disk', () => size() > weights / 3, 60_000);
    first.run.child.kill('SIGKILL');
    expect((await first.run.exited).signal).toBe('SIGKILL');
    const reached = size();
    expect(reached).toBeLessThan(weights);
    const again = startCliDevice(fleet, name);
    try {
      await waitFor(`${name} done`, () => isTerminal(fleet.control.chain(name)), 90_000);
      expect(fleet.control.chain(name)).toEqual([
        'downloading#1',
        'downloading#2',
        'verifying#2',
        'loading#2',
        'switching#2',
        'probation#2',
        'committed#2',
      ]);
      // The resumed request starts exactly where the file on disk ended, and says so.
      expect(fleet.registry.ranges).toEqual([`weights.bin bytes=${reached}-`]);
      const resumed = fleet.control.messages.find(
        (m) => m.device === name && m.state === 'downloading' && m.attempt === 2,
      );
      expect(resumed?.bytes).toBe(fileBytes('model.json') + reached);
    } finally {
      again.run.child.kill('SIGTERM');
      await again.run.exited;
    }
  });
});
