// `edgewatt experiment report <id> --out report.html`: the experiment's analysis as one
// self-contained HTML file (collector/experiments/report/). A subcommand of `edgewatt experiment`:
// it analyses the store as `experiment analyse` does, or reports a saved `analyse --json`.

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { AnalysisResult } from '../../collector/experiments/analysis-result.js';
import { analyseExperiment, ExperimentDb, experimentsDbPath } from '../../collector/experiments/index.js';
import { parseAnalysis } from '../../collector/experiments/report/load.js';
import { renderReport } from '../../collector/experiments/report/render.js';
import { capability, createStore } from '../../collector/store/index.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { experimentReportSchema } from '../schemas/experiment-report.js';

type ReportConfig = Awaited<ReturnType<typeof resolveConfig<typeof experimentReportSchema>>>;

async function analysisOf(id: string, config: ReportConfig): Promise<AnalysisResult> {
  if (config.analysis !== undefined) {
    const origin = config.analysis === '-' ? 'standard input' : config.analysis;
    return parseAnalysis(readFileSync(config.analysis === '-' ? 0 : config.analysis, 'utf8'), origin, id);
  }
  const db = new ExperimentDb(experimentsDbPath(config.dataDir));
  const store = capability(createStore(config.store, { readOnly: true }), 'readRecords', '--store');
  await store.connect();
  try {
    return await analyseExperiment(db, store, id, {
      replicates: config.replicates,
      ...(config.scenario === undefined ? {} : { scenarioPath: config.scenario }),
    });
  } finally {
    await store.close();
    db.close();
  }
}

export function experimentReportCommand(): Command {
  return addSchemaOptions(new Command('report'), experimentReportSchema, 'experiment')
    .description('write the experiment report: one HTML file with plots and tables, readable offline')
    .argument('<id>', 'experiment id')
    .action(async (id: string, _options, command: Command) => {
      const config = await resolveConfig(experimentReportSchema, 'experiment', command);
      const html = renderReport(await analysisOf(id, config));
      const out = resolve(config.out);
      writeFileSync(out, html);
      process.stdout.write(`${out}\n`);
    });
}
