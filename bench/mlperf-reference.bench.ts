// `npm run bench:mlperf [-- <dir>]`: replays every MLPerf Tiny v1.0 EnergyRunner run folder of
// the reference set (default ../shared/reference/mlperf-tiny-v1.0, outside the repository; two of
// its runs are test fixtures) with the agent's attribution code, and prints each run's median
// energy per inference against the submitter's, and the largest difference. Exits 1 when a run
// is off by more than 0.1 %, or when the folder holds no run.

import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMlperfRun, replayMlperfRun } from '../agent/measure/mlperf.js';
import { machineLine } from './machine.js';

const TOLERANCE = 0.001;
const root = resolve(
  process.argv[2] ?? fileURLToPath(new URL('../../shared/reference/mlperf-tiny-v1.0/', import.meta.url)),
);
const folders = readdirSync(root)
  .filter((name) => statSync(join(root, name)).isDirectory())
  .sort();

console.log(`Measured on: ${machineLine()}`);
console.log(`${folders.length} run folders in ${root}\n`);
console.log('| run | our median µJ/inference | published µJ/inference | difference |');
console.log('|---|---|---|---|');
let worst = 0;
let failures = 0;
for (const name of folders) {
  const replay = replayMlperfRun(readMlperfRun(join(root, name)));
  const difference = Math.abs(replay.relativeDifference ?? Number.POSITIVE_INFINITY);
  worst = Math.max(worst, difference);
  if (!(difference <= TOLERANCE)) failures++;
  console.log(
    `| ${name} | ${replay.medianPerInferenceUj.toFixed(3)} | ${replay.publishedMedianUj?.toFixed(3) ?? 'none'} | ${(difference * 100).toFixed(4)} % |`,
  );
}
console.log(
  `\nlargest difference ${(worst * 100).toFixed(4)} % over ${folders.length} runs (limit 0.1 %); ${failures} beyond it`,
);
if (folders.length === 0 || failures > 0) process.exitCode = 1;
