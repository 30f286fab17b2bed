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

/** Every template variable at "All" (its allValue: .* for fleet and device, .+ for experiment and arm). */
export const ALL_VARIABLES: Readonly<Record<string, string>> = {
  fleet: '.*',
  device: '.*',
  experiment: '.+',
  arm: '.+',
};

/**
 * Grafana's regex formatting of a multi-value variable, as it interpolates `/^$name$/`: one value as
 * itself, several as (a|b), regex characters escaped.
 */
export function regexValue(values: readonly string[]): string {
  const escaped = values.map((v) => v.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&'));
  return escaped.length === 1 ? (escaped[0] ?? '') : `(${escaped.join('|')})`;
}

/**
 * $timeFilter, $__interval and $__interval_ms, as Grafana sends them (interval ≈ range / 100), and
 * the template variables (names longest first, so $device is not read as $dev + ice).
 */
export function substituteMacros(
  query: string,
  range: { fromMs: number; toMs: number },
  variables: Readonly<Record<string, string>> = ALL_VARIABLES,
): string {
  const intervalMs = Math.max(1000, Math.round((range.toMs - range.fromMs) / 100 / 1000) * 1000);
  let withVariables = query;
  for (const name of Object.keys(variables).sort((a, b) => b.length - a.length))
    withVariables = withVariables.replaceAll(`$${name}`, variables[name] ?? '');
  const unresolved = withVariables
    .replaceAll('$timeFilter', `time >= ${range.fromMs}ms and time <= ${range.toMs}ms`)
    .replaceAll('$__interval_ms', String(intervalMs))
    .replaceAll('$__interval', `${intervalMs / 1000}s`);
  // A $ before a name is a macro or variable left in; a regex's end anchor ($/) is not.
  if (/\$[A-Za-z_]/.test(unresolved)) throw new Error(`a Grafana macro is left in: ${unresolved}`);
  return unresolved;
}
