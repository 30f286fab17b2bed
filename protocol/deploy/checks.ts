// What a device checks of a signed manifest before it downloads the model's files (TUF order:
// metadata first, then targets): that it is the model the assignment names (id, release, size:
// mix-and-match), meant for this board, not expired (freeze), and not older than what the device
// committed on the same model line (rollback) unless the assignment is a signed rollback to the
// device's previous model.

import type { ModelManifest } from '../manifest/manifest.js';
import type { Assignment } from './assignment.js';
import { DeploymentRefusal } from './refusal.js';

/** A model line: artifacts of one architecture and variant, whose releases only go up. */
export function modelLineOf(manifest: Pick<ModelManifest, 'architecture' | 'variant'>): string {
  return `${manifest.architecture}/${manifest.variant}`;
}

/** The highest release a device committed on one line, and the model it committed at it. */
export interface LineRelease {
  release: number;
  modelId: string;
}

export interface DeviceModels {
  /** The device's board profile id (--board); undefined when not configured. */
  board: string | undefined;
  /** The device's clock, ms since the epoch. */
  nowMs: number;
  /** Highest committed release per model line (modelLineOf). */
  highest: Readonly<Record<string, LineRelease>>;
  /** The model the device ran before the current one: the only one a rollback may name. */
  previousModelId: string | undefined;
}

const short = (id: string) => id.slice(0, 12);

/** Throws DeploymentRefusal when the device must not install `manifest` for `assignment`. */
export function checkManifestForDevice(
  manifest: ModelManifest,
  assignment: Assignment,
  device: DeviceModels,
): void {
  const release = manifest.release ?? 0;
  if (manifest.id !== assignment.modelId || release !== assignment.release) {
    throw new DeploymentRefusal(
      'hash-mismatch',
      `the manifest is model ${short(manifest.id)} release ${release}, the assignment names ${short(assignment.modelId)} release ${assignment.release}`,
    );
  }
  if (manifest.artifactBytes > assignment.artifactBytes) {
    throw new DeploymentRefusal(
      'too-large',
      `the manifest declares ${manifest.artifactBytes} bytes, the assignment allows ${assignment.artifactBytes}`,
    );
  }
  if (manifest.expires !== undefined && !(Date.parse(manifest.expires) > device.nowMs)) {
    throw new DeploymentRefusal(
      'expired',
      `model ${short(manifest.id)} expired at ${manifest.expires} (device time ${new Date(device.nowMs).toISOString()})`,
      { hint: 'sign a new release of the model with a later expiry' },
    );
  }
  if (
    manifest.boards !== undefined &&
    (device.board === undefined || !manifest.boards.includes(device.board))
  ) {
    throw new DeploymentRefusal(
      'wrong-board',
      `model ${short(manifest.id)} is for ${manifest.boards.join(', ')}; this device is ${device.board ?? 'of unknown board (no --board)'}`,
    );
  }
  if (assignment.rollback) {
    if (manifest.id !== device.previousModelId) {
      throw new DeploymentRefusal(
        'old-release',
        `a rollback may name only this device's previous model (${device.previousModelId === undefined ? 'none' : short(device.previousModelId)}), not ${short(manifest.id)}`,
      );
    }
    return;
  }
  const line = modelLineOf(manifest);
  const highest = device.highest[line];
  if (
    highest !== undefined &&
    (release < highest.release || (release === highest.release && manifest.id !== highest.modelId))
  ) {
    throw new DeploymentRefusal(
      'old-release',
      `model ${short(manifest.id)} is release ${release} of ${line}; this device committed release ${highest.release} (${short(highest.modelId)})`,
      { hint: 'give the new artifact a higher "release" in its manifest and sign it again' },
    );
  }
}

/** The device's record of committed releases after committing `manifest` (the highest only goes up). */
export function withCommitted(
  highest: Readonly<Record<string, LineRelease>>,
  manifest: Pick<ModelManifest, 'architecture' | 'variant' | 'id' | 'release'>,
): Record<string, LineRelease> {
  const line = modelLineOf(manifest);
  const release = manifest.release ?? 0;
  const current = highest[line];
  if (current !== undefined && current.release > release) return { ...highest };
  return { ...highest, [line]: { release, modelId: manifest.id } };
}
