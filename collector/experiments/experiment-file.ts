// The experiment file: YAML (or JSON), validated with strict zod objects like scenarios, so an unknown
// field or a bad value is refused with its path and the value given, every problem listed at once.
// It says which boards, which arms (model variant × placement), the design, the periods, the input,
// the seed, the guardrails and the power-analysis assumptions.

import { z } from 'zod';
import { EdgewattError } from '../../common/errors.js';
import { idProblem } from '../../protocol/index.js';
import { placementCommandSchema } from '../../protocol/placement.js';
import { describeIssues } from '../lifecycle/scenario.js';
import { parseYamlObject } from '../yaml-object.js';

export class ExperimentFileError extends EdgewattError {
  override readonly name = 'ExperimentFileError';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message, { hint: 'see docs/experiments.md for the experiment file format' });
  }
}

/** Fleet, device, experiment and arm ids travel as MQTT topic levels and InfluxDB tags. */
const anId = (what: string) =>
  z.string({ error: `expected the ${what} id (text)` }).superRefine((value, ctx) => {
    const problem = idProblem(value);
    if (problem !== null)
      ctx.addIssue({ code: 'custom', message: `${what} id ${JSON.stringify(value)} ${problem}` });
  });

const sha256 = z
  .string({ error: 'expected the model id as text (quote it in YAML when it is all digits)' })
  .regex(/^[0-9a-f]{64}$/, 'expected the model id: the SHA-256 (64 lower-case hex) of its manifest');

export const armSchema = z.strictObject({
  id: anId('arm'),
  /** The model in the collector's registry (its release and size come from there). */
  model: sha256,
  variant: z.string().min(1).optional(),
  // `auto` offloads on the comparison `basis` in the placement command: the collector's placement
  // owner computes it for the arm's model (its --placement-scenario, the store's records) and
  // refreshes it; without a scenario the arm runs on the edge and `placement status` says why.
  placement: z.enum(['edge', 'offload', 'auto']).default('edge'),
  /** The inference server for offload/auto (the placement command's `server`); absent: the agent's --offload-server. */
  server: placementCommandSchema.shape.server,
});

const selectorSchema = z.strictObject({
  /** Board profile id the devices report in their status (rpi4, jetson-nano, ...). */
  board: z.string().min(1).optional(),
  /** Device ids that start with this. */
  prefix: z.string().min(1).optional(),
  /** At most this many of the matching devices (sorted by id). */
  limit: z.number().int().min(1).optional(),
});

const positive = (what: string) => z.number({ error: `expected ${what} (a number)` }).positive();

export const guardrailsSchema = z.strictObject({
  /** Stop an arm whose mean energy per inference on any board exceeds this, J. */
  maxEnergyJ: positive('joules per inference').optional(),
  /** Stop an arm whose p95 latency on any board exceeds this, ms. */
  maxLatencyP95Ms: positive('milliseconds').optional(),
  /** Stop an arm whose accuracy on any board falls below this (0..1). */
  minAccuracy: z.number().min(0).max(1).optional(),
});

export const powerSchema = z.strictObject({
  /** The relative effect the experiment should detect, e.g. 0.05 = 5 %. */
  targetEffect: z.number().positive().max(1).default(0.05),
  alpha: z.number().positive().max(0.5).default(0.05),
  power: z.number().min(0.5).max(0.99).default(0.8),
  /**
   * Relative SD of one board's period mean around its own long-run mean (the noise a period adds);
   * absent: estimated from the store's records, else the error says to give it.
   */
  periodSdRel: z.number().positive().optional(),
  /** Relative SD across boards of the difference between two arms (boards respond differently); an assumption. */
  interactionSdRel: z.number().min(0).default(0.02),
  /** Relative SD of board means (parallel designs only); absent: estimated from the store. */
  boardSdRel: z.number().positive().optional(),
});

