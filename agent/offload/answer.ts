// The 200 answer of `edgewatt serve` as the agent reads it: checked with the server's own schema
// (protocol/serve-answer.ts, one schema for both sides) before any of it goes into a record.

import { type ServeAnswer, serveAnswerSchema } from '../../protocol/serve-answer.js';

export type ServerAnswer = ServeAnswer;

/**
 * Null for a well-formed answer to a request of `count` inputs, else what is wrong with it (names
 * the field). A request of several inputs needs every input's scores (`predictions`): an older
 * server answers the first input's only, and that answer would silently drop the others.
 */
export function serverAnswerProblem(value: unknown, count = 1): string | null {
  const result = serveAnswerSchema.safeParse(value);
  if (!result.success)
    return result.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
  const rows = result.data.predictions;
  if (rows === undefined)
    return count === 1
      ? null
      : `has no predictions: the first of ${count} inputs only (a server older than the predictions field)`;
  if (rows.length !== count) return `predictions: ${rows.length} rows for ${count} inputs`;
  return null;
}

/** Every input's class scores: `predictions`, or the first input's for an answer to one input. */
export function answerRows(answer: ServerAnswer): number[][] {
  return answer.predictions ?? [answer.prediction];
}
