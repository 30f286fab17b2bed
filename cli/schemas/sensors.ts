// Option schemas of `edgewatt doctor` and `edgewatt measure replay`. Flags, help, EDGEWATT_*
// variables and config keys derive from them.

import { z } from 'zod';
import { onOff, option } from './fields.js';

export const doctorSchema = z.object({
  json: onOff('print the report as JSON'),
  /** File-system root to inspect; tests point it at a fake tree. */
  root: option(z.string().min(1, 'give a directory, e.g. /').default('/'), {
    arg: 'path',
    help: 'file-system root to inspect (for testing with a fake tree)',
  }),
  /** vcgencmd to run for the Pi 5 PMIC. */
  vcgencmd: option(z.string().min(1).default('vcgencmd'), {
    arg: 'path',
    help: 'vcgencmd to run for the Pi 5 PMIC (a bare name is looked up on PATH)',
  }),
});

export const measureReplaySchema = z.object({
  json: onOff('print JSON'),
});
