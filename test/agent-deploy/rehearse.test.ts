// The deployer's start-up rehearsal (agent/deploy/rehearse.ts): after it, checking a signed
// assignment and encoding every kind of deployment status message compile no code. zod compiles
// an object schema's parser with `new Function` on its first parse; counting those calls is the
// mechanism, so the test holds on a loaded machine (no time bound).

import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { rehearseDeployment } from '../../agent/deploy/rehearse.js';
import {
  ASSIGNMENT_SCHEMA,
  type Assignment,
  DEPLOYMENT_STATES,
  signAssignment,
  verifyAssignment,
} from '../../protocol/deploy/index.js';
import { encodeMessage } from '../../protocol/index.js';
import { keyIdOf } from '../../protocol/manifest/index.js';

const OriginalFunction = Function;
/** Calls `work` and returns how many functions were compiled from source text meanwhile. */
function compiledDuring(work: () => void): number {
  let compiled = 0;
  globalThis.Function = new Proxy(OriginalFunction, {
    construct(target, args) {
      compiled++;
      return Reflect.construct(target, args);
    },
    apply(target, self, args) {
      compiled++;
      return Reflect.apply(target, self, args);
    },
  });
  try {
    work();
  } finally {
    globalThis.Function = OriginalFunction;
  }
  return compiled;
}

describe('deployment rehearsal at start', () => {
  afterEach(() => {
    globalThis.Function = OriginalFunction;
  });

  it('compiles the parsers a first deployment would (the counter sees them)', () => {
    expect(compiledDuring(() => rehearseDeployment('lab', 'pi-7'))).toBeGreaterThan(0);
  });

  it('leaves nothing to compile for a real assignment and its status messages', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const nowMs = Date.now();
    const assignment: Assignment = {
      schema: ASSIGNMENT_SCHEMA,
      fleet: 'lab',
      device: 'pi-7',
      deploymentId: 'rollout-42',
      modelId: 'ab'.repeat(32),
      release: 3,
      rollback: false,
      artifactBytes: 500_000,
      baseUrl: 'https://collector.local:8080',
      issuedAt: new Date(nowMs).toISOString(),
      expires: new Date(nowMs + 3_600_000).toISOString(),
      probationS: 30,
      tags: { experiment: 'exp-1', arm: 'b', placement: 'edge' },
    };
    const payload = signAssignment(assignment, privateKey);
    const trusted = [{ keyId: keyIdOf(publicKey), key: publicKey, source: 'test' }];
    const compiled = compiledDuring(() => {
      expect(verifyAssignment(payload, trusted, { fleet: 'lab', device: 'pi-7', nowMs })).toEqual(assignment);
      for (const [seq, state] of DEPLOYMENT_STATES.entries()) {
        encodeMessage({
          v: 1,
          type: 'deployment',
          device: 'pi-7',
          seq,
          atUs: nowMs * 1000 + seq,
          deploymentId: assignment.deploymentId,
          modelId: assignment.modelId,
          release: assignment.release,
          state,
          attempt: 1,
        });
      }
    });
    expect(compiled).toBe(0);
  });
});
