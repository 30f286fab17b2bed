// The signed assignment (protocol/deploy/assignment.ts): what a device accepts, and each typed
// refusal — wrong device, expired, untrusted key, bad signature, too large, malformed.

import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Assignment,
  artifactUrl,
  type DeploymentRefusal,
  isDeploymentRefusal,
  signAssignment,
  verifyAssignment,
} from '../../protocol/deploy/index.js';
import { keyIdOf, type TrustedKey } from '../../protocol/manifest/index.js';

function keyPair(source: string): { privateKey: KeyObject; trusted: TrustedKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, trusted: { keyId: keyIdOf(publicKey), key: publicKey, source } };
}

const deployKey = keyPair('deploy.pub.pem');
const otherKey = keyPair('other.pub.pem');
const NOW_MS = Date.parse('2026-11-28T12:00:00Z');

const ASSIGNMENT: Assignment = {
  schema: 'edgewatt.assignment/1',
  fleet: 'lab',
  device: 'pi-01',
  deploymentId: 'rollout-7',
  modelId: 'a'.repeat(64),
  release: 3,
  rollback: false,
  artifactBytes: 244_376,
  baseUrl: 'http://127.0.0.1:8080',
  issuedAt: '2026-11-28T11:59:00Z',
  expires: '2026-11-29T12:00:00Z',
  probationS: 60,
  tags: { experiment: 'exp-1', arm: 'pruned-edge', placement: 'edge' },
};

const CONTEXT = { fleet: 'lab', device: 'pi-01', nowMs: NOW_MS };

function refusalOf(action: () => unknown): DeploymentRefusal {
  try {
    action();
  } catch (error) {
    expect(isDeploymentRefusal(error)).toBe(true);
    return error as DeploymentRefusal;
  }
  throw new Error('accepted');
}

/** The payload with its envelope edited (after signing). */
function edited(payload: Uint8Array, edit: (envelope: Record<string, string>) => void): Uint8Array {
  const envelope = JSON.parse(new TextDecoder().decode(payload)) as Record<string, string>;
  edit(envelope);
  return new TextEncoder().encode(JSON.stringify(envelope));
}

