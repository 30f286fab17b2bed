// `edgewatt experiment report <id> --out report.html`: the experiment's analysis as one
// self-contained HTML file (collector/experiments/report/). A subcommand of `edgewatt experiment`.

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { AnalysisFileError, parseAnalysis } from '../../collector/experiments/report/load.js';
import { renderReport } from '../../collector/experiments/report/render.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { experimentReportSchema } from '../schemas/experiment-report.js';

export function experimentReportCommand(): Command {
  return addSchemaOptions(new Command('report'), experimentReportSchema, 'experiment report')
    .description('write the experiment report: one HTML file with plots and tables, readable offline')
    .argument('<id>', 'experiment id')
    .action(async (id: string, _options, command: Command) => {
      const config = await resolveConfig(experimentReportSchema, 'experiment report', command);
      if (config.analysis === undefined) {
        throw new AnalysisFileError('experiment report: no analysis given', {
          hint: `run \`edgewatt experiment analyse ${id} --json > analysis.json\` and give --analysis analysis.json`,
        });
      }
      const origin = config.analysis === '-' ? 'standard input' : config.analysis;
      const text = readFileSync(config.analysis === '-' ? 0 : config.analysis, 'utf8');
      const html = renderReport(parseAnalysis(text, origin, id));
      const out = resolve(config.out);
      writeFileSync(out, html);
      process.stdout.write(`${out}\n`);
    });
}
