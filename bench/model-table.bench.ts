// `npm run bench:model-table [-- --write]`: re-measures the energy column of the model tables
// (README "On the full 10,000-image test set", docs/models.md "Results"), which were measured before
// the host-to-board speed factor existed and are labelled "at host speed". For every variant of the
// committed results files (models/results/fashion-mnist-*.json) whose folder is here, it measures
// latency as `model eval --rounds 10 --runs 100` does (interleaved rounds) and estimates energy per
// board profile with the speed factor (models/analysis/energy.ts), then prints the table rows. With
// --write it replaces each measured variant's `latency` and `energy` in the results file; accuracy,
// FLOPs and sizes are not touched (they do not depend on speed). Variants whose folder is missing
// (the sweep output under .edgewatt/models/, not committed) are listed with the commands that make
// them (docs/models.md "Commands that made them"); without them only the zoo's three are measured.
// A variant is measured only if its manifest id (the model's content hash) equals the results
// file's: the seeded commands re-make the committed models bit for bit on this machine.
// Heavy: minutes of CPU. Run it on a quiet machine.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatEnergy } from '../cli/table.js';
import { estimateEnergy } from '../models/analysis/energy.js';
import { loadLayers } from '../models/artifact/save.js';
import { interleavedLatency, machineLine, type ResultsFile } from '../models/pipeline/results.js';
import { loadRuntime } from '../runtime/backend.js';

const ROOT = join(import.meta.dirname, '..');
const FILES = ['models/results/fashion-mnist-cnn.json', 'models/results/fashion-mnist-dscnn.json'];
const ROUNDS = 10;
const RUNS_PER_ROUND = 100;
const write = process.argv.includes('--write');

const runtime = await loadRuntime('wasm');
const { tf } = runtime;
console.log(`Measured on: ${machineLine()}, TensorFlow.js ${tf.version.tfjs}, WASM\n`);

let missingAny = false;
for (const file of FILES) {
  const path = join(ROOT, file);
  const results = JSON.parse(readFileSync(path, 'utf8')) as ResultsFile;
  const present = results.variants.filter((v) => existsSync(join(ROOT, v.path, 'manifest.json')));
  // Only the very model the results file describes is measured: the manifest id is the content
  // hash of the model, so a re-made variant counts only if training was reproduced bit for bit
  // (seeded WASM training is deterministic here; a different id means a different model).
  const here = present.filter((v) => {
    const id = (JSON.parse(readFileSync(join(ROOT, v.path, 'manifest.json'), 'utf8')) as { id?: string }).id;
    if (id === v.id) return true;
    console.log(
      `${file}: ${v.variant} at ${v.path} is not the model of the results file (manifest id ${id ?? 'none'}, results id ${v.id}): not measured`,
    );
    return false;
  });
  const missing = results.variants.filter((v) => !here.includes(v));
  if (missing.length > 0) {
    missingAny = true;
    console.log(
      `${file}: not here, so not measured: ${missing.map((v) => `${v.variant} (${v.path})`).join(', ')}\n` +
        '  make them with the commands of docs/models.md "Commands that made them" (model sweep / prune), then run this again\n',
    );
  }
  if (here.length === 0) continue;
  const loaded = [];
  for (const v of here) loaded.push(await loadLayers(tf, join(ROOT, v.path)));
  const latencies = interleavedLatency(tf, loaded, ROUNDS, RUNS_PER_ROUND);
  console.log(`${file}:\n`);
  console.log(
    '| variant | latency median (p10–p90) | rpi4 est. energy (above idle) | all boards, est. energy |',
  );
  console.log('|---|---|---|---|');
  here.forEach((variant, i) => {
    const latency = latencies[i];
    if (latency === undefined) return;
    const energy = estimateEnergy(latency);
    const rpi4 = energy.find((e) => e.board === 'rpi4');
    const { windows: _windows, ...summary } = latency;
    console.log(
      `| ${variant.variant} | ${(latency.medianUs / 1000).toFixed(3)} ms (${(latency.p10Us / 1000).toFixed(3)}–${(latency.p90Us / 1000).toFixed(3)}) | ${rpi4 === undefined ? '–' : `${formatEnergy(rpi4.energyJ)} (${formatEnergy(rpi4.marginalJ)})`} | ${energy.map((e) => `${e.board} ${formatEnergy(e.energyJ)}`).join(', ')} |`,
    );
    variant.latency = summary;
    variant.energy = energy;
  });
  for (const item of loaded) item.model.dispose();
  if (write) {
    results.machine = machineLine();
    results.notes = [
      ...results.notes.filter((n) => !n.startsWith('latency and energy re-measured')),
      `latency and energy re-measured by npm run bench:model-table on ${new Date().toISOString().slice(0, 10)} for ${here.map((v) => v.variant).join(', ')} (energy with the board's host-to-board speed factor)`,
    ];
    writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwrote ${file}`);
  }
  console.log('');
}
console.log(
  "Energy is ESTIMATED (simulated sensor per board profile, this host's latency × the board's host-to-board speed factor, UNSOURCED); no power sensor was read.",
);
if (missingAny) process.exitCode = 2;