describe('signAssignment / verifyAssignment', () => {
  it('a signed assignment for this device, in time, comes back equal', () => {
    const payload = signAssignment(ASSIGNMENT, deployKey.privateKey);
    expect(verifyAssignment(payload, [otherKey.trusted, deployKey.trusted], CONTEXT)).toEqual(ASSIGNMENT);
  });

  it('the signature covers the exact assignment text named in the envelope', () => {
    const payload = signAssignment(ASSIGNMENT, deployKey.privateKey);
    const envelope = JSON.parse(new TextDecoder().decode(payload)) as { assignment: string; keyId: string };
    expect(JSON.parse(envelope.assignment)).toEqual(ASSIGNMENT);
    expect(envelope.keyId).toBe(deployKey.trusted.keyId);
  });

  it('refuses an assignment addressed to another device or fleet: wrong-device', () => {
    const payload = signAssignment(ASSIGNMENT, deployKey.privateKey);
    const device = refusalOf(() =>
      verifyAssignment(payload, [deployKey.trusted], { ...CONTEXT, device: 'pi-02' }),
    );
    expect(device.reason).toBe('wrong-device');
    expect(device.message).toContain('lab/pi-01');
    const fleet = refusalOf(() =>
      verifyAssignment(payload, [deployKey.trusted], { ...CONTEXT, fleet: 'field' }),
    );
    expect(fleet.reason).toBe('wrong-device');
  });

  it('refuses an expired assignment, and accepts it 1 ms before: expired', () => {
    const payload = signAssignment(ASSIGNMENT, deployKey.privateKey);
    const expiresMs = Date.parse(ASSIGNMENT.expires);
    expect(() =>
      verifyAssignment(payload, [deployKey.trusted], { ...CONTEXT, nowMs: expiresMs - 1 }),
    ).not.toThrow();
    const error = refusalOf(() =>
      verifyAssignment(payload, [deployKey.trusted], { ...CONTEXT, nowMs: expiresMs }),
    );
    expect(error.reason).toBe('expired');
    expect(error.message).toContain(ASSIGNMENT.expires);
  });

  it('refuses an assignment signed by a key the device does not trust: untrusted-key', () => {
    const payload = signAssignment(ASSIGNMENT, otherKey.privateKey);
    const error = refusalOf(() => verifyAssignment(payload, [deployKey.trusted], CONTEXT));
    expect(error.reason).toBe('untrusted-key');
    expect(error.message).toContain(otherKey.trusted.keyId);
  });

  it('refuses an assignment changed after signing: bad-signature', () => {
    const payload = signAssignment(ASSIGNMENT, deployKey.privateKey);
    const retargeted = edited(payload, (envelope) => {
      envelope.assignment = (envelope.assignment ?? '').replace('"pi-01"', '"pi-02"');
    });
    const error = refusalOf(() =>
      verifyAssignment(retargeted, [deployKey.trusted], { ...CONTEXT, device: 'pi-02' }),
    );
    expect(error.reason).toBe('bad-signature');
  });

  it('refuses a signature claimed by a trusted key id but made by another key: bad-signature', () => {
    const forged = signAssignment(ASSIGNMENT, otherKey.privateKey);
    const claimed = edited(forged, (envelope) => {
      envelope.keyId = deployKey.trusted.keyId;
    });
    expect(refusalOf(() => verifyAssignment(claimed, [deployKey.trusted], CONTEXT)).reason).toBe(
      'bad-signature',
    );
  });

  it('refuses a model larger than the device accepts, and accepts one of exactly that size: too-large', () => {
    const payload = signAssignment(ASSIGNMENT, deployKey.privateKey);
    expect(() =>
      verifyAssignment(payload, [deployKey.trusted], {
        ...CONTEXT,
        maxArtifactBytes: ASSIGNMENT.artifactBytes,
      }),
    ).not.toThrow();
    const error = refusalOf(() =>
      verifyAssignment(payload, [deployKey.trusted], {
        ...CONTEXT,
        maxArtifactBytes: ASSIGNMENT.artifactBytes - 1,
      }),
    );
    expect(error.reason).toBe('too-large');
  });

  it('refuses payloads that are not a signed assignment: malformed', () => {
    for (const text of ['', 'null', '{"assignment":"{}"}', '[1]', '\u00ff']) {
      const error = refusalOf(() =>
        verifyAssignment(new TextEncoder().encode(text), [deployKey.trusted], CONTEXT),
      );
      expect(error.reason).toBe('malformed');
    }
  });

  it('refuses a well signed text that is not an assignment (malformed); signAssignment will not sign one', () => {
    const text = JSON.stringify({ ...ASSIGNMENT, probationS: -1 });
    const payload = new TextEncoder().encode(
      JSON.stringify({
        assignment: text,
        keyId: deployKey.trusted.keyId,
        signature: sign(null, Buffer.from(text), deployKey.privateKey).toString('base64'),
      }),
    );
    const error = refusalOf(() => verifyAssignment(payload, [deployKey.trusted], CONTEXT));
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('probationS');
    expect(() => signAssignment({ ...ASSIGNMENT, probationS: -1 }, deployKey.privateKey)).toThrow();
  });

  it('artifactUrl spells the registry path once', () => {
    expect(artifactUrl('http://h:1/', 'ab', 'weights.bin')).toBe(
      'http://h:1/v1/registry/artifacts/ab/weights.bin',
    );
    expect(artifactUrl('https://h/x', 'ab', 'a b/c.bin')).toBe(
      'https://h/x/v1/registry/artifacts/ab/a%20b/c.bin',
    );
  });
});
