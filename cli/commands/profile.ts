// `edgewatt profile <model>`: one model's latency and energy per inference on this machine, with no
// broker and no collector, as a summary read at a glance (or --json). A progress bar runs on
// stderr when it is a terminal; the summary goes to stdout.

import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { type ProfileProgress, profileModel } from '../../agent/profile/profile.js';
import type { EnergyInterval, ProfileSummary } from '../../agent/profile/summary.js';
import { setLogLevel } from '../../common/logger.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { profileSchema } from '../schemas/profile.js';

const PREFIXES: [number, string][] = [
  [1e6, 'MJ'],
  [1e3, 'kJ'],
  [1, 'J'],
  [1e-3, 'mJ'],
  [1e-6, 'µJ'],
];

/**
 * Joules with the SI prefix that suits `reference` (by default the value itself), three
 * significant figures: an interval's ends are written in its mean's unit.
 */
export function formatJ(joules: number, reference = joules): string {
  if (!Number.isFinite(joules)) return 'n/a';
  const abs = Math.abs(reference);
  const [scale, unit] = PREFIXES.find(([factor]) => abs >= factor) ?? [1e-6, 'µJ'];
  return `${(joules / scale).toPrecision(3)} ${unit}`;
}

function interval(figure: EnergyInterval): string {
  // Both ends in one unit, that of the larger end (1.07e+3 µJ reads worse than 1.07 mJ).
  const unitOf = Math.max(Math.abs(figure.lowJ), Math.abs(figure.highJ));
  const range = Number.isFinite(figure.lowJ)
    ? `95 % interval ${formatJ(figure.lowJ, unitOf)} … ${formatJ(figure.highJ, unitOf)}`
    : 'interval unknown (one window)';
  return `${formatJ(figure.meanJ)}  (${range})`;
}

export function formatProfile(s: ProfileSummary): string {
  const lines = [
    `${s.model.variant} ${s.model.id.slice(0, 12)} (${s.model.format}, input [${s.model.inputShape.join(', ')}]) on ${s.backend}`,
    s.estimated
      ? `ENERGY IS ESTIMATED, NOT MEASURED — ${s.estimateNote ?? ''}`
      : `energy measured by ${s.sensor}`,
    '',
    `  inferences          ${s.inferences} measured after ${s.warmupInferences} warm-up, in ${s.windows} windows (${s.method}, ${s.inferencesPerWindow} per window)`,
    `  latency             p50 ${s.latencyMs.p50.toFixed(3)} ms   p95 ${s.latencyMs.p95.toFixed(3)} ms`,
    `  energy/inference    ${interval(s.energyPerInference.gross)}  gross`,
    `                      ${interval(s.energyPerInference.aboveIdle)}  above idle${s.estimated && s.samplesPerWindow.median === 0 ? '' : ` (baseline ${s.baselineW.toFixed(3)} W)`}`,
    `  samples per window  median ${s.samplesPerWindow.median}, min ${s.samplesPerWindow.min}${s.samplesPerWindow.median === 0 ? ' (an estimate samples nothing)' : ''}`,
    `  provenance          ${s.provenance} (${s.sensor})`,
  ];
  if (s.fewWindows !== undefined) lines.push(`  NOTE                ${s.fewWindows}`);
  const day = s.perDay;
  if (day !== undefined) {
    lines.push(
      `  per day             ${day.inferences} inferences: ${formatJ(day.grossJ)} = ${day.grossWh.toPrecision(3)} Wh gross, ${formatJ(day.aboveIdleJ)} = ${day.aboveIdleWh.toPrecision(3)} Wh above idle${s.estimated ? ' (estimated)' : ''}`,
    );
    if (day.grossGCo2e !== undefined)
      lines.push(
        `  carbon per day      ${day.grossGCo2e.toPrecision(3)} gCO2e gross, ${(day.aboveIdleGCo2e ?? 0).toPrecision(3)} gCO2e above idle at ${day.gridGPerKWh} gCO2e/kWh`,
      );
  }
  return `${lines.join('\n')}\n`;
}

function progressBar(): { update(progress: ProfileProgress): void; stop(): void } {
  if (process.stderr.isTTY !== true) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    stream: process.stderr,
    format: 'profiling [{bar}] {value}/{total} {unit}',
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  return {
    update(progress) {
      if (!started) {
        bar.start(progress.total, progress.done, { unit: progress.unit });
        started = true;
      } else bar.update(progress.done, { unit: progress.unit });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

export function profileCommand(): Command {
  return addSchemaOptions(new Command('profile'), profileSchema, 'profile')
    .description(
      'latency and energy per inference of one model on this machine (no broker, no collector): warm-up, then measured windows',
    )
    .argument('<model>', 'TensorFlow.js model.json or its folder, or an ONNX model.onnx (or its folder)')
    .action(async (model: string, _options, command: Command) => {
      const config = await resolveConfig(profileSchema, 'profile', command);
      // The summary is the output: info logs (backend chosen, window plan) only when asked for.
      if (
        command.optsWithGlobals<{ logLevel?: string }>().logLevel === undefined &&
        process.env.EDGEWATT_LOG_LEVEL === undefined
      )
        setLogLevel('warn');
      const bar = progressBar();
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      let summary: ProfileSummary;
      try {
        summary = await profileModel(
          {
            model,
            sensor: config.sensor,
            board: config.board,
            count: config.count,
            durationS: config.duration,
            warmup: config.warmup,
            batchSize: config.batchSize,
            backend: config.backend,
            ratePerDay: config.ratePerDay,
            gridGPerKWh: config.gridGramsPerKwh,
            trustedKeys: config.trustedKey,
          },
          (progress) => bar.update(progress),
          stop.signal,
        );
      } finally {
        bar.stop();
        process.off('SIGINT', onSignal);
      }
      process.stdout.write(config.json ? `${JSON.stringify(summary, null, 2)}\n` : formatProfile(summary));
    });
}
