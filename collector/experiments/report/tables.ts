// The report's numbers as HTML tables, rendered on the server: everything a plot shows is in a
// table beside it, readable with JavaScript off, printed or copied into a paper.

import { esc, num, pct, table } from '../../web/html.js';
import type { AnalysisResult as ReportAnalysis } from '../analysis-result.js';
import { breakEvenLabel } from '../format.js';

const interval = (lo: number, hi: number, digits = 3) => `${num(lo, digits)} – ${num(hi, digits)}`;
const ESTIMATE = '<span class="estimate" title="computed from factor tables, not measured">estimate</span>';

export function armsTable(result: ReportAnalysis): string {
  return table(
    'Per arm: mean over boards of each board’s mean energy per inference, with its 95 % board-level bootstrap interval; p95 latency and accuracy over the analysed inferences.',
    [
      'arm',
      'model (variant, placement)',
      'inferences',
      'boards',
      'energy (J) [95 % interval]',
      'p95 latency (ms)',
      'accuracy',
    ],
    result.arms.map((a) => {
      const spec = result.experiment.arms.find((x) => x.id === a.arm);
      return [
        esc(a.arm),
        spec === undefined
          ? '–'
          : `<span title="${esc(spec.model)}">${esc(spec.model.slice(0, 12))}</span> (${esc(spec.variant)}, ${esc(spec.placement)})`,
        num(a.n, 6),
        String(a.boards),
        `${num(a.energyJ.mean, 4)} [${interval(a.energyJ.lo, a.energyJ.hi, 4)}]`,
        num(a.latencyP95Ms, 3),
        pct(a.accuracy),
      ];
    }),
    'arms',
  );
}

export function contrastsTable(result: ReportAnalysis): string {
  const methods = result.contrasts
    .map(
      (c) =>
        `${c.b} − ${c.a}: ${c.method}, ${c.bootstrapN} resamples, seed ${c.seed}; CUPED ${
          c.cuped.applied
            ? `applied (θ ${num(c.cuped.theta ?? null, 3)}, variance −${pct(c.cuped.varianceReduction ?? null, 0)})`
            : `not applied${c.cuped.reason === undefined ? '' : ` (${c.cuped.reason})`}`
        }.`,
    )
    .map((line) => `<p class="caption">${esc(line)}</p>`)
    .join('');
  return (
    table(
      'Paired contrasts: difference in mean energy per inference (b − a) within boards, with its 95 % interval and p-value.',
      ['b − a', 'boards', 'difference (J) [95 % interval]', 'relative [95 % interval]', 'p', 'significant'],
      result.contrasts.map((c) => [
        esc(`${c.b} − ${c.a}`),
        String(c.boards),
        `${num(c.diff, 3)} [${interval(c.lo, c.hi)}]`,
        `${pct(c.relDiff)} [${pct(c.relLo)} – ${pct(c.relHi)}]`,
        num(c.pValue, 2),
        c.significant ? 'yes' : 'no',
      ]),
      'contrasts',
    ) + methods
  );
}

export function differencesTable(result: ReportAnalysis): string {
  return table(
    'Per board: paired difference of mean energy per inference (b − a).',
    ['board', 'a', 'b', 'difference (J)', 'relative'],
    result.perBoardDifferences.map((d) => [
      esc(d.device),
      esc(d.a),
      esc(d.b),
      num(d.diff, 3),
      pct(d.relDiff),
    ]),
    'differences',
  );
}

export function boardPeriodTable(result: ReportAnalysis): string {
  return table(
    'Per board and period: the means the analysis starts from (warm-up and washout records excluded and counted).',
    [
      'board',
      'period',
      'arm',
      'inferences',
      'energy (J)',
      'above idle (J)',
      'p95 latency (ms)',
      'accuracy',
      'excluded warm-up',
      'excluded washout',
    ],
    result.perBoardPeriod.map((p) => [
      esc(p.device),
      String(p.period),
      esc(p.arm),
      num(p.n, 6),
      num(p.meanEnergyJ, 4),
      num(p.meanAboveIdleJ, 4),
      num(p.p95LatencyMs, 3),
      pct(p.accuracy),
      String(p.excluded.warmup),
      String(p.excluded.washout),
      String(p.excluded.wrongArm),
    ]),
    'board-periods',
  );
}

