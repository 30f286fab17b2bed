// The 200 answer of `edgewatt serve` as the agent reads it (/work/notes/offload-contract.md §1):
// the prediction, the server's identity, its batch and its energy for this request with the
// provenance. Checked before any of it goes into a record; fields the agent does not use are let
// through, so the server may add some.

import { z } from 'zod';

const joules = z.number().finite().min(0);

const serverAnswerSchema = z.looseObject({
  prediction: z.array(z.number()),
  classIndex: z.number().int().min(0),
  requestId: z.string().nullable().optional(),
  server: z.looseObject({ id: z.string().min(1), region: z.string(), pueClass: z.string() }),
  batch: z.looseObject({
    size: z.number().int().min(1),
    queueS: z.number().min(0),
    computeS: z.number().min(0),
  }),
  energy: z.looseObject({
    requestJ: joules,
    uncertaintyJ: joules,
    idleShareJ: joules,
    provenance: z.enum(['rapl', 'nvml', 'estimated']),
    method: z.string(),
  }),
  latencyS: z.number().min(0),
});
export type ServerAnswer = z.infer<typeof serverAnswerSchema>;

/** Null for a well-formed answer, else what is wrong with it (names the field). */
export function serverAnswerProblem(value: unknown): string | null {
  const result = serverAnswerSchema.safeParse(value);
  if (result.success) return null;
  return result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
