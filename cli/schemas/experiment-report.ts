// Option schema of `edgewatt experiment report`. Flags, help, EDGEWATT_* variables and config keys derive from it.

import { z } from 'zod';
import { option, text } from './fields.js';

export const experimentReportSchema = z.object({
  out: option(text('give the HTML file to write, e.g. --out report.html'), {
    arg: 'file',
    help: 'HTML file to write (one self-contained file: plots, data and tables inside)',
  }),
  analysis: option(text('give the analysis JSON file, e.g. --analysis analysis.json').optional(), {
    arg: 'file',
    help: 'the analysis as `edgewatt experiment analyse <id> --json` prints it (- = standard input)',
  }),
});
