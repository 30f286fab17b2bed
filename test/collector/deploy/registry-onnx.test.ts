// An imported, signed ONNX model enters the deployment registry as a TF.js one does: verified by
// the same checks (protocol/manifest verifyModelArtifact), stored by content hash under the id
// the agent will report (the SHA-256 of model.onnx), with the files a device downloads.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../../collector/deploy/registry.js';
import { importModel } from '../../../models/artifact/import.js';
import { signArtifactDir } from '../../../models/sign/keys.js';
import { loadTrustedKey, ModelVerificationError, sha256 } from '../../../protocol/manifest/index.js';
import { tempDir } from '../../support/stack.js';
import { writeKeys } from './support.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/onnx/tiny/model.onnx', import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.remove());

describe('model registry with an ONNX model', () => {
  it('adds a signed import by the .onnx file’s hash; an unsigned one is refused', async () => {
    const keys = writeKeys(tmp.path, 'model');
    const dir = join(tmp.path, 'tiny');
    await importModel({ source: FIXTURE, out: dir, name: 'tiny', release: 2 });
    const registry = new ModelRegistry(join(tmp.path, 'data'));
    const trusted = [loadTrustedKey(keys.publicKeyPath)];
    await expect(registry.add(dir, trusted)).rejects.toBeInstanceOf(ModelVerificationError);
    await signArtifactDir(dir, keys.privateKey);
    const bytes = readFileSync(FIXTURE);
    for (const path of [dir, join(dir, 'model.onnx')]) {
      const entry = await registry.add(path, trusted);
      expect(entry).toMatchObject({
        modelId: sha256(bytes),
        variant: 'tiny',
        release: 2,
        signedBy: keys.keyId,
      });
      expect(entry.files.map((f) => f.path).sort()).toEqual(['manifest.json', 'manifest.sig', 'model.onnx']);
      expect(entry.files.find((f) => f.path === 'model.onnx')?.sha256).toBe(sha256(bytes));
    }
  });
});
