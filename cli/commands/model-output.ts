// Terminal output of `edgewatt model ...`: the training progress bar (epoch, loss, accuracy) and
// the table of measured variants.

import { SingleBar } from 'cli-progress';
import type { VariantResult } from '../../models/pipeline/results.js';
import type { TrainProgress } from '../../models/train/trainer.js';
import { formatEnergy, renderTable } from '../table.js';

/** A progress bar on stderr; returns the callback for the trainer and a function that ends it. */
export function progressBar(label: string): { onProgress: (p: TrainProgress) => void; stop: () => void } {
  const bar = new SingleBar({
    format: `${label} epoch {epoch}/{epochs} |{bar}| {value}/{total} batches | loss {loss} | accuracy {accuracy} | {eta_formatted}`,
    hideCursor: true,
    etaBuffer: 50,
  });
  let started = false;
  let epoch = 0;
  if (process.stderr.isTTY !== true) {
    // No terminal to redraw (CI, a log file): a plain line every tenth of an epoch instead.
    return {
      onProgress(p) {
        const step = Math.max(1, Math.round(p.batches / 10));
        if (p.batch % step === 0 || p.batch === p.batches)
          process.stderr.write(
            `${label} epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} accuracy ${p.accuracy.toFixed(4)}\n`,
          );
      },
      stop() {},
    };
  }
  return {
    onProgress(p) {
      const payload = {
        epoch: p.epoch,
        epochs: p.epochs,
        loss: p.loss.toFixed(4),
        accuracy: p.accuracy.toFixed(4),
      };
      if (!started || p.epoch !== epoch) {
        if (started) bar.stop();
        bar.start(p.batches, p.batch, payload);
        started = true;
        epoch = p.epoch;
      } else {
        bar.update(p.batch, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

const percent = (value: number | null, digits = 1) =>
  value === null ? '—' : `${(value * 100).toFixed(digits)} %`;

export function resultsTable(results: readonly VariantResult[]): string {
  const boards = results[0]?.energy.map((e) => e.board) ?? [];
  return renderTable(
    [
      'variant',
      'id',
      'MFLOPs',
      'vs parent',
      'params',
      'size',
      'accuracy',
      'Δ points',
      'Δ vs control',
      'latency here (p10–p90)',
      ...boards.map((board) => `${board} est. (above idle)`),
    ],
    results.map((r) => [
      r.variant,
      r.id.slice(0, 8),
      (r.flops / 1e6).toFixed(3),
      r.flopsReductionVsParent === null ? '—' : `−${percent(r.flopsReductionVsParent, 0)}`,
      String(r.params),
      `${(r.artifactBytes / 1024).toFixed(0)} KiB`,
      percent(r.accuracy, 2),
      r.accuracyChangePointsVsParent === null ? '—' : r.accuracyChangePointsVsParent.toFixed(2),
      r.accuracyChangePointsVsControl === null ? '—' : r.accuracyChangePointsVsControl.toFixed(2),
      `${(r.latency.medianUs / 1000).toFixed(3)} ms (${(r.latency.p10Us / 1000).toFixed(2)}–${(r.latency.p90Us / 1000).toFixed(2)})`,
      ...r.energy.map((e) => `${formatEnergy(e.energyJ)} (${formatEnergy(e.marginalJ)})`),
    ]),
  );
}
