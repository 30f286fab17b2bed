// Shared builders for the life-cycle tests: the hand-worked scenario of docs/methodology.md, read
// from the document itself, and a temp dir. Not a test file itself.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InferenceRecord } from '../../protocol/index.js';

export const METHODOLOGY = fileURLToPath(new URL('../../docs/methodology.md', import.meta.url));
export const EXAMPLES = fileURLToPath(new URL('../../examples/scenarios/', import.meta.url));

export function workedExample(): { yaml: string; expected: Map<string, number> } {
  const doc = readFileSync(METHODOLOGY, 'utf8');
  const yaml = /```yaml worked-example\n([\s\S]*?)```/.exec(doc)?.[1];
  if (yaml === undefined) throw new Error('docs/methodology.md has no ```yaml worked-example block');
  const expected = new Map<string, number>();
  for (const match of doc.matchAll(/^\| `([A-Za-z.]+)` \| ([0-9.e+-]+) \|$/gm)) {
    expected.set(match[1] as string, Number(match[2]));
  }
  return { yaml, expected };
}

/** A record an INA219 measured: the cnn-base model, 2 ms, `energyJ` (the compare API tests' store). */
export function measuredRecord(seq: number, energyJ: number): InferenceRecord {
  return {
    seq,
    startUs: 1_700_000_000_000_000 + seq * 1000,
    durationUs: 2000,
    energyJ,
    energyUncertaintyJ: 0.0001,
    baselineW: 2.7,
    sampleCount: 3,
    provenance: 'measured',
    sensor: 'ina219',
    modelId: 'ef'.repeat(32),
    variant: 'cnn-base',
    backend: 'wasm',
    batchSize: 1,
    inputBytes: 3136,
    outputBytes: 40,
    correct: null,
  };
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'edgewatt-lifecycle-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** |a − b| ≤ rel × |b| */
export function relativeError(actual: number, expected: number): number {
  return expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
}