export function scheduleTable(result: ReportAnalysis, device: string): string {
  const time = (iso: string) => esc(iso.slice(11, 19));
  const day = result.schedule.find((s) => s.device === device)?.start.slice(0, 10) ?? '';
  return table(
    `Schedule of ${esc(device)} (${esc(day)}, UTC).`,
    ['period', 'arm', 'start', 'washout ends', 'end'],
    result.schedule
      .filter((s) => s.device === device)
      .map((s) => [String(s.period), esc(s.arm), time(s.start), time(s.washoutEnd), time(s.end)]),
    'schedule',
  );
}

export function latencyTable(result: ReportAnalysis): string {
  const bins = [...new Set(result.latency.flatMap((l) => l.histogram.map(([ms]) => ms)))].sort(
    (a, b) => a - b,
  );
  const counts = result.latency.map((l) => new Map(l.histogram));
  return table(
    'Analysed inferences per latency bin (upper edge, ms), by arm; p95 per arm in the first table.',
    ['bin (ms)', ...result.latency.map((l) => esc(l.arm))],
    bins.map((ms) => [num(ms, 4), ...counts.map((c) => String(c.get(ms) ?? 0))]),
    'latency',
  );
}

/** An auto arm's carbon is a mixture of its two placements: its row and plot label say so. */
export const carbonLabel = (a: ReportAnalysis['arms'][number]): string =>
  a.autoShares === undefined ? a.arm : `${a.arm} (mixture)`;

export function carbonTable(result: ReportAnalysis): string {
  const provenance = [...new Set(result.arms.map((a) => a.provenance))]
    .map((text) => `<p class="caption">${esc(text)}</p>`)
    .join('');
  return (
    table(
      `Carbon per inference and per correct inference (gCO₂e) ${ESTIMATE}: central value and the life-cycle engine's Monte Carlo interval, from the measured energy. An auto arm's figure is the mixture of its edge and offloaded shares (next table).`,
      ['arm', 'per inference [interval]', 'per correct inference [interval]'],
      result.arms.map((a) => [
        esc(carbonLabel(a)),
        `${num(a.carbonPerInferenceG.central, 3)} [${interval(a.carbonPerInferenceG.lo, a.carbonPerInferenceG.hi)}]`,
        a.carbonPerCorrectG === null
          ? '– (no ground truth)'
          : `${num(a.carbonPerCorrectG.central, 3)} [${interval(a.carbonPerCorrectG.lo, a.carbonPerCorrectG.hi)}]`,
      ]),
      'carbon',
    ) + provenance
  );
}

/**
 * Auto arms: the two shares their carbon mixes — the inferences answered on the board, priced as
 * an edge arm, and those the server answered, priced as an offload arm — with the offloaded
 * fraction f and each side's carbon; empty when no arm is an auto arm.
 */
