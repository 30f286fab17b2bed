// The 200 answer of `edgewatt serve` as the agent reads it: checked with the server's own schema
// (protocol/serve-answer.ts, one schema for both sides) before any of it goes into a record.

import { type ServeAnswer, serveAnswerSchema } from '../../protocol/serve-answer.js';

export type ServerAnswer = ServeAnswer;

/** Null for a well-formed answer, else what is wrong with it (names the field). */
export function serverAnswerProblem(value: unknown): string | null {
  const result = serveAnswerSchema.safeParse(value);
  if (result.success) return null;
  return result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
