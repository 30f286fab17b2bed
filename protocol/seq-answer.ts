// The collector's answer to a device's birth, on `edgewatt/v1/{fleet}/{device}/cmd/seq`: the
// highest seq it has stored for the device. A device that lost its counter (state directory
// wiped, SD card replaced) takes the highest of its spool, its counter's backup and this answer,
// so that it does not reuse seqs the collector would drop as duplicates. UTF-8 JSON, like the
// other commands; decoding never throws.

import { z } from 'zod';
import { fail, ok, type Result } from './errors.js';
import { idProblem } from './topics.js';

/** The command name: `edgewatt/v1/{fleet}/{device}/cmd/seq`. */
export const SEQ_COMMAND = 'seq';
const MAX_SEQ_ANSWER_BYTES = 1024;

const seqAnswerSchema = z.strictObject({
  v: z.literal(1),
  device: z.string().refine((value) => idProblem(value) === null, 'must be a device id'),
  /** The birth this answers (the device's connection counter), so a device knows an old answer. */
  birth: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Highest seq stored for the device; null when the collector knows none. */
  highestSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
});

export type SeqAnswer = z.infer<typeof seqAnswerSchema>;

export function encodeSeqAnswer(answer: SeqAnswer): Buffer {
  return Buffer.from(JSON.stringify(seqAnswerSchema.parse(answer)));
}

export function decodeSeqAnswer(payload: Uint8Array): Result<SeqAnswer> {
  if (payload.length > MAX_SEQ_ANSWER_BYTES)
    return fail('too-large', `seq answer is ${payload.length} bytes (at most ${MAX_SEQ_ANSWER_BYTES})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return fail('malformed', 'seq answer is not JSON');
  }
  const result = seqAnswerSchema.safeParse(parsed);
  if (!result.success)
    return fail(
      'invalid',
      `seq answer: ${result.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  return ok(result.data);
}