export function autoSharesTable(result: ReportAnalysis): string {
  const arms = result.arms.filter((a) => a.autoShares !== undefined);
  if (arms.length === 0) return '';
  const rows = arms.flatMap((a) => {
    const s = a.autoShares as NonNullable<typeof a.autoShares>;
    const row = (name: string, fraction: number, share: typeof s.edge) =>
      share === null
        ? [
            esc(a.arm),
            name,
            pct(fraction),
            '0',
            '–',
            '–',
            '– (no records: priced wholly on the other side)',
            '–',
          ]
        : [
            esc(a.arm),
            name,
            pct(fraction),
            num(share.n, 6),
            `${num(share.energyJ.mean, 4)} [${interval(share.energyJ.lo, share.energyJ.hi, 4)}]`,
            pct(share.accuracy),
            `${num(share.carbonPerInferenceG.central, 3)} [${interval(share.carbonPerInferenceG.lo, share.carbonPerInferenceG.hi)}]`,
            share.carbonPerCorrectG === null
              ? '– (no ground truth)'
              : `${num(share.carbonPerCorrectG.central, 3)} [${interval(share.carbonPerCorrectG.lo, share.carbonPerCorrectG.hi)}]`,
          ];
    return [
      row('edge share (priced as an edge arm)', 1 - s.offloadedFraction, s.edge),
      row('offloaded share (priced as an offload arm)', s.offloadedFraction, s.offload),
      [
        esc(a.arm),
        '<strong>mixture</strong>',
        '100 %',
        num(a.n, 6),
        `${num(a.energyJ.mean, 4)} [${interval(a.energyJ.lo, a.energyJ.hi, 4)}]`,
        pct(a.accuracy),
        `<strong>${num(a.carbonPerInferenceG.central, 3)}</strong> [${interval(a.carbonPerInferenceG.lo, a.carbonPerInferenceG.hi)}]`,
        a.carbonPerCorrectG === null
          ? '– (no ground truth)'
          : `${num(a.carbonPerCorrectG.central, 3)} [${interval(a.carbonPerCorrectG.lo, a.carbonPerCorrectG.hi)}]`,
      ],
    ];
  });
  const methods = arms
    .map((a) => `<p class="caption">${esc(`${a.arm}: ${a.autoShares?.method ?? ''}`)}</p>`)
    .join('');
  return (
    table(
      `Auto arms: each inference ran where the agent's policy sent it. The share answered on the board is priced as an edge arm, the share the server answered as an offload arm (its measured offload values), and the arm's carbon (gCO₂e, ${ESTIMATE}) is their mixture (1 − f)·edge + f·offload, f the offloaded fraction; its interval mixes the engine's Monte Carlo draws one by one.`,
      [
        'arm',
        'share',
        'fraction',
        'inferences',
        'energy (J) [95 % interval]',
        'accuracy',
        'carbon per inference [interval]',
        'per correct inference [interval]',
      ],
      rows,
      'auto-shares',
    ) + methods
  );
}

/**
 * The measured offload values an offload arm's carbon took instead of the scenario's offload
 * terms, with where each came from; empty when no arm has them.
 */
export function measuredOffloadTable(result: ReportAnalysis): string {
  const arms = result.arms.filter((a) => a.measuredOffload !== undefined);
  if (arms.length === 0) return '';
  return table(
    'Offload arms (and the offloaded share of auto arms): the values their carbon took from their offload records (answered requests in the analysed periods), instead of the scenario’s offload terms; the network’s kWh/GB stays a model applied to the socket bytes.',
    [
      'arm',
      'answered / requests',
      'device energy per request (J)',
      'round trip (ms)',
      'socket bytes sent / received',
      'server energy per request (J)',
      'server (region, PUE class)',
      'accuracy of the answers (labelled)',
    ],
    arms.map((a) => {
      const o = a.measuredOffload as NonNullable<typeof a.measuredOffload>;
      const serverMeasured = o.serverEnergyProvenance === 'rapl' || o.serverEnergyProvenance === 'nvml';
      return [
        esc(a.arm),
        `${o.answered} / ${o.records}`,
        `${num(o.deviceEnergyJ, 4)} (${esc(o.deviceEnergyProvenance)}, ${esc(o.sensors.join(', '))})`,
        num(o.roundTripMs, 4),
        `${num(o.socketBytesSent, 5)} / ${num(o.socketBytesReceived, 5)}`,
        `${num(o.serverEnergyJ, 4)} (${serverMeasured ? `measured by ${esc(o.serverEnergyProvenance)}` : `${ESTIMATE}: ${esc(o.serverEnergyProvenance)}`})`,
        `${esc(o.servers.join(', ') || '–')} (${esc(o.serverRegions.join(', ') || '–')}, ${esc(o.serverPueClasses.join(', ') || '–')})`,
        o.accuracy === null ? '– (no feedback)' : `${pct(o.accuracy)} (${o.labelled})`,
      ];
    }),
    'measured-offload',
  );
}

