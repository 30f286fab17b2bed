import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/process.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/mlperf-tiny/', import.meta.url));
const RUN = join(FIXTURES, 'OctoML__microtvm_cmsis_nn__NUCLEO_L4R5ZI__kws');

describe('edgewatt measure replay (process)', () => {
  it('prints per-window energy per inference and the median in µJ, with the published median', async () => {
    const run = runCli(['measure', 'replay', RUN]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    const out = run.stdout();
    expect(out).toContain('OctoML__microtvm_cmsis_nn__NUCLEO_L4R5ZI__kws (method: batched');
    expect(out).toMatch(/median 5229\.970 µJ\/inference; published 5230\.273 µJ, difference -0\.0058 %/);
    expect(out.match(/^\s+(2|4|6|8|10)\s/gm)).toHaveLength(5);
  });

  it('prints JSON whose median agrees with the published one within 0.1 %', async () => {
    const run = runCli(['measure', 'replay', RUN, '--json']);
    expect((await run.exited).code, run.stderr()).toBe(0);
    const replay = JSON.parse(run.stdout());
    expect(replay.windows).toHaveLength(5);
    expect(replay.method).toBe('batched');
    expect(Math.abs(replay.relativeDifference)).toBeLessThan(0.001);
  });

  it('fails with a message naming the missing file for a folder that is not a run', async () => {
    const run = runCli(['measure', 'replay', FIXTURES]);
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toMatch(/trace1-energy\.bin is missing/);
  });
});
