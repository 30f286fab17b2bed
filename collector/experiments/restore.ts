// Putting boards back after an experiment. Before its first assignment to a board the driver keeps
// what the board had: the model it was assigned (its retained assignment) or ran (its last status),
// that assignment's tags, and its retained placement command. When the experiment is stopped or
// finishes, each board gets that model again through the deployment path (a signed assignment
// without experiment/arm tags, so its records are no longer tagged) and its placement command is put
// back (or cleared, when there was none). Done once per board; a failure is retried at the next tick.

import { logger } from '../../common/logger.js';
import type { Experiment } from './experiment-file.js';
import type { AssignmentPort, AssignmentTags, BoardPort } from './ports.js';
import type { ExperimentDb, PublishedAssignment } from './state-db.js';

const log = logger('collector.experiments');

/** The deployment id of the assignments that put a board back: `<experiment>.restore`. */
export const restoreIdOf = (experiment: string): string => `${experiment}.restore`.slice(0, 64);

/** Tags without the experiment's own (a pre-experiment assignment may carry an older experiment's). */
function keptTags(tags: AssignmentTags | undefined): AssignmentTags | undefined {
  if (tags?.placement === undefined) return undefined;
  return { placement: tags.placement };
}

/** Keeps a board's state before the experiment's first assignment to it (once; later calls keep the first). */
export async function captureBefore(
  db: ExperimentDb,
  boards: BoardPort,
  experiment: Experiment,
  device: string,
  nowMs: number,
): Promise<void> {
  if (db.boardsBefore(experiment.id).some((b) => b.device === device)) return;
  const current = await boards.currentModel(experiment.fleet, device);
  const placement = boards.retainedPlacement(experiment.fleet, device);
  const tags = keptTags(current?.tags);
  db.recordBoardBefore({
    experiment: experiment.id,
    device,
    modelId: current?.modelId ?? null,
    tagsJson: tags === undefined ? null : JSON.stringify(tags),
    placement: placement === null ? null : new TextDecoder().decode(placement),
    capturedAtMs: nowMs,
  });
}

/** Puts back every board of an ended experiment not yet restored. */
export async function restoreBoards(
  db: ExperimentDb,
  port: AssignmentPort,
  boards: BoardPort,
  experiment: Experiment,
  nowMs: number,
): Promise<void> {
  const pending = db.boardsBefore(experiment.id).filter((b) => b.restoredAtMs === null);
  if (pending.length === 0) return;
  const assigned = db.assignments(experiment.id);
  for (const before of pending) {
    try {
      const tags = before.tagsJson === null ? undefined : (JSON.parse(before.tagsJson) as AssignmentTags);
      const known = before.modelId !== null && (await boards.registryHas(before.modelId));
      // Without the old model in the registry the board keeps the experiment's last model, but an
      // assignment of it without the experiment's tags still stops its records being tagged.
      const last: PublishedAssignment | undefined = assigned.filter((a) => a.device === before.device).at(-1);
      const modelId = known ? (before.modelId as string) : last?.modelId;
      const notes: string[] = [];
      if (modelId !== undefined) {
        await port.publishAssignment({
          fleet: experiment.fleet,
          device: before.device,
          deploymentId: restoreIdOf(experiment.id),
          modelId,
          probationS: experiment.probationS,
          ...(tags === undefined ? {} : { tags }),
        });
        notes.push(
          known
            ? `model ${modelId.slice(0, 12)} assigned again, experiment tags cleared`
            : `pre-experiment model ${before.modelId === null ? 'unknown' : `${before.modelId.slice(0, 12)} not in the registry`}: kept ${modelId.slice(0, 12)}, experiment tags cleared`,
        );
      }
      const placement = before.placement === null ? null : new TextEncoder().encode(before.placement);
      const published = await boards.publishPlacement(experiment.fleet, before.device, placement, {
        experiment: experiment.id,
        restore: true,
      });
      notes.push(
        !published
          ? 'placement command left as the operator forced it during the experiment'
          : placement === null
            ? 'placement command cleared (none before)'
            : 'placement command put back',
      );
      const note = notes.join('; ');
      db.markRestored(experiment.id, before.device, nowMs, note);
      log.info({ experiment: experiment.id, device: before.device, note }, 'board restored');
    } catch (error) {
      log.warn(
        { experiment: experiment.id, device: before.device, err: (error as Error).message },
        'board not restored; retrying at the next tick',
      );
    }
  }
}
