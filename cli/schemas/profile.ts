// Option schema of `edgewatt profile <model>`. Flags, help, EDGEWATT_* variables and config keys
// derive from it.

import { z } from 'zod';
import { WARMUP_CAP, WARMUP_MIN } from '../../agent/measure/warmup.js';
import { boardIds } from '../../protocol/boards/index.js';
import { BACKENDS } from '../../runtime/backend.js';
import { int, list, num, oneOf, onOff, option } from './fields.js';

export const profileSchema = z.object({
  json: onOff('print the summary as JSON'),
  sensor: option(z.string().min(1).optional(), {
    arg: 'kind[:board][:key=value,...]',
    help: 'power source that measures (e.g. ina219:rpi4, rapl, replay:file=trace.csv); `edgewatt doctor` says which',
    defaultHelp: 'none: the energy is ESTIMATED from the --board profile',
  }),
  board: option(oneOf(boardIds() as [string, ...string[]]).default('rpi4'), {
    arg: 'id',
    help: 'board profile the estimate uses when no --sensor is given',
  }),
  count: option(int({ min: 1, max: 10_000_000 }).default(200), {
    arg: 'n',
    help: 'measured inferences',
  }),
  duration: option(num({ above: 0, max: 86_400 }).optional(), {
    arg: 's',
    help: 'run for this many seconds instead of --count inferences',
  }),
  warmup: option(int({ min: 0, max: 100_000 }).optional(), {
    arg: 'n',
    help: 'inferences run before the first measured one (graph compilation, caches); 0 = none',
    defaultHelp: `until latency settles: at least ${WARMUP_MIN}, at most ${WARMUP_CAP}`,
  }),
  batchSize: option(int({ min: 1, max: 1024 }).default(1), { arg: 'n', help: 'inputs per inference call' }),
  backend: option(oneOf(BACKENDS).optional(), {
    help: 'start the backend search here',
    defaultHelp: `${BACKENDS.join(', then ')}`,
  }),
  ratePerDay: option(num({ min: 0 }).optional(), {
    arg: 'n',
    help: 'inferences per day: also print the energy per day at that rate',
  }),
  gridGramsPerKwh: option(num({ min: 0, max: 5000 }).optional(), {
    arg: 'g',
    help: 'grid carbon intensity, gCO2e/kWh: also print the carbon per day (with --rate-per-day)',
  }),
  trustedKey: option(list(z.string().min(1)).default([]), {
    arg: 'pem,...',
    help: 'run the model only if one of these public keys signed it',
    defaultHelp: 'none: any model runs, signed or not',
  }),
});
