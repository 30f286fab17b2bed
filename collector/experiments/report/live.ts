// The analyses behind the collector's /experiments/<id>: the experiments this collector drives
// (<data-dir>/experiments.sqlite, written by `edgewatt experiment start`), analysed from its store
// when a page asks. The live page re-analyses at most once per LIVE_CACHE_MS and with fewer
// resamples than the command, because the analysis runs on the collector's event loop.

import { existsSync } from 'node:fs';
import type { RecordReader } from '../../store/index.js';
import type { AnalysisResult } from '../analysis-result.js';
import { analyseExperiment, ExperimentDb, experimentsDbPath } from '../index.js';

/** Bootstrap resamples of the live page (the command's default is 9,999). */
export const LIVE_REPLICATES = 1999;

export function liveAnalyses(
  dataDir: string,
  reader: RecordReader,
): (id: string) => Promise<AnalysisResult | null> {
  const path = experimentsDbPath(dataDir);
  return async (id) => {
    // No experiments file: this collector never ran one (and opening it would create it).
    if (!existsSync(path)) return null;
    const db = new ExperimentDb(path);
    try {
      if (db.get(id) === null) return null;
      return await analyseExperiment(db, reader, id, { replicates: LIVE_REPLICATES });
    } finally {
      db.close();
    }
  };
}
