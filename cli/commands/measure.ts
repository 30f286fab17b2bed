// `edgewatt measure replay <run-folder...>`: recomputes the energy per inference of MLPerf Tiny
// EnergyRunner runs (per window and the median, in µJ) and compares it with the published median.

import { Command } from 'commander';
import { type MlperfReplay, readMlperfRun, replayMlperfRun } from '../../agent/measure/mlperf.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { measureReplaySchema } from '../schemas/sensors.js';
import { renderTable } from '../table.js';

function formatReplay(replay: MlperfReplay): string {
  const rows = replay.windows.map((w) => [
    String(w.window),
    w.startS.toFixed(3),
    w.endS.toFixed(3),
    String(w.inferences),
    w.energyUj.toFixed(3),
    w.energyPerInferenceUj.toFixed(3),
    w.publishedPerInferenceUj === undefined ? '-' : w.publishedPerInferenceUj.toFixed(3),
  ]);
  const published =
    replay.publishedMedianUj === undefined
      ? 'no published median in results.txt'
      : `published ${replay.publishedMedianUj.toFixed(3)} µJ, difference ${((replay.relativeDifference ?? 0) * 100).toFixed(4)} %`;
  return [
    `${replay.name} (method: ${replay.method}, ${replay.windows.map((w) => w.inferences).join('/')} inferences per window)`,
    renderTable(
      ['window', 'start s', 'end s', 'inferences', 'energy µJ', 'µJ/inference', 'published µJ/inf'],
      rows,
    ),
    `median ${replay.medianPerInferenceUj.toFixed(3)} µJ/inference; ${published}`,
    '',
  ].join('\n');
}

export function measureCommand(): Command {
  const measure = new Command('measure').description('energy measurement tools');
  addSchemaOptions(measure.command('replay'), measureReplaySchema, 'measure')
    .description('energy per inference of MLPerf Tiny EnergyRunner run folders, per window and median (µJ)')
    .argument('<run-folder...>', 'folders holding trace1-energy.bin, trace1-timestamps.json and results.txt')
    .action(async (folders: string[], _options, command: Command) => {
      const config = await resolveConfig(measureReplaySchema, 'measure', command);
      const replays = folders.map((folder) => replayMlperfRun(readMlperfRun(folder)));
      if (config.json)
        process.stdout.write(`${JSON.stringify(replays.length === 1 ? replays[0] : replays, null, 2)}\n`);
      else for (const replay of replays) process.stdout.write(`${formatReplay(replay)}\n`);
    });
  return measure;
}
