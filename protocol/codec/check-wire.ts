// Checking a wire object with its zod schema and wording the problems: the path of each bad
// value and the value itself, at most five, so an error names what to fix.

import type { z } from 'zod';
import { fail, ok, type Result } from '../errors.js';
import { describeValue } from './describe-value.js';

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path
        .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
        .join('');
      const got = 'input' in issue && issue.input !== undefined ? ` (got ${describeValue(issue.input)})` : '';
      return `${path.replace(/^\./, '') || '(message)'}: ${issue.message}${got}`;
    })
    .join('; ')
    .concat(error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : '');
}

export function checkWire<T extends z.ZodType>(schema: T, value: unknown): Result<z.infer<T>> {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return ok(parsed.data);
  return fail('invalid', describeIssues(parsed.error));
}
