// The readable form of a comparison, for `edgewatt compare` without --json: both placements with
// their terms and intervals, the difference, the probability, the break-even, the top drivers and
// where every value came from. Masses are printed with an SI prefix (g, mg, µg, ng).

import { describeCoverage } from './coverage.js';
import type { Comparison, ProvenanceEntry } from './engine.js';
import type { Interval } from './stats.js';

const PREFIXES: readonly [number, string][] = [
  [1e3, 'kg'],
  [1, 'g'],
  [1e-3, 'mg'],
  [1e-6, 'µg'],
  [1e-9, 'ng'],
];

export function grams(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0 g';
  const magnitude = Math.abs(value);
  const [scale, unit] = PREFIXES.find(([s]) => magnitude >= s * 0.9995) ?? [1e-9, 'ng'];
  return `${(value / scale).toPrecision(3)} ${unit}`;
}

function row(label: string, i: Interval, show = grams): string {
  return `${label.padEnd(26)}${show(i.central).padStart(11)}${show(i.median).padStart(12)}   [${show(i.p5)} … ${show(i.p95)}]`;
}

const times = (x: number) => `${x.toPrecision(3)}×`;
/** A share as a percentage that never rounds a rare event to 0 % or a near-certain one to 100 %. */
export const percent = (share: number): string =>
  share > 0 && share < 0.001
    ? '< 0.1 %'
    : share < 1 && share > 0.999
      ? '> 99.9 %'
      : `${(share * 100).toFixed(1)} %`;
const count = (x: number) => Math.round(x).toLocaleString('en-US');
/** A rate that may be below 1 per day. */
const rate = (x: number) => (x >= 100 ? count(x) : x.toPrecision(3));

function origin(entry: ProvenanceEntry): string {
  const range =
    entry.distribution === 'fixed'
      ? ''
      : ` (${entry.distribution} ${entry.low.toPrecision(3)}…${entry.high.toPrecision(3)})`;
  // The text keeps a factor's id (and a DERIVED formula's ids); --json has the full citation.
  const from = entry.sameAs !== undefined ? `same as ${entry.sameAs}` : entry.source.split(' (')[0];
  return `${entry.central.toPrecision(4)}${range} — ${from}${entry.note === undefined || entry.sameAs !== undefined ? '' : `; ${entry.note}`}`;
}

/** One line first: which placement is lower, how sure, and by how much. */
function verdict(r: Comparison): string {
  const p = r.probabilityEdgeLower;
  const d = r.difference;
  if (d.p5 === 0 && d.p95 === 0) return '→ the two placements are equal in (at least) 90 % of draws';
  const lower = p >= 0.5 ? 'edge' : 'offload';
  const share = p >= 0.5 ? p : 1 - p;
  return `→ ${lower} is lower in ${percent(share)} of draws; edge − offload = ${grams(d.median)} [${grams(d.p5)} … ${grams(d.p95)}] per inference`;
}