export const experimentSchema = z
  .strictObject({
    id: anId('experiment'),
    description: z.string().optional(),
    fleet: anId('fleet'),
    devices: z.array(anId('device')).min(1).optional(),
    select: selectorSchema.optional(),
    arms: z.array(armSchema).min(2, 'give at least two arms'),
    design: z.enum(['crossover', 'parallel']).default('crossover'),
    periodS: positive('seconds per period'),
    periods: z.number().int().min(1),
    /** Seconds after each switch whose records are kept but not analysed (carry-over, thermal state). */
    washoutS: z.number().min(0).default(60),
    /** Seconds after each switch counted as warm-up (model load, caches); excluded like the washout. */
    warmupS: z.number().min(0).default(30),
    /** Seconds before the start whose records (no experiment tag) give CUPED's covariate. */
    preS: z.number().min(0).default(0),
    input: z
      .strictObject({
        source: z.enum(['dataset', 'folder', 'mqtt', 'application']).default('application'),
        path: z.string().min(1).optional(),
      })
      .default({ source: 'application' }),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    guardrails: guardrailsSchema.default({}),
    power: powerSchema.default({ targetEffect: 0.05, alpha: 0.05, power: 0.8, interactionSdRel: 0.02 }),
    /** Life-cycle scenario (path relative to this file) for carbon per inference; its device values are replaced by the measured ones. */
    lifecycle: z.strictObject({ scenario: z.string().min(1) }).optional(),
    /** Probation the agent keeps after a switch before it commits, s (deployment contract). */
    probationS: z.number().min(0).default(30),
  })
  .superRefine((file, ctx) => {
    if ((file.devices === undefined) === (file.select === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['devices'],
        message: 'give either `devices` (a list) or `select`, not both or neither',
      });
    }
    const ids = file.arms.map((arm) => arm.id);
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['arms'],
        message: `arm id ${JSON.stringify(duplicate)} is used twice`,
      });
    }
    if (file.design === 'crossover' && file.periods < file.arms.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['periods'],
        message: `a crossover needs at least one period per arm (${file.arms.length}), got ${file.periods}`,
      });
    }
    if (file.washoutS >= file.periodS || file.warmupS >= file.periodS) {
      ctx.addIssue({
        code: 'custom',
        path: ['washoutS'],
        message: `washoutS (${file.washoutS}) and warmupS (${file.warmupS}) must be shorter than periodS (${file.periodS})`,
      });
    }
    if (file.devices !== undefined) {
      const dup = file.devices.find((d, i) => file.devices?.indexOf(d) !== i);
      if (dup !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['devices'],
          message: `device ${JSON.stringify(dup)} is listed twice`,
        });
    }
  });

export type Experiment = z.infer<typeof experimentSchema>;
export type ExperimentInput = z.input<typeof experimentSchema>;
export type Arm = z.infer<typeof armSchema>;

export function validateExperiment(input: unknown, origin = 'experiment'): Experiment {
  const parsed = experimentSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = describeIssues(parsed.error.issues).map((line) => withValue(line, input));
  throw new ExperimentFileError(
    `${origin}: ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    problems,
  );
}

/** Adds `, got <value>` to a `path: message` line when the message does not show the value yet. */
function withValue(line: string, input: unknown): string {
  const colon = line.indexOf(': ');
  if (colon < 0 || line.includes(', got ') || line.includes('unknown field')) return line;
  let value: unknown = input;
  for (const key of line.slice(0, colon).split('.')) {
    if (value === null || typeof value !== 'object') return line;
    value = (value as Record<string, unknown>)[key];
  }
  if (value === undefined || (typeof value === 'object' && value !== null)) return line;
  const text = JSON.stringify(value);
  return line.includes(text) ? line : `${line}, got ${text}`;
}

/** Parses YAML or JSON text (JSON is YAML 1.2) and validates it. */
export function parseExperiment(text: string, origin = 'experiment'): Experiment {
  const raw = parseYamlObject(
    text,
    origin,
    'an experiment file is a YAML object with id, fleet, devices, arms, periodS, periods',
    (message) => new ExperimentFileError(message),
  );
  return validateExperiment(raw, origin);
}
