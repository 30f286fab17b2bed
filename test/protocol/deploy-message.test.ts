// The `deployment` message kind: round trip in both encodings, and the contract it enforces on
// send and receive (known states and reasons, bounded detail, SHA-256 model ids, topic kind).

import { describe, expect, it } from 'vitest';
import {
  buildTopic,
  DEPLOYMENT_STATES,
  type DeploymentMessage,
  decodeAs,
  decodeMessage,
  ENCODINGS,
  encodeMessage,
  parseTopic,
} from '../../protocol/index.js';

const MESSAGE: DeploymentMessage = {
  v: 1,
  type: 'deployment',
  device: 'pi-01',
  seq: 4,
  atUs: 1_731_000_000_000_000,
  deploymentId: 'rollout-7',
  modelId: 'b'.repeat(64),
  release: 2,
  state: 'refused',
  reason: 'wrong-board',
  detail: 'model bbbbbbbbbbbb is for jetson-nano; this device is rpi4',
  attempt: 1,
};

const wireOf = (message: object): Uint8Array => new TextEncoder().encode(JSON.stringify(message));

describe('deployment messages', () => {
  it.each(ENCODINGS)('round-trip in %s for every state', (encoding) => {
    for (const state of DEPLOYMENT_STATES) {
      const message = { ...MESSAGE, state };
      expect(decodeAs('deployment', encodeMessage(message, encoding))).toEqual({ ok: true, value: message });
    }
  });

  it('leave optional fields out instead of sending undefined', () => {
    const { reason: _r, detail: _d, ...bare } = MESSAGE;
    const json = new TextDecoder().decode(encodeMessage({ ...bare, reason: undefined }, 'json'));
    expect(json).not.toContain('reason');
    expect(decodeMessage(wireOf(bare))).toEqual({ ok: true, value: bare });
  });

  it.each([
    ['an unknown state', { state: 'installing' }],
    ['an unknown reason', { reason: 'bad-luck' }],
    ['a detail over 512 characters', { detail: 'x'.repeat(513) }],
    ['a model id that is not SHA-256 hex', { modelId: 'model-a' }],
    ['a deployment id outside the id charset', { deploymentId: 'roll out/7' }],
    ['a negative attempt', { attempt: -1 }],
    ['an unknown key', { fleet: 'lab' }],
  ])('are refused with %s, on receive and on send', (_name, change) => {
    const decoded = decodeMessage(wireOf({ ...MESSAGE, ...change }));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.reason).toBe('invalid');
    expect(() => encodeMessage({ ...MESSAGE, ...change } as DeploymentMessage)).toThrow();
  });

  it("are refused on another kind's topic, and their topic parses", () => {
    const decoded = decodeAs('status', encodeMessage(MESSAGE));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.reason).toBe('topic-mismatch');
    const topic = buildTopic({ fleet: 'lab', device: 'pi-01', kind: 'deployment' });
    expect(topic).toBe('edgewatt/v1/lab/pi-01/deployment');
    expect(parseTopic(topic)).toEqual({
      ok: true,
      value: { fleet: 'lab', device: 'pi-01', kind: 'deployment' },
    });
  });
});
