// The placement command on `edgewatt/v1/{fleet}/{device}/cmd/placement` (retained, UTF-8 JSON):
// where the device runs its inferences (edge, offload, or auto by policy), optionally which server,
// the experiment/arm tags the collector's experiment runner sets, and for `auto` the comparison it
// decides on. Shared by the agent (which obeys it) and the collector (which sends it); decoding
// never throws. An empty retained payload clears it (the device goes back to its flags).

import { z } from 'zod';
import { fail, ok, type Result } from './errors.js';
import { idProblem } from './topics.js';

/** The command name: `edgewatt/v1/{fleet}/{device}/cmd/placement`. */
export const PLACEMENT_COMMAND = 'placement';
/** Largest command a device reads (a real one is a few hundred bytes). */
export const MAX_PLACEMENT_COMMAND_BYTES = 4096;

export const PLACEMENTS = ['edge', 'offload', 'auto'] as const;
export type PlacementMode = (typeof PLACEMENTS)[number];

const id = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `id ${problem}` });
});
const gramsPerInference = z.number().finite().min(0);

export const placementCommandSchema = z.strictObject({
  v: z.literal(1),
  placement: z.enum(PLACEMENTS),
  /** The inference server to offload to (http or https URL); absent: the agent's --offload-server. */
  server: z.url({ protocol: /^https?$/ }).optional(),
  /** Put on every record made while this command holds. */
  experiment: id.optional(),
  arm: id.optional(),
  /** Why the collector (or an operator) chose this placement: one line, for logs. */
  reason: z.string().max(500).optional(),
  /** For `auto`: the latest comparison for this device and model, gCO2e per inference each side. */
  basis: z
    .strictObject({
      comparedAt: z.iso.datetime({ offset: true }),
      edgeG: gramsPerInference,
      offloadG: gramsPerInference,
    })
    .optional(),
});
export type PlacementCommand = z.infer<typeof placementCommandSchema>;

/** The command as the collector sends it (checked by the same schema the device reads with). */
export function encodePlacementCommand(command: PlacementCommand): Buffer {
  return Buffer.from(JSON.stringify(placementCommandSchema.parse(command)));
}

/** Reads a command; `null` for an empty payload (the retained command was cleared). */
export function decodePlacementCommand(payload: Uint8Array): Result<PlacementCommand | null> {
  if (payload.length === 0) return ok(null);
  if (payload.length > MAX_PLACEMENT_COMMAND_BYTES)
    return fail(
      'too-large',
      `placement command is ${payload.length} bytes (at most ${MAX_PLACEMENT_COMMAND_BYTES})`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return fail('malformed', 'placement command is not JSON');
  }
  const result = placementCommandSchema.safeParse(parsed);
  if (!result.success)
    return fail(
      'invalid',
      `placement command: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
    );
  return ok(result.data);
}
