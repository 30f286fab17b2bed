// Mender-style fault table (test/agent-deploy/fleet.ts FAULT_CASES), the kill -9 half after the switch: `edgewatt agent` runs as a
// real process with a deploy hook that holds the state until the test sends SIGKILL; the agent is then started again,
// and the device must end with the exact chain of status messages and the expected model serving.

import { afterAll, beforeAll, describe, it } from 'vitest';
import { CASE_TIMEOUT_MS, FAULT_CASES, type Fleet, runFaultCase, startFleet } from './fleet.js';

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet();
});

afterAll(async () => {
  await fleet?.close();
});

describe.concurrent('kill -9 in each deployment state', () => {
  it.for(FAULT_CASES.filter((c) => c.fault === 'kill' && ['probation', 'rolling-back'].includes(c.state)))(
    '$fault in $state',
    { timeout: CASE_TIMEOUT_MS },
    async (c, { expect }) => {
      const { chain, servingModelId, expectedModelId } = await runFaultCase(fleet, c);
      expect(chain).toEqual(c.chain);
      expect(servingModelId).toBe(expectedModelId);
    },
  );
});
