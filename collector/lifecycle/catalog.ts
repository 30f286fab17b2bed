// What a scenario can name: every board, link, server, PUE class and grid region with its values,
// ranges and sources, or the reason a value is UNSOURCED. `edgewatt compare --profiles` prints it;
// GET /v1/profiles serves it.

import { BOARDS, GRID_REGIONS, LINKS, PUE_CLASSES, SERVERS } from './profiles/index.js';
import { isUnsourced, type ProfileValue } from './uncertain.js';

export type CatalogValue = ProfileValue;

export interface Catalog {
  boards: Record<string, Record<string, CatalogValue | string>>;
  links: Record<string, Record<string, CatalogValue | string>>;
  servers: Record<string, Record<string, CatalogValue | string>>;
  pueClasses: Record<string, Record<string, CatalogValue | string>>;
  regions: Record<string, Record<string, CatalogValue | string>>;
}

const byId = <T extends { id: string }>(
  list: readonly T[],
  fields: (item: T) => Record<string, CatalogValue | string>,
) => Object.fromEntries(list.map((item) => [item.id, fields(item)]));

export function catalog(): Catalog {
  return {
    boards: byId(BOARDS, (b) => ({
      name: b.name,
      idleW: b.idleW,
      embodiedKg: b.embodiedKg,
      lifetimeYears: b.lifetimeYears,
    })),
    links: byId(LINKS, (l) => ({
      name: l.name,
      uplinkUJPerBit: l.uplinkUJPerBit,
      downlinkUJPerBit: l.downlinkUJPerBit,
      requestOverheadJ: l.requestOverheadJ,
      'kWhPerGB (attributional)': l.kWhPerGB.attributional,
      'kWhPerGB (marginal)': l.kWhPerGB.marginal,
      rttS: l.rttS,
    })),
    servers: byId(SERVERS, (s) => ({
      name: s.name,
      powerW: s.powerW,
      embodiedKg: s.embodiedKg,
      lifetimeYears: s.lifetimeYears,
      utilization: s.utilization,
      pueClass: s.pueClass,
    })),
    pueClasses: byId(PUE_CLASSES, (p) => ({ name: p.name, pue: p.pue })),
    regions: byId(GRID_REGIONS, (r) => ({ name: r.name, gPerKWh: r.gPerKWh })),
  };
}

function valueText(value: CatalogValue | string): string {
  if (typeof value === 'string') return value;
  if (isUnsourced(value)) return `UNSOURCED — ${value.unsourced}`;
  const range =
    value.low === value.high
      ? ''
      : ` (${value.low.toPrecision(3)}…${value.high.toPrecision(3)}, ${value.distribution})`;
  return `${value.central.toPrecision(4)}${range} — ${value.source.split(' (')[0]}${value.note === undefined ? '' : `; ${value.note}`}`;
}

export function formatCatalog(c: Catalog = catalog()): string {
  const lines: string[] = [];
  for (const [section, entries] of Object.entries(c) as [string, Catalog[keyof Catalog]][]) {
    lines.push(`${section}:`);
    for (const [id, fields] of Object.entries(entries)) {
      const { name, ...values } = fields;
      lines.push(`  ${id} — ${typeof name === 'string' ? name : ''}`);
      for (const [field, value] of Object.entries(values)) lines.push(`    ${field}: ${valueText(value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
