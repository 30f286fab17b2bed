// Mender-style fault table (test/agent-deploy/fleet.ts FAULT_CASES), the injected-error half: `edgewatt agent` runs as a
// real process with a deploy hook that fails (exit 3) on entering the state,
// and the device must end with the exact chain of status messages and the expected model serving.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASE_TIMEOUT_MS, FAULT_CASES, type Fleet, runFaultCase, startFleet } from './fleet.js';

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet();
});

afterAll(async () => {
  await fleet?.close();
});

describe('the fault table', () => {
  it('has an error and a kill -9 for every state (kill in downloading: download-resume.int.test.ts)', () => {
    for (const state of ['downloading', 'verifying', 'loading', 'switching', 'probation', 'rolling-back']) {
      expect(FAULT_CASES.some((c) => c.state === state && c.fault === 'error')).toBe(true);
      if (state !== 'downloading')
        expect(FAULT_CASES.some((c) => c.state === state && c.fault === 'kill')).toBe(true);
    }
  });
});

describe.concurrent('an error in each deployment state', () => {
  it.for(FAULT_CASES.filter((c) => c.fault === 'error'))(
    '$fault in $state',
    { timeout: CASE_TIMEOUT_MS },
    async (c, { expect }) => {
      const { chain, servingModelId, expectedModelId } = await runFaultCase(fleet, c);
      expect(chain).toEqual(c.chain);
      expect(servingModelId).toBe(expectedModelId);
    },
  );
});
