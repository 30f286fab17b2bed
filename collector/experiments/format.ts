// The analysis as text for the terminal: the conclusion first, then the numbers behind it (arms,
// contrasts, per-board differences, checks). `--json` prints the AnalysisResult itself.

import { grams } from '../lifecycle/index.js';
import type { AnalysisResult } from './analysis-result.js';

const mJ = (j: number) => `${j < 0 ? '−' : ''}${(Math.abs(j) * 1000).toPrecision(4)} mJ`;
const pct = (x: number) => `${x >= 0 ? '+' : '−'}${(Math.abs(x) * 100).toFixed(1)} %`;

export function formatAnalysis(r: AnalysisResult): string {
  const e = r.experiment;
  const lines: string[] = [];
  lines.push(r.conclusion, '');
  lines.push(
    `experiment ${e.id}: ${e.design}, ${e.devices.length} boards, ${e.periods} periods of ${e.periodS} s, washout ${e.washoutS} s (warm-up ${e.warmupS} s), seed ${e.seed}, started ${e.startedAt}${e.endedAt === null ? ', running' : `, ended ${e.endedAt}`}`,
  );
  lines.push(
    '',
    'arm            records boards  energy/inference [95 % CI]            p95 latency  accuracy  carbon/inference [5–95 %]',
  );
  for (const a of r.arms) {
    lines.push(
      `${a.arm.padEnd(14)} ${String(a.n).padStart(7)} ${String(a.boards).padStart(6)}  ${mJ(a.energyJ.mean).padStart(10)} [${mJ(a.energyJ.lo)} … ${mJ(a.energyJ.hi)}]  ${(a.latencyP95Ms === null ? '—' : `${a.latencyP95Ms.toFixed(1)} ms`).padStart(11)}  ${(a.accuracy === null ? '—' : a.accuracy.toFixed(3)).padStart(8)}  ${grams(a.carbonPerInferenceG.central)} [${grams(a.carbonPerInferenceG.lo)} … ${grams(a.carbonPerInferenceG.hi)}]${a.autoShares === undefined ? '' : ' (mixture)'}`,
    );
  }
  for (const a of r.arms) if (a.autoShares !== undefined) lines.push(...autoShareLines(a));
  for (const a of r.arms) if (a.assumedOffload !== undefined) lines.push(...assumedOffloadLines(a));
  for (const c of r.contrasts) {
    lines.push(
      '',
      `${c.b} vs ${c.a}: ${pct(c.relDiff)} (${mJ(c.diff)} per inference), 95 % CI ${pct(c.relLo)} to ${pct(c.relHi)}, p = ${c.pValue.toPrecision(2)} — ${c.method}, ${c.boards} boards, ${c.bootstrapN} resamples, seed ${c.seed}`,
    );
    lines.push(
      c.cuped.applied
        ? `  CUPED on the pre-experiment mean: θ = ${c.cuped.theta?.toPrecision(3)}, variance reduced by ${((c.cuped.varianceReduction ?? 0) * 100).toFixed(0)} %`
        : `  CUPED not applied: ${c.cuped.reason ?? ''}`,
    );
  }
  if (r.perBoardDifferences.length > 0) {
    lines.push('', 'per board (b vs a):');
    for (const d of r.perBoardDifferences)
      lines.push(`  ${d.device.padEnd(16)} ${d.b} vs ${d.a}  ${pct(d.relDiff)}`);
  }
  const k = r.checks;
  lines.push('', 'checks:');
  lines.push(
    `  sample ratio (board-periods): ${k.sampleRatio.ok ? 'ok' : 'FAILED'} (p = ${k.sampleRatio.pValue.toPrecision(2)}; planned ${JSON.stringify(k.sampleRatio.expected)}, with data ${JSON.stringify(k.sampleRatio.observed)})`,
  );
  lines.push(
    `  carry-over: ${k.carryOver.estimate === null ? 'not estimable (fewer than 3 boards with switches)' : `${k.carryOver.ok ? 'ok' : 'FAILED'} (${pct(k.carryOver.estimate)} towards the previous arm, p = ${k.carryOver.pValue?.toPrecision(2)})`}`,
  );
  lines.push(
    `  excluded: ${k.warmupExcluded} warm-up and ${k.washoutExcluded} washout records (kept in the store)`,
  );
  for (const w of k.warnings) lines.push(`  warning: ${w}`);
  if ((r.breakeven ?? []).length > 0) {
    lines.push('', 'break-even against offload (estimate, central factor values):');
    for (const b of r.breakeven ?? [])
      lines.push(
        `  ${breakEvenLabel(r, b)}: ${b.inferencesPerDay === null ? 'none' : `${b.inferencesPerDay.toPrecision(3)} inferences/day`} — ${b.note}`,
      );
  }
  lines.push('', `carbon: ${r.arms[0]?.provenance ?? ''}`);
  return `${lines.join('\n')}\n`;
}

type Arm = AnalysisResult['arms'][number];

/** An auto arm's two shares, each priced as its placement, and how they make its figure. */
function autoShareLines(a: Arm): string[] {
  const s = a.autoShares as NonNullable<Arm['autoShares']>;
  const share = (name: string, fraction: number, x: NonNullable<Arm['autoShares']>['edge']) =>
    x === null
      ? `  ${a.arm} ${name}: ${(fraction * 100).toFixed(1)} %, no records`
      : `  ${a.arm} ${name}: ${(fraction * 100).toFixed(1)} % (${x.n} inferences), ${mJ(x.energyJ.mean)} per inference, carbon ${grams(x.carbonPerInferenceG.central)} [${grams(x.carbonPerInferenceG.lo)} … ${grams(x.carbonPerInferenceG.hi)}]${x.accuracy === null ? '' : `, accuracy ${x.accuracy.toFixed(3)}`}`;
  return [
    `  ${a.arm} is an auto arm; its carbon: ${s.method}`,
    share('edge share (priced as an edge arm)', 1 - s.offloadedFraction, s.edge),
    share('offloaded share (priced as an offload arm)', s.offloadedFraction, s.offload),
  ];
}

/** An arm whose offloaded inferences are priced on the scenario's offload terms: which, and why. */
function assumedOffloadLines(a: Arm): string[] {
  const s = a.assumedOffload as NonNullable<Arm['assumedOffload']>;
  return [
    `  ${a.arm}: offload terms ASSUMED (the scenario's, not measured), because ${s.reason}:`,
    `    ${s.terms.join('; ')}`,
  ];
}

/** `arm`, or `arm vs <placement> arm <other>` when the row is computed against another arm. */
export function breakEvenLabel(
  r: Pick<AnalysisResult, 'experiment'>,
  b: NonNullable<AnalysisResult['breakeven']>[number],
): string {
  if (b.against === undefined) return b.arm;
  const placement = r.experiment.arms.find((x) => x.id === b.against)?.placement ?? 'other';
  return `${b.arm} vs ${placement} arm ${b.against}`;
}
