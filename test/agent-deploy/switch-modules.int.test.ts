// The first deployment of an agent process pauses serving no longer than later ones: nothing the
// switch needs is compiled lazily on the event loop. Node.js compiles a built-in module the first
// time it is required (fetch()'s undici bundle: 17–25 ms here, which made the first switch's
// longest gap 2–3 inference slots in bench:deploy). A real `edgewatt agent` process serving 100
// inferences/s, with test/agent-deploy/module-probe.mjs preloaded, is deployed to once; no
// built-in module may first appear between the assignment and half a second after the commit.
// A mechanism, not a time bound: it holds on a loaded machine as on a quiet one.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/process.js';
import { waitFor } from '../support/stack.js';
import { CREDENTIALS, type Fleet, startFleet } from './fleet.js';
import { assignmentFor, FLEET } from './support.js';

const PROBE = fileURLToPath(new URL('./module-probe.mjs', import.meta.url));
/** What the bench counts as the switch after the commit: disposing the old model, removing folders. */
const AFTER_COMMIT_MS = 500;

describe('the first model switch of an agent process', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet();
  });
  afterAll(async () => {
    await fleet?.close();
  });

  it('loads no Node.js built-in module from the assignment to the end of the switch', async () => {
    const name = 'first-switch';
    const modules = join(fleet.dir, 'modules.txt');
    const run = runCli(
      [
        'agent',
        ...['--broker', fleet.broker.url, '--fleet', FLEET, '--device', name],
        ...['--username', CREDENTIALS.username, '--password', CREDENTIALS.password],
        ...[
          '--sensor',
          'simulated:rpi4',
          '--model',
          fleet.start.dir,
          '--trusted-key',
          fleet.keys.modelPublicPath,
        ],
        ...['--deployment-trusted-key', fleet.keys.deploymentPublicPath, '--deploy-warmup', '2'],
        ...['--rate', '100', '--state-dir', join(fleet.dir, 'devices', name)],
      ],
      { NODE_OPTIONS: `--import ${PROBE}`, EDGEWATT_MODULE_PROBE: modules },
    );
    try {
      // Start-up is over: the seq counter settled (no collector: after its 5 s wait) and the probe
      // saw no new module for a while (the burst of records held meanwhile is sealed).
      await waitFor(
        'start-up over',
        () => run.stderr().includes('no answer from a collector about our seqs'),
        30_000,
      );
      let lines = 0;
      let stableSinceMs = Date.now();
      await waitFor(
        'no module loaded for 500 ms',
        () => {
          const now = readFileSync(modules, 'utf8').split('\n').length;
          if (now !== lines) [lines, stableSinceMs] = [now, Date.now()];
          return Date.now() - stableSinceMs > 500;
        },
        20_000,
      );
      const assignedMs = Date.now();
      await fleet.control.assign(
        assignmentFor(name, fleet.next, fleet.registry, { probationS: 0.5 }),
        fleet.keys.deploymentKey,
      );
      await waitFor('committed', () => fleet.control.chain(name).includes('committed#1'), 30_000).catch(
        (error: Error) => {
          throw new Error(`${error.message}; chain ${fleet.control.chain(name).join(' ')}; ${run.stderr()}`);
        },
      );
      const committed = fleet.control.messages.find((m) => m.device === name && m.state === 'committed');
      const untilMs = (committed?.atUs ?? 0) / 1000 + AFTER_COMMIT_MS;
      // The probe touches its file at every poll: once it polled after `untilMs`, the list is complete.
      await waitFor(
        'the probe polled after the switch',
        () => statSync(modules).mtimeMs > untilMs + 1,
        10_000,
      );
      const seen = readFileSync(modules, 'utf8')
        .trim()
        .split('\n')
        .map((line) => ({ atMs: Number(line.split(' ')[0]), module: line.slice(line.indexOf(' ') + 1) }));
      // The probe works: it saw the agent's start-up load modules.
      expect(seen.filter((entry) => entry.atMs < assignedMs).length).toBeGreaterThan(50);
      const duringSwitch = seen.filter((entry) => entry.atMs >= assignedMs && entry.atMs <= untilMs);
      expect(duringSwitch.map((entry) => entry.module)).toEqual([]);
      expect(fleet.control.chain(name)).toEqual([
        'downloading#1',
        'verifying#1',
        'loading#1',
        'switching#1',
        'probation#1',
        'committed#1',
      ]);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
