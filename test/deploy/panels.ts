// Reads the panel queries out of built dashboard JSON and expands the Grafana macros the way
// Grafana's InfluxDB data source does, so the queries can be run against a real InfluxDB.

export interface PanelQuery {
  dashboard: string;
  panel: string;
  query: string;
}

interface PanelJson {
  title?: string;
  targets?: { query?: string }[];
  panels?: PanelJson[];
}

export function panelQueries(dashboard: Record<string, unknown>): PanelQuery[] {
  const title = String(dashboard.title);
  const out: PanelQuery[] = [];
  const visit = (panels: PanelJson[] | undefined) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? [])
        if (target.query !== undefined)
          out.push({ dashboard: title, panel: panel.title ?? '', query: target.query });
      visit(panel.panels);
    }
  };
  visit(dashboard.panels as PanelJson[] | undefined);
  return out;
}

/** $timeFilter, $__interval and $__interval_ms, as Grafana sends them (interval ≈ range / 100). */
export function substituteMacros(query: string, range: { fromMs: number; toMs: number }): string {
  const intervalMs = Math.max(1000, Math.round((range.toMs - range.fromMs) / 100 / 1000) * 1000);
  const unresolved = query
    .replaceAll('$timeFilter', `time >= ${range.fromMs}ms and time <= ${range.toMs}ms`)
    .replaceAll('$__interval_ms', String(intervalMs))
    .replaceAll('$__interval', `${intervalMs / 1000}s`);
  if (unresolved.includes('$')) throw new Error(`a Grafana macro is left in: ${unresolved}`);
  return unresolved;
}
