// Scenario input: YAML or JSON, validated with strict zod objects. An unknown field or a bad value
// is refused with its path (`device.energyJ: must be ≥ 0, got -1`), every problem listed at once.

import { type ZodError, z } from 'zod';
import { EdgewattError } from '../../common/errors.js';
import { parseYamlObject } from '../yaml-object.js';
import { NUMERIC_HINT, numeric } from './numeric.js';
import { boardIds, linkIds, pueClassIds, regionIds, serverIds } from './profiles/index.js';

export class ScenarioError extends EdgewattError {
  override readonly name = 'ScenarioError';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

const oneOf = (what: string, ids: () => string[]) =>
  z.string({ error: `expected a ${what} id` }).refine((id) => ids().includes(id), {
    error: (issue) => `unknown ${what} ${JSON.stringify(issue.input)}; known: ${ids().join(', ')}`,
  });

const measured = z.strictObject({
  device: z.string().min(1, 'give the device id as stored by the collector'),
  model: z.string().min(1, 'give the model id (artifact hash, its first 8+ characters, or the variant name)'),
  fleet: z.string().min(1).optional(),
});

const site = {
  region: oneOf('grid region', regionIds).optional(),
  gPerKWh: numeric({ min: 0 }).optional(),
};

const device = z.strictObject({
  profile: oneOf('board profile', boardIds).optional(),
  ...site,
  energyJ: numeric({ min: 0 }).optional(),
  measured: measured.optional(),
  latencyS: numeric({ above: 0 }).optional(),
  idleW: numeric({ min: 0 }).optional(),
  embodiedKg: numeric({ min: 0 }).optional(),
  lifetimeYears: numeric({ above: 0 }).optional(),
  accuracy: numeric({ above: 0, max: 1 }).optional(),
  /** Wall energy = board energy ÷ this (round 2; default 1). */
  psuEfficiency: numeric({ above: 0, max: 1 }).optional(),
  /** Training plus pruning energy of the model that runs on the device, J. */
  trainingJ: numeric({ min: 0 }).optional(),
  /** The model that runs on the device (id, 8+ character prefix, or variant): trainingJ from its manifest. */
  model: z.string().min(1).optional(),
});

const offloadDevice = z.strictObject({
  profile: oneOf('board profile', boardIds).optional(),
  idleW: numeric({ min: 0 }).optional(),
  embodiedKg: numeric({ min: 0 }).optional(),
  lifetimeYears: numeric({ above: 0 }).optional(),
});

const network = z.strictObject({
  profile: oneOf('link profile', linkIds).optional(),
  model: z.enum(['attributional', 'marginal']).default('attributional'),
  uplinkUJPerBit: numeric({ min: 0 }).optional(),
  downlinkUJPerBit: numeric({ min: 0 }).optional(),
  requestOverheadJ: numeric({ min: 0 }).optional(),
  kWhPerGB: numeric({ min: 0 }).optional(),
  rttS: numeric({ min: 0 }).optional(),
  /** Radio power above idle while it lingers after a request, W: caps the overhead at tailW × T. */
  tailW: numeric({ min: 0 }).optional(),
});

const datacenter = z.strictObject({
  profile: oneOf('server profile', serverIds).optional(),
  ...site,
  pue: z.union([oneOf('PUE class', pueClassIds), numeric({ min: 1 })]).optional(),
  energyJ: numeric({ min: 0 }).optional(),
  powerW: numeric({ above: 0 }).optional(),
  embodiedKg: numeric({ min: 0 }).optional(),
  lifetimeYears: numeric({ above: 0 }).optional(),
  utilization: numeric({ above: 0, max: 1 }).optional(),
  accuracy: numeric({ above: 0, max: 1 }).optional(),
  /** Server power while idle, W: its idle time is carried by its busy time (under `gross`). */
  idleW: numeric({ min: 0 }).optional(),
  /** Training plus pruning energy of the model that runs in the datacenter, J. */
  trainingJ: numeric({ min: 0 }).optional(),
  /** The model that runs in the datacenter: trainingJ from its manifest. */
  model: z.string().min(1).optional(),
});

/** Where the models were trained, and how many inferences they serve over their service life. */
const training = z.strictObject({
  ...site,
  fleetInferences: numeric({ above: 0 }),
});

export const scenarioSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  samples: z.number().int().min(1).max(1_000_000).default(10_000),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(1),
  allocation: z.enum(['dedicated', 'time']).default('dedicated'),
  energyBasis: z.enum(['gross', 'marginal']).default('gross'),
  workload: z.strictObject({
    inferencesPerDay: numeric({ above: 0 }),
    // Optional: with device.measured, the device's offload records give the bytes on the socket.
    inputBytes: numeric({ min: 0 }).optional(),
    outputBytes: numeric({ min: 0 }).optional(),
  }),
  device,
  offloadDevice: offloadDevice.optional(),
  network: network.default({ model: 'attributional' }),
  datacenter,
  training: training.optional(),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

type Issue = ZodError['issues'][number];

function pathText(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(scenario)' : path.map(String).join('.');
}

/** Flattens zod issues into `path: message` lines; a failed number-or-range says which part failed. */
export function describeIssues(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      // Keep the branches that got past the type check: they say what is wrong inside.
      const useful = issue.errors.filter(
        (branch) => !branch.every((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
      );
      if (useful.length === 1 && useful[0] !== undefined) {
        lines.push(...describeIssues(useful[0], path));
      } else {
        const given = (issue as { input?: unknown }).input;
        lines.push(
          `${pathText(path)}: ${issue.message === 'Invalid input' ? NUMERIC_HINT : issue.message}${given === undefined ? '' : `, got ${JSON.stringify(given)}`}`,
        );
      }
    } else if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        lines.push(`${pathText([...path, key])}: unknown field; remove it or check its spelling`);
      }
    } else {
      lines.push(`${pathText(path)}: ${issue.message}`);
    }
  }
  return lines;
}

export function validateScenario(input: unknown, origin = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = describeIssues(parsed.error.issues);
  throw new ScenarioError(
    `${origin}: ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    problems,
  );
}

/** Parses YAML or JSON text (JSON is YAML 1.2) and validates it. */
export function parseScenario(text: string, origin = 'scenario'): Scenario {
  const raw = parseYamlObject(
    text,
    origin,
    'a scenario must be a YAML or JSON object with fields such as device, network',
    (message) => new ScenarioError(message),
  );
  return validateScenario(raw, origin);
}
