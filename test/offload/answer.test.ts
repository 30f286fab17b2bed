// The agent's check of a server answer for a request of N inputs: every input's scores must be
// there (`predictions`, N rows), or the answer is refused — an older server that answers the first
// input only would otherwise give N − 1 inputs no scores without a word.

import { describe, expect, it } from 'vitest';
import { answerRows, serverAnswerProblem } from '../../agent/offload/answer.js';
import type { ServeAnswer } from '../../protocol/serve-answer.js';

const ANSWER: ServeAnswer = {
  prediction: [0.1, 0.9],
  classIndex: 1,
  requestId: '7',
  server: { id: 's', region: 'FR', pueClass: 'hyperscale' },
  batch: { size: 3, queueS: 0, computeS: 0.001 },
  energy: {
    requestJ: 0.01,
    uncertaintyJ: 0.001,
    idleShareJ: 0.001,
    provenance: 'estimated',
    method: 'ESTIMATE',
  },
  latencyS: 0.002,
};

describe('serverAnswerProblem with several inputs', () => {
  it('takes one input answered by prediction alone (an older server), and by predictions', () => {
    expect(serverAnswerProblem(ANSWER, 1)).toBeNull();
    expect(serverAnswerProblem({ ...ANSWER, predictions: [[0.1, 0.9]] }, 1)).toBeNull();
    expect(answerRows(ANSWER)).toEqual([[0.1, 0.9]]);
  });

  it('refuses an answer to 3 inputs without predictions, or with another number of rows', () => {
    expect(serverAnswerProblem(ANSWER, 3)).toMatch(/no predictions: the first of 3 inputs only/);
    expect(serverAnswerProblem({ ...ANSWER, predictions: [[0.1, 0.9]] }, 3)).toBe(
      'predictions: 1 rows for 3 inputs',
    );
    const rows = [
      [0.1, 0.9],
      [0.8, 0.2],
      [0.4, 0.6],
    ];
    expect(serverAnswerProblem({ ...ANSWER, predictions: rows }, 3)).toBeNull();
    expect(answerRows({ ...ANSWER, predictions: rows })).toEqual(rows);
  });

  it('still refuses a malformed answer first (schema), naming the field', () => {
    expect(serverAnswerProblem({ ...ANSWER, predictions: [['x']] }, 1)).toMatch(/^predictions\.0\.0:/);
  });
});
