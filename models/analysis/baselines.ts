// Zalando's published Fashion-MNIST results, as shipped by Debian's dataset-fashion-mnist
// package. benchmark/baselines.json there holds only the scikit-learn parameter grid (no scores);
// the scores are in the README's benchmark table, which this parses.

import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const DEBIAN_DOC_DIR = '/usr/share/doc/dataset-fashion-mnist';

export interface Baseline {
  classifier: string;
  preprocessing: string;
  accuracy: number;
  submitter: string;
}

/** Rows of the "Classifier | Preprocessing | Fashion test accuracy | ..." table. */
export function parseBenchmarkTable(markdown: string): Baseline[] {
  const rows: Baseline[] = [];
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 6 || !line.trim().startsWith('|')) continue;
    const [, classifier = '', preprocessing = '', accuracyText = '', , submitter = ''] = cells;
    const accuracy = Number(accuracyText);
    if (!/^0\.\d+$/.test(accuracyText) || !Number.isFinite(accuracy)) continue;
    rows.push({
      classifier,
      preprocessing,
      accuracy,
      submitter: submitter.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'),
    });
  }
  return rows;
}

/** The README table from the Debian package, or [] when the package is not installed. */
export function zalandoBaselines(docDir = DEBIAN_DOC_DIR): { source: string; baselines: Baseline[] } {
  for (const name of ['README.md.gz', 'README.md']) {
    const path = `${docDir}/${name}`;
    if (!existsSync(path)) continue;
    const raw = readFileSync(path);
    const text = (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    return { source: path, baselines: parseBenchmarkTable(text) };
  }
  return { source: 'not installed (apt-get install dataset-fashion-mnist)', baselines: [] };
}
