// Realistic synthetic inference records for benchmarks: 10 inferences a second with jitter,
// ~1–2 ms latency and a few millijoules each, as the demo's agents produce. Seeded, so every
// run encodes the same bytes.

import { type InferenceRecord, quantizeRecord } from '../protocol/index.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function realisticRecords(count: number, seed = 1, firstSeq = 120_000): InferenceRecord[] {
  const random = mulberry32(seed);
  let startUs = 1_763_700_000_000_000;
  return Array.from({ length: count }, (_, index) => {
    startUs += 100_000 + Math.round((random() - 0.5) * 4_000);
    const durationUs = 1_000 + Math.round(random() * 1_000);
    const powerW = 2.7 + random() * 0.4;
    return quantizeRecord({
      seq: firstSeq + index,
      startUs,
      durationUs,
      energyJ: (powerW * durationUs) / 1e6,
      energyUncertaintyJ: (0.3 * durationUs) / 1e6,
      baselineW: 2.7,
      sampleCount: 0,
      provenance: 'estimated',
      sensor: 'simulated:rpi4',
      modelId: 'ccd5caa4f0157a1b5b0d6f0e4d2b0c9a8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b',
      variant: 'demo-cnn-untrained',
      backend: 'wasm',
      batchSize: 1,
      inputBytes: 3136,
      outputBytes: 40,
      correct: null,
    });
  });
}
