// Plain-text tables for the terminal: columns padded to their widest cell, numbers right-aligned.

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const numeric = headers.map(
    (_, column) => rows.length > 0 && rows.every((row) => /^-?\d/.test(row[column] ?? '')),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        numeric[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The unit that keeps 3 significant digits readable (J, mJ, µJ), chosen after rounding. */
function unitOf(joules: number): [number, string] {
  const abs = Number(Math.abs(joules).toPrecision(3));
  return abs >= 1 ? [1, 'J'] : abs >= 1e-3 ? [1e3, 'mJ'] : [1e6, 'µJ'];
}

export function formatEnergy(joules: number): string {
  const [scale, unit] = unitOf(joules);
  return `${(joules * scale).toPrecision(3)} ${unit}`;
}

export function formatEnergyWithUncertainty(joules: number, uncertaintyJ: number): string {
  const [scale, unit] = unitOf(joules);
  const scaled = Math.abs(joules * scale);
  const digits = scaled >= 100 ? 0 : scaled >= 10 ? 1 : 2;
  return `${(joules * scale).toFixed(digits)} ± ${(uncertaintyJ * scale).toFixed(digits)} ${unit}`;
}
