// `npm run bench:models`: what the model pipeline costs and what pruning buys, on this machine.
// 1. Training throughput (examples/s) of each architecture on the WASM backend (and CPU for scale).
// 2. Latency at batch size 1 of the committed zoo variants, interleaved rounds so that load from
//    other processes falls on all alike, with the ESTIMATED energy per inference per board profile.
// 3. Time to plan and apply structured pruning.

import { join } from 'node:path';
import { formatEnergy } from '../cli/table.js';
import { estimateEnergy } from '../models/analysis/energy.js';
import { countCost } from '../models/analysis/flops.js';
import { ARCHITECTURES } from '../models/arch/index.js';
import { loadLayers } from '../models/artifact/save.js';
import { loadSplit } from '../models/data/fashion-mnist.js';
import { interleavedLatency } from '../models/pipeline/results.js';
import { applyPlan, planPruning } from '../models/prune/plan.js';
import { train } from '../models/train/trainer.js';
import { findZoo } from '../models/zoo/index.js';
import { loadRuntime } from '../runtime/backend.js';
import { machineLine } from './machine.js';

const FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'fashion-mnist');
const TRAIN_EXAMPLES = 1280;

const runtime = await loadRuntime('wasm');
const { tf } = runtime;
console.log(`Measured on: ${machineLine()}, TensorFlow.js ${tf.version.tfjs}\n`);

const set = { ...(await loadSplit(FIXTURE, 'train')), count: TRAIN_EXAMPLES };
console.log('| architecture | backend | MFLOPs / inference | params | training examples/s |');
console.log('|---|---|---|---|---|');
for (const backend of ['wasm', 'cpu'] as const) {
  await tf.setBackend(backend);
  for (const arch of ARCHITECTURES) {
    const model = arch.build(tf, 1);
    const cost = countCost(model);
    // The CPU backend trains convolutions a few hundred times slower than WASM here (its gradients
    // are plain JS): a few examples are enough to show it.
    const examples = backend === 'cpu' ? 64 : TRAIN_EXAMPLES;
    // One warm-up batch, then the timed pass.
    await train(
      tf,
      model,
      { ...set, count: backend === 'cpu' ? 16 : 128 },
      { epochs: 1, batchSize: 128, learningRate: 0.001, seed: 1 },
    );
    const startedMs = performance.now();
    await train(
      tf,
      model,
      { ...set, count: examples },
      { epochs: 1, batchSize: 128, learningRate: 0.001, seed: 2 },
    );
    const perSecond = examples / ((performance.now() - startedMs) / 1000);
    console.log(
      `| ${arch.name} | ${backend} | ${(cost.macs / 1e6).toFixed(2)} | ${cost.params} | ${perSecond.toFixed(perSecond < 10 ? 1 : 0)} |`,
    );
    model.dispose();
  }
}
await tf.setBackend('wasm');

const zoo = findZoo();
if (zoo === null) {
  console.log('\n(models/zoo not found: no latency table)');
} else {
  const loaded = [];
  for (const entry of [zoo.base, ...zoo.variants]) loaded.push(await loadLayers(tf, entry.dir));
  const latencies = interleavedLatency(tf, loaded, 10, 200);
  const boards = estimateEnergy(latencies[0] as never).map((e) => e.board);
  console.log(
    `\n| variant | MFLOPs | params | latency median (p10–p90) | ${boards.map((b) => `${b} est. energy (above idle)`).join(' | ')} |`,
  );
  console.log(`|---|---|---|---|${boards.map(() => '---').join('|')}|`);
  loaded.forEach((item, i) => {
    const latency = latencies[i];
    if (latency === undefined) return;
    const cost = countCost(item.model);
    const energy = estimateEnergy(latency)
      .map((e) => `${formatEnergy(e.energyJ)} (${formatEnergy(e.marginalJ)})`)
      .join(' | ');
    console.log(
      `| ${item.variant} | ${(cost.macs / 1e6).toFixed(3)} | ${cost.params} | ${(latency.medianUs / 1000).toFixed(3)} ms (${(latency.p10Us / 1000).toFixed(3)}–${(latency.p90Us / 1000).toFixed(3)}) | ${energy} |`,
    );
  });
  console.log(
    "\nEnergy is ESTIMATED (simulated sensor per board profile, from this host's latency and CPU time); latency is this host's, not the board's.",
  );

  const base = loaded[0]?.model;
  if (base !== undefined) {
    const startedMs = performance.now();
    const plan = await planPruning(tf, base, 0.5, 8);
    const pruned = await applyPlan(tf, base, plan);
    console.log(
      `\nplan + apply structured pruning of ${loaded[0]?.variant} to −50 % FLOPs (multiples of 8): ${(performance.now() - startedMs).toFixed(0)} ms ` +
        `(kept ${JSON.stringify(plan.keepCounts)})`,
    );
    pruned.dispose();
  }
  for (const item of loaded) item.model.dispose();
}
