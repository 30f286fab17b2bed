// Option schema of `edgewatt experiment report`. Flags, help, EDGEWATT_* variables and config keys
// (section "experiment") derive from it; --data-dir, --store, --replicates and --scenario are those
// of `experiment analyse`, which the report runs unless it is given an analysis.

import { z } from 'zod';
import { experimentAnalyseSchema } from './experiment.js';
import { option, text } from './fields.js';

export const experimentReportSchema = z.object({
  out: option(text('give the HTML file to write, e.g. --out report.html'), {
    arg: 'file',
    help: 'HTML file to write (one self-contained file: plots, data and tables inside)',
  }),
  analysis: option(text('give the analysis JSON file, e.g. --analysis analysis.json').optional(), {
    arg: 'file',
    help: 'report this analysis (as `edgewatt experiment analyse <id> --json` prints it; - = standard input) instead of analysing the store',
  }),
  dataDir: experimentAnalyseSchema.shape.dataDir,
  store: experimentAnalyseSchema.shape.store,
  replicates: experimentAnalyseSchema.shape.replicates,
  scenario: experimentAnalyseSchema.shape.scenario,
});
