// The red-team message of issue 12, item 1, exactly as pinned in test/protocol/golden/bad/: an
// inference whose energyNJ is a CBOR value-sharing DAG of depth 60 (475 bytes). The old decoder
// spent minutes and gigabytes on it; it is decoded in a child process, so that a regression is a
// failed test (killed after the time bound), not a hung test run.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dagBomb } from '../fuzz/hostile.js';

const GOLDEN = fileURLToPath(new URL('../protocol/golden/bad/value-sharing-dag.cbor.hex', import.meta.url));
const CHILD = fileURLToPath(new URL('./support/decode-hex.ts', import.meta.url));
/** Generous for a loaded machine: the child's start-up (tsx) is most of it; the decode is < 1 ms. */
const BOUND_MS = 20_000;

describe('the 475-byte value-sharing message', () => {
  it('is pinned byte for byte (the builder in test/fuzz/hostile.ts makes the same bytes)', () => {
    expect(readFileSync(GOLDEN, 'utf8').trim()).toBe(Buffer.from(dagBomb()).toString('hex'));
    expect(dagBomb().length).toBe(475);
  });

  it('is refused as malformed (tag 28) by a decoder in another process within the bound', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', CHILD, GOLDEN], {
      encoding: 'utf8',
      timeout: BOUND_MS,
    });
    expect(run.signal, 'the decoder did not finish within the bound and was killed').toBeNull();
    expect(run.status, run.stderr).toBe(0);
    const outcome = JSON.parse(run.stdout) as { ok: boolean; reason?: string; message?: string; ms: number };
    expect(outcome).toMatchObject({ ok: false, reason: 'malformed' });
    expect(outcome.message).toContain('tag 28');
    // The old decoder took minutes; 5 s leaves a loaded machine room for a cold first call.
    expect(outcome.ms).toBeLessThan(5_000);
  }, 30_000);
});