/**
 * Offload arms (and auto arms' offloaded shares) whose offload records could not be taken as
 * measured values: why, and the scenario's offload terms their carbon took instead; empty when none.
 */
export function assumedOffloadTable(result: ReportAnalysis): string {
  const arms = result.arms.filter((a) => a.assumedOffload !== undefined);
  if (arms.length === 0) return '';
  return table(
    `Offload terms ASSUMED: these arms' offloaded inferences are priced on the scenario's offload terms, not on measured values (${ESTIMATE}); why, and which terms were taken.`,
    ['arm', 'why not measured', 'assumed offload terms (value, source)'],
    arms.map((a) => {
      const s = a.assumedOffload as NonNullable<typeof a.assumedOffload>;
      return [esc(a.arm), esc(s.reason), s.terms.map(esc).join('<br>')];
    }),
    'assumed-offload',
  );
}

export function breakevenTable(result: ReportAnalysis): string {
  return table(
    `Break-even inference rate of edge against offload ${ESTIMATE}, at central factor values: an edge arm against the offload arm of the same model with measured offload values, else against the scenario's assumed offload terms (the reading says which); an offload arm against the edge arm of the same model (its own edge side is not measured; none without one); an auto arm its edge share against its offloaded share.`,
    ['arm', 'break-even (inferences per day)', 'reading'],
    (result.breakeven ?? []).map((a) => [
      esc(breakEvenLabel(result, a)),
      a.inferencesPerDay === null ? 'none in range' : num(a.inferencesPerDay, 3),
      esc(a.note),
    ]),
    'breakeven',
  );
}

export function checksTable(result: ReportAnalysis): string {
  const { checks } = result;
  const verdict = (ok: boolean) => (ok ? '<span class="ok">ok</span>' : '<span class="bad">failed</span>');
  const list = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([arm, n]) => `${arm} ${num(n, 6)}`)
      .join(', ');
  return table(
    'Design checks.',
    ['check', 'result', 'detail'],
    [
      [
        'sample ratio',
        verdict(checks.sampleRatio.ok),
        esc(
          `board-periods expected ${list(checks.sampleRatio.expected)}; observed ${list(checks.sampleRatio.observed)}; p = ${num(checks.sampleRatio.pValue, 2)}`,
        ),
      ],
      [
        'carry-over',
        verdict(checks.carryOver.ok),
        esc(
          checks.carryOver.estimate === null
            ? 'not estimable from this schedule'
            : `a period after the other arm differs by ${pct(checks.carryOver.estimate)}, p = ${num(checks.carryOver.pValue, 2)}`,
        ),
      ],
      ...(checks.sampleRatio.records === undefined
        ? []
        : [
            [
              'sample ratio (records)',
              verdict(checks.sampleRatio.records.ok),
              esc(
                `expected ${list(checks.sampleRatio.records.expected)}; observed ${list(checks.sampleRatio.records.observed)}; p = ${num(checks.sampleRatio.records.pValue, 2)}`,
              ),
            ],
          ]),
      ['warm-up excluded', '', `${checks.warmupExcluded} records`],
      ['washout excluded', '', `${checks.washoutExcluded} records`],
    ],
    'checks',
  );
}

export function accuracyTable(result: ReportAnalysis): string {
  return table(
    'Accuracy per arm (inferences with known ground truth), and the lowest and highest board-period accuracy.',
    ['arm', 'accuracy', 'lowest board-period', 'highest board-period'],
    result.arms.map((a) => {
      const values = result.perBoardPeriod
        .filter((p) => p.arm === a.arm && p.accuracy !== null)
        .map((p) => p.accuracy as number);
      return [
        esc(a.arm),
        pct(a.accuracy),
        values.length === 0 ? '–' : pct(Math.min(...values)),
        values.length === 0 ? '–' : pct(Math.max(...values)),
      ];
    }),
    'accuracy',
  );
}
