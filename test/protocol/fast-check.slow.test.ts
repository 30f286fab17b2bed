// The long run of the fast check's property (test/protocol/fast-check.test.ts runs a tenth of it
// in the unit set): over 20,000 mutated messages, it never accepts what the zod schema refuses.

import { describe, it } from 'vitest';
import { expectNeverLooser } from './fast-check-mutations.js';

describe('certainlyValidInference, long run', () => {
  it('never accepts what the schema refuses, over 20,000 mutated messages', () => {
    expectNeverLooser(20_000);
  });
});
