// A dry run, when the deployer starts, of the code a deployment runs on the event loop for the
// first time in a process: checking a signed assignment (zod compiles each object schema's parser
// on its first parse; ed25519 sets up on its first signature) and encoding a deployment message
// (its schema too). Done the first time inside a switch, that cost 3–10 ms of serving (more under
// load) in the first switch of every agent process only; here it falls in the agent's start-up.
// A throwaway key signs an assignment nobody sends; nothing is published or written.

import { generateKeyPairSync } from 'node:crypto';
import { logger } from '../../common/logger.js';
import {
  ASSIGNMENT_SCHEMA,
  type Assignment,
  signAssignment,
  verifyAssignment,
} from '../../protocol/deploy/index.js';
import { encodeMessage } from '../../protocol/index.js';
import { keyIdOf } from '../../protocol/manifest/index.js';

const log = logger('agent.deploy');

/** Runs the assignment check and a status message's encoding once, on made-up values. Never throws. */
export function rehearseDeployment(fleet: string, device: string): void {
  try {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const nowMs = Date.now();
    const modelId = '0'.repeat(64);
    const assignment: Assignment = {
      schema: ASSIGNMENT_SCHEMA,
      fleet,
      device,
      deploymentId: 'rehearsal',
      modelId,
      release: 1,
      rollback: false,
      artifactBytes: 1,
      baseUrl: 'http://127.0.0.1/',
      issuedAt: new Date(nowMs).toISOString(),
      expires: new Date(nowMs + 60_000).toISOString(),
      probationS: 0,
      // Every nested object once: each has its own parser to compile.
      tags: { experiment: 'rehearsal', arm: 'a', placement: 'auto' },
    };
    const trusted = [{ keyId: keyIdOf(publicKey), key: publicKey, source: 'rehearsal' }];
    verifyAssignment(signAssignment(assignment, privateKey), trusted, { fleet, device, nowMs });
    encodeMessage({
      v: 1,
      type: 'deployment',
      device,
      seq: 0,
      atUs: nowMs * 1000,
      deploymentId: 'rehearsal',
      modelId,
      release: 1,
      state: 'rolled-back',
      reason: 'aborted',
      detail: 'rehearsal',
      bytes: 1,
      previousModelId: modelId,
      attempt: 1,
    });
  } catch (error) {
    // Only a cost moved earlier: the deployment itself checks everything again.
    log.debug({ err: error }, 'deployment rehearsal failed');
  }
}