export function formatComparison(r: Comparison): string {
  const s = r.scenario;
  const lines: string[] = [];
  lines.push(
    `edgewatt compare${s.name === null ? '' : ` — ${s.name}`}`,
    `${r.label}`,
    `${s.samples.toLocaleString('en-US')} draws, seed ${s.seed}, allocation ${s.allocation}, energy ${s.energyBasis}, network ${s.networkModel}`,
    verdict(r),
    ...r.warnings.map((w) => `WARNING: ${w}`),
    '',
    `${'gCO2e per inference'.padEnd(26)}${'central'.padStart(11)}${'median'.padStart(12)}   [p5 … p95]`,
    row('EDGE total', r.edge.total),
  );
  const point = (placement: string, term: string) =>
    r.pointValues.terms.some((t) => t.placement === placement && t.term === term) ? '   (point value)' : '';
  for (const [term, i] of Object.entries(r.edge.terms)) lines.push(row(`  ${term}`, i) + point('edge', term));
  lines.push(row('OFFLOAD total', r.offload.total));
  for (const [term, i] of Object.entries(r.offload.terms))
    lines.push(row(`  ${term}`, i) + point('offload', term));
  lines.push(row('edge − offload', r.difference), row('edge ÷ offload', r.ratio, times), '');
  lines.push(`P(edge lower): ${percent(r.probabilityEdgeLower)}`);
  if (r.probabilityEdgeLowerWarning !== null)
    lines.push(`  WARNING: P(edge lower) ${r.probabilityEdgeLowerWarning}`);
  const be = r.breakEvenInferencesPerDay;
  lines.push(
    be.inferencesPerDay === null
      ? `break-even: none — ${be.reason}`
      : `break-even: ${count(be.inferencesPerDay)} inferences/day — ${be.reason}`,
  );
  if (be.crossings.length > 1)
    lines.push(`  crossings: ${be.crossings.map((x) => `${rate(x)}`).join(', ')} inferences/day`);
  if (be.draws !== undefined) {
    const d = be.draws;
    lines.push(
      d.median === null || d.p5 === null || d.p95 === null
        ? '  over the draws: the lines cross in none'
        : `  over the draws: they cross in ${percent(d.crossing)}, at ${rate(d.median)} [${rate(d.p5)} … ${rate(d.p95)}] inferences/day (smallest crossing of each draw)`,
    );
  }
  const t = r.trainingExceededAfter;
  if (t.edge !== null || t.offload !== null) {
    const after = (x: number | null) => (x === null ? 'no training data' : `${count(x)} inferences`);
    lines.push(`running exceeds training after: edge ${after(t.edge)}, offload ${after(t.offload)}`);
  }
  if ('edge' in r.perCorrectInference) {
    lines.push(
      row('per correct: edge', r.perCorrectInference.edge),
      row('per correct: offload', r.perCorrectInference.offload),
    );
  } else {
    lines.push(`per correct inference: not computed — ${r.perCorrectInference.reason}`);
  }
  lines.push(
    row('per 1,000: edge', r.per1000Inferences.edge),
    row('per 1,000: offload', r.per1000Inferences.offload),
    row('per device-day: edge', r.perDeviceDay.edge),
    row('per device-day: offload', r.perDeviceDay.offload),
    '',
  );
  const top = r.sensitivity.slice(0, 5);
  lines.push(
    top.length === 0
      ? 'drivers: none (no uncertain parameter, or a single draw)'
      : `drivers of edge − offload (Spearman ρ): ${top.map((d) => `${d.parameter} ${d.spearman >= 0 ? '+' : '−'}${Math.abs(d.spearman).toFixed(2)}`).join(', ')}`,
  );
  if (r.measurement !== null) {
    const m = r.measurement;
    lines.push(
      `measured: ${m.records} records${m.windows === m.records ? '' : ` in ${m.windows} windows`} of ${m.fleet}/${m.device}, model ${m.modelId.slice(0, 12)}${m.skippedFirst === undefined ? '' : ` (first ${m.skippedFirst} skipped)`}; energy is ${m.energyProvenance} (${m.sensors.join(', ')}); sensor coverage ${describeCoverage(m.coverage)}`,
    );
    const o = m.offload;
    if (o != null) {
      const server =
        o.serverEnergyProvenance === 'estimated'
          ? 'ESTIMATED'
          : o.serverEnergyProvenance === 'mixed'
            ? `MIXED (${Object.entries(o.serverProvenanceCounts)
                .map(([k, n]) => `${k} ${n}`)
                .join(', ')})`
            : `measured by ${o.serverEnergyProvenance}`;
      lines.push(
        `measured offload: ${o.answered} answered of ${o.records} offload records of ${o.fleet}/${o.device}; device energy ${o.deviceEnergyProvenance} (${o.sensors.join(', ')}); server energy ${server} (${o.servers.join(', ')}); round trip ${o.roundTripS.mean.toPrecision(3)} s; socket bytes ${o.socketBytesSent.mean.toFixed(0)} sent, ${o.socketBytesReceived.mean.toFixed(0)} received; network energy: the kWh/GB model on those bytes`,
      );
    }
  }
  lines.push('', 'where the values came from:');
  const groups = new Map<string, string[]>();
  for (const [id, entry] of Object.entries(r.provenance)) {
    if (entry === undefined) continue;
    const key = entry.profile === undefined ? entry.origin : `${entry.origin} ${entry.profile}`;
    groups.set(key, [...(groups.get(key) ?? []), `    ${id} = ${origin(entry)}`]);
  }
  for (const [key, entries] of [...groups].sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`  ${key}:`, ...entries);
  return `${lines.join('\n')}\n`;
}
