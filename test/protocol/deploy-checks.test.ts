// What a device checks of a signed manifest against its assignment and itself
// (protocol/deploy/checks.ts): mix-and-match, too large, expired, wrong board, old release, and the
// one exception, a signed rollback to the previous model.

import { describe, expect, it } from 'vitest';
import {
  type Assignment,
  checkManifestForDevice,
  type DeploymentRefusal,
  type DeviceModels,
  isDeploymentRefusal,
  modelLineOf,
  withCommitted,
} from '../../protocol/deploy/index.js';
import { MANIFEST_SCHEMA, type ModelManifest, manifestSchema } from '../../protocol/manifest/index.js';

const NOW_MS = Date.parse('2026-11-28T12:00:00Z');
const NEW_ID = 'b'.repeat(64);
const OLD_ID = 'a'.repeat(64);

const MANIFEST: ModelManifest = manifestSchema.parse({
  schema: MANIFEST_SCHEMA,
  id: NEW_ID,
  variant: 'pruned-50',
  architecture: 'cnn',
  parent: null,
  pruning: null,
  flops: 1000,
  params: 100,
  accuracy: null,
  inputShape: [28, 28, 1],
  artifactBytes: 300,
  files: [
    { path: 'model.json', bytes: 100, sha256: 'c'.repeat(64) },
    { path: 'weights.bin', bytes: 200, sha256: 'd'.repeat(64) },
  ],
  training: null,
  createdBy: 'test',
  release: 3,
  expires: '2026-12-31T00:00:00Z',
  boards: ['rpi4', 'rpi5'],
});

const ASSIGNMENT: Assignment = {
  schema: 'edgewatt.assignment/1',
  fleet: 'lab',
  device: 'pi-01',
  deploymentId: 'rollout-7',
  modelId: NEW_ID,
  release: 3,
  rollback: false,
  artifactBytes: 300,
  baseUrl: 'http://127.0.0.1:8080',
  issuedAt: '2026-11-28T11:59:00Z',
  expires: '2026-11-29T12:00:00Z',
  probationS: 60,
};

const DEVICE: DeviceModels = {
  board: 'rpi4',
  nowMs: NOW_MS,
  highest: { 'cnn/pruned-50': { release: 2, modelId: OLD_ID } },
  previousModelId: OLD_ID,
};

function reasonOf(manifest: ModelManifest, assignment: Assignment, device: DeviceModels): string | null {
  try {
    checkManifestForDevice(manifest, assignment, device);
    return null;
  } catch (error) {
    expect(isDeploymentRefusal(error)).toBe(true);
    return (error as DeploymentRefusal).reason;
  }
}

describe('checkManifestForDevice', () => {
  it('accepts a newer release, for this board, in time, of the size assigned', () => {
    expect(reasonOf(MANIFEST, ASSIGNMENT, DEVICE)).toBeNull();
  });

  it.each([
    ['another model id than assigned', { ...ASSIGNMENT, modelId: OLD_ID }, 'hash-mismatch'],
    ['another release than assigned', { ...ASSIGNMENT, release: 4 }, 'hash-mismatch'],
    ['more bytes than assigned', { ...ASSIGNMENT, artifactBytes: 299 }, 'too-large'],
  ] as const)('refuses a manifest with %s', (_name, assignment, reason) => {
    expect(reasonOf(MANIFEST, assignment, DEVICE)).toBe(reason);
  });

  it('refuses a manifest past its expiry, accepts it 1 ms before: expired', () => {
    const expiresMs = Date.parse(MANIFEST.expires ?? '');
    expect(reasonOf(MANIFEST, ASSIGNMENT, { ...DEVICE, nowMs: expiresMs - 1 })).toBeNull();
    expect(reasonOf(MANIFEST, ASSIGNMENT, { ...DEVICE, nowMs: expiresMs })).toBe('expired');
  });

  it('refuses a manifest for other boards, or any board list when the device does not know its own: wrong-board', () => {
    expect(reasonOf(MANIFEST, ASSIGNMENT, { ...DEVICE, board: 'jetson-nano' })).toBe('wrong-board');
    expect(reasonOf(MANIFEST, ASSIGNMENT, { ...DEVICE, board: undefined })).toBe('wrong-board');
    const anyBoard = { ...MANIFEST, boards: undefined };
    expect(reasonOf(anyBoard, ASSIGNMENT, { ...DEVICE, board: undefined })).toBeNull();
  });

  it('refuses a release below the highest committed on the line, or equal with other bytes: old-release', () => {
    const committed5 = { ...DEVICE, highest: { 'cnn/pruned-50': { release: 5, modelId: OLD_ID } } };
    expect(reasonOf(MANIFEST, ASSIGNMENT, committed5)).toBe('old-release');
    const committed3 = { ...DEVICE, highest: { 'cnn/pruned-50': { release: 3, modelId: OLD_ID } } };
    expect(reasonOf(MANIFEST, ASSIGNMENT, committed3)).toBe('old-release');
    // The same bytes at the same release is no rollback: re-installing it is fine.
    const same = { ...DEVICE, highest: { 'cnn/pruned-50': { release: 3, modelId: NEW_ID } } };
    expect(reasonOf(MANIFEST, ASSIGNMENT, same)).toBeNull();
  });

  it('keeps lines apart: a higher release of another variant does not block this one (experiments switch arms)', () => {
    const other = { ...DEVICE, highest: { 'cnn/dense': { release: 9, modelId: OLD_ID } } };
    expect(reasonOf(MANIFEST, ASSIGNMENT, other)).toBeNull();
  });

  it('a signed rollback may name the previous model, whatever its release, and no other', () => {
    const rollback = { ...ASSIGNMENT, rollback: true };
    const newer = {
      ...DEVICE,
      highest: { 'cnn/pruned-50': { release: 7, modelId: OLD_ID } },
      previousModelId: NEW_ID,
    };
    expect(reasonOf(MANIFEST, rollback, newer)).toBeNull();
    expect(reasonOf(MANIFEST, rollback, { ...newer, previousModelId: OLD_ID })).toBe('old-release');
    expect(reasonOf(MANIFEST, rollback, { ...newer, previousModelId: undefined })).toBe('old-release');
  });

  it('withCommitted raises a line to the committed release and never lowers it', () => {
    const raised = withCommitted({}, MANIFEST);
    expect(raised).toEqual({ [modelLineOf(MANIFEST)]: { release: 3, modelId: NEW_ID } });
    const kept = withCommitted({ 'cnn/pruned-50': { release: 5, modelId: OLD_ID } }, MANIFEST);
    expect(kept['cnn/pruned-50']).toEqual({ release: 5, modelId: OLD_ID });
  });
});

describe('manifest deployment fields', () => {
  it('are optional: a manifest without them parses', () => {
    const { release: _r, expires: _e, boards: _b, ...old } = MANIFEST;
    expect(manifestSchema.safeParse(old).success).toBe(true);
  });

  it('refuses an artifactBytes that is not the sum of the files', () => {
    const result = manifestSchema.safeParse({ ...MANIFEST, artifactBytes: 301 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('add up to 300');
  });

  it('refuses release 0, an expiry without offset, and an empty board list', () => {
    expect(manifestSchema.safeParse({ ...MANIFEST, release: 0 }).success).toBe(false);
    expect(manifestSchema.safeParse({ ...MANIFEST, expires: '2026-12-31' }).success).toBe(false);
    expect(manifestSchema.safeParse({ ...MANIFEST, boards: [] }).success).toBe(false);
  });
});
