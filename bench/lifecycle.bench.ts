// Monte Carlo throughput of the life-cycle engine: samples per second for one scenario on one core
// (Node runs this on its main thread; typed arrays throughout). Two figures: the Monte Carlo core
// (draw every parameter in blocks + evaluate both placements into full-length term arrays) and the
// whole comparison (plus percentiles of every total, term and functional unit, and the sensitivity
// ranking on 20,000 draws).
// Run: npm run bench:lifecycle

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { compareResolved, parseScenario, resolveScenario, simulate } from '../collector/lifecycle/index.js';
import { isConstant } from '../collector/lifecycle/sample.js';
import { machineLine } from './machine.js';

const FILE = new URL('../examples/scenarios/pi4-wifi-gpu-profiles.yaml', import.meta.url);
const SAMPLES = 1_000_000;
const RUNS = 7;

const scenario = { ...parseScenario(readFileSync(FILE, 'utf8'), 'bench'), samples: SAMPLES };
const resolved = resolveScenario(scenario);
const uncertain = Object.entries(resolved.values).filter(
  ([id, v]) =>
    v.origin !== 'not-needed' &&
    !isConstant(v) &&
    resolved.aliases[id as keyof typeof resolved.aliases] === undefined,
);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function time(fn: () => void): number[] {
  fn(); // warm-up: JIT and first allocation
  const seconds: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return seconds;
}

let sink = 0;
const core = time(() => {
  const draws = simulate(resolved, SAMPLES, scenario.seed, {}); // blocks of 65,536, as compare runs it
  sink += draws.terms.edgeTotal[SAMPLES - 1] as number;
});
const whole = time(() => {
  sink += compareResolved(resolved).probabilityEdgeLower;
});

const rate = (s: number[]) => Math.round(SAMPLES / median(s)).toLocaleString('en-US');
const range = (s: number[]) =>
  `${Math.round(SAMPLES / Math.max(...s)).toLocaleString('en-US')}–${Math.round(SAMPLES / Math.min(...s)).toLocaleString('en-US')}`;
console.log(`Measured on: ${machineLine()}`);
// Other processes on the machine slow a single-core figure down: the load average says how busy it was.
console.log(
  `load average at the end (1/5/15 min): ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')}`,
);
console.log(
  `scenario examples/scenarios/pi4-wifi-gpu-profiles.yaml: ${uncertain.length} uncertain parameters (${[
    ...new Set(uncertain.map(([, v]) => v.distribution)),
  ].join(', ')}), ${SAMPLES.toLocaleString('en-US')} samples per run, median of ${RUNS} runs, one core`,
);
console.log('');
console.log('| life-cycle Monte Carlo | samples/s (median) | range | ms per 1 M samples |');
console.log('|---|---|---|---|');
console.log(
  `| core: draw + evaluate both placements | ${rate(core)} | ${range(core)} | ${(median(core) * 1000).toFixed(0)} |`,
);
console.log(
  `| whole comparison (percentiles, units, sensitivity) | ${rate(whole)} | ${range(whole)} | ${(median(whole) * 1000).toFixed(0)} |`,
);
if (Number.isNaN(sink)) console.log('(unreachable: keeps the work observable)');
