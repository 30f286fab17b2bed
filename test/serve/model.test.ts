// The served model for ONNX: the committed fixture (a graph whose batch dimension is fixed at 1)
// runs a whole batch, one call per input inside the batch, with the same answers as one by one; an
// unsigned model is refused when signatures are required; a manifest next to it must list the
// .onnx file with its SHA-256 (checked by protocol/manifest's verifyModelArtifact, as in the agent). Plus the /metrics text: cumulative histograms and the ESTIMATE label.

import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TRUST_ANY } from '../../protocol/manifest/index.js';
import { Histogram, renderServeMetrics, ServeMetrics } from '../../serve/metrics.js';
import { loadServedModel } from '../../serve/model.js';
import { testTempDir } from '../support/temp.js';

const TINY = fileURLToPath(new URL('../fixtures/onnx/tiny', import.meta.url));
const ZOO_MANIFEST = fileURLToPath(new URL('../../models/zoo/cnn-base/manifest.json', import.meta.url));

function folderWithManifest(sha256: string): string {
  const dir = testTempDir('edgewatt-onnx-');
  copyFileSync(join(TINY, 'model.onnx'), join(dir, 'model.onnx'));
  const manifest = JSON.parse(readFileSync(ZOO_MANIFEST, 'utf8')) as Record<string, unknown>;
  const bytes = readFileSync(join(dir, 'model.onnx'));
  manifest.variant = 'tiny-onnx';
  // As `edgewatt model import` writes for a .onnx file: its format, and its id the file's SHA-256.
  manifest.format = 'onnx';
  manifest.id = createHash('sha256').update(bytes).digest('hex');
  manifest.artifactBytes = bytes.length;
  manifest.files = [{ path: 'model.onnx', bytes: bytes.length, sha256 }];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

describe('served ONNX model', () => {
  it('runs a batch through a graph fixed at batch 1, with the answers of single calls', async () => {
    const model = await loadServedModel(TINY, { trust: TRUST_ANY });
    expect(model.format).toBe('onnx');
    expect(model.inputShape).toEqual([28, 28, 1]);
    expect(model.outputSize).toBe(10);
    const one = (value: number) => new Float32Array(784).map((_, i) => ((i * 7) % 13) * value);
    const batch = new Float32Array(784 * 3);
    [0.1, 0.5, 0.9].forEach((value, k) => {
      batch.set(one(value), k * 784);
    });
    const together = await model.run(batch, 3);
    expect(together).toHaveLength(30);
    for (const [k, value] of [0.1, 0.5, 0.9].entries())
      expect(Array.from(together.subarray(k * 10, (k + 1) * 10))).toEqual(
        Array.from(await model.run(one(value), 1)),
      );
    await model.dispose();
  });

  it('refuses an unsigned ONNX model when signatures are required', async () => {
    await expect(loadServedModel(TINY, { trust: { keys: [], requireSigned: true } })).rejects.toMatchObject({
      reason: 'unsigned',
    });
  });

  it('checks the .onnx file against a manifest next to it', async () => {
    const bytes = readFileSync(join(TINY, 'model.onnx'));
    const right = createHash('sha256').update(bytes).digest('hex');
    const model = await loadServedModel(folderWithManifest(right), { trust: TRUST_ANY });
    expect(model).toMatchObject({ id: right, variant: 'tiny-onnx' });
    await model.dispose();
    await expect(
      loadServedModel(folderWithManifest('0'.repeat(64)), { trust: TRUST_ANY }),
    ).rejects.toMatchObject({
      reason: 'hash-mismatch',
    });
  });
});

describe('serve metrics', () => {
  it('keeps cumulative histogram buckets', () => {
    const histogram = new Histogram([1, 4, 16]);
    for (const value of [1, 3, 4, 20]) histogram.observe(value);
    expect(histogram.lines('x')).toEqual([
      'x_bucket{le="1"} 1',
      'x_bucket{le="4"} 3',
      'x_bucket{le="16"} 3',
      'x_bucket{le="+Inf"} 4',
      'x_sum 28',
      'x_count 4',
    ]);
  });

  it('labels an estimate in the HELP of its energy families and splits the energy by part', () => {
    const text = renderServeMetrics({
      metrics: new ServeMetrics(),
      queueDepth: 2,
      queueInputs: 3,
      batches: 5,
      computeS: 1,
      uptimeS: 11,
      attributedJ: 4,
      idleInBatchesJ: 10,
      idleW: 10,
      provenance: 'estimated',
      info: { server: 'dc-1' },
    });
    expect(text).toMatch(/^# HELP edgewatt_serve_energy_joules_total .*ESTIMATE/m);
    expect(text).toContain('edgewatt_serve_energy_joules_total{part="requests",provenance="estimated"} 4');
    expect(text).toContain(
      'edgewatt_serve_energy_joules_total{part="idle_between_batches",provenance="estimated"} 100',
    );
    expect(text).toMatch(/^edgewatt_serve_queue_depth 2$/m);
    const measured = renderServeMetrics({
      metrics: new ServeMetrics(),
      queueDepth: 0,
      queueInputs: 0,
      batches: 0,
      computeS: 0,
      uptimeS: 1,
      attributedJ: 0,
      idleInBatchesJ: 0,
      idleW: 0,
      provenance: 'rapl',
      info: {},
    });
    expect(measured).not.toContain('ESTIMATE');
  });
});
