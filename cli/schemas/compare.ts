// Config schema of `edgewatt compare`. Values may come from flags, EDGEWATT_* variables or a
// --config file (section "compare"); the environment delivers text, so booleans are parsed strictly.

import { z } from 'zod';

const flag = z.preprocess(
  (value) => {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    return value;
  },
  z.boolean({ error: (issue) => `expected true or false, got ${JSON.stringify(issue.input)}` }),
);

export const compareSchema = z.object({
  scenario: z
    .string()
    .min(1, 'give the scenario file (YAML or JSON), e.g. examples/scenarios/pi4-wifi-gpu.yaml'),
  json: flag.default(false),
  store: z.string().default('sqlite:.edgewatt/edgewatt.sqlite'),
});
