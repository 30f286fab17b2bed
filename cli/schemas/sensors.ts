// Config schemas of `edgewatt doctor` and `edgewatt measure replay`. Values may come from flags,
// EDGEWATT_* variables or a --config file; the environment delivers text, so booleans are strict.

import { z } from 'zod';
import { booleanFlag } from '../schemas.js';

const flag = booleanFlag;

export const doctorSchema = z.object({
  json: flag.default(false),
  /** File-system root to inspect; tests point it at a fake tree. */
  root: z.string().min(1, 'give a directory, e.g. /').default('/'),
  /** vcgencmd to run for the Pi 5 PMIC. */
  vcgencmd: z.string().min(1).default('vcgencmd'),
});

export const measureReplaySchema = z.object({
  json: flag.default(false),
});
