// Writes a run in the layout of the published MLPerf Tiny energy results (trace1-energy.bin:
// marker 0xf1, float32 sample rate, float32 µJ per sample period; trace1-timestamps.json: the
// timestamp events in seconds; results.txt: the runner's per-window lines and the median), so
// `edgewatt measure replay <folder>` reads our own runs as it reads the submitters'.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnergyRun } from './energy-run.js';

export function writeResultsFolder(folder: string, run: EnergyRun): void {
  mkdirSync(folder, { recursive: true });
  const trace = Buffer.alloc(1 + 4 + run.samplesJ.length * 4);
  trace[0] = 0xf1;
  trace.writeFloatLE(run.sampleRateHz, 1);
  run.samplesJ.forEach((j, i) => {
    trace.writeFloatLE(j * 1e6, 5 + i * 4);
  });
  writeFileSync(join(folder, 'trace1-energy.bin'), trace);
  writeFileSync(join(folder, 'trace1-timestamps.json'), `${JSON.stringify(run.timestampsS, null, '\t')}\n`);
  const at = (s: number) => s.toFixed(3).padStart(9, '0');
  const lines: string[] = [];
  for (const w of run.windows) {
    const seconds = w.endS - w.startS;
    lines.push(
      `${at(w.endS)} ulp-ml: Energy data for window ${w.window} at time ${w.startS.toFixed(2)} for ${seconds.toFixed(2)} sec.:`,
      `${at(w.endS)} ulp-ml:   Energy       : ${(w.energyJ * 1e6).toFixed(3).padStart(12)} uJ`,
      `${at(w.endS)} ulp-ml:   Power        : ${((w.energyJ / seconds) * 1e6).toFixed(3).padStart(12)} uW`,
      `${at(w.endS)} ulp-ml:   Energy/Inf.  : ${(w.energyPerInferenceJ * 1e6).toFixed(3).padStart(12)} uJ/inf.`,
    );
  }
  const end = at(run.windows.at(-1)?.endS ?? 0);
  lines.push(
    `${end} ulp-ml: ---------------------------------------------------------`,
    `${end} ulp-ml: Median energy cost is ${(run.medianEnergyPerInferenceJ * 1e6).toFixed(3)} uJ/inf.`,
    `${end} ulp-ml: ---------------------------------------------------------`,
  );
  for (const w of run.windows) {
    const seconds = w.endS - w.startS;
    lines.push(
      `${end} ulp-ml: Performance results for window ${w.window}:`,
      `${end} ulp-ml:   # Inferences : ${String(w.inferences).padStart(12)}`,
      `${end} ulp-ml:   Runtime      : ${seconds.toFixed(3).padStart(12)} sec.`,
      `${end} ulp-ml:   Throughput   : ${(w.inferences / seconds).toFixed(3).padStart(12)} inf./sec.`,
      seconds >= 10
        ? `${end} ulp-ml: Runtime requirements have been met.`
        : `${end} ulp-ml: Runtime requirements have NOT been met.`,
    );
  }
  if (!run.valid) for (const p of run.problems) lines.push(`${end} ulp-ml: Not valid for submission: ${p}`);
  writeFileSync(join(folder, 'results.txt'), `${lines.join('\n')}\n`);
}
