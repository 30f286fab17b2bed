// A small CNN for 28×28 grey images (the Fashion-MNIST shape) with seeded, UNTRAINED weights:
// the model `npm start` and the tests run when no trained model is given. It exercises the
// runtime and the energy path with a realistic convolutional workload; its answers mean nothing.
// Trained and pruned variants come from models/ training.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tf } from '../../runtime/backend.js';

export const DEMO_MODEL_VARIANT = 'demo-cnn-untrained';

// Layer names are fixed: tfjs would otherwise number them from a process-wide counter, and the
// artifact (and so the model id) would depend on how many models the process built before.
export function buildDemoCnn(tf: Tf, seed = 7) {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed + offset });
  return tf.sequential({
    name: 'demo_cnn',
    layers: [
      tf.layers.conv2d({
        name: 'conv1',
        inputShape: [28, 28, 1],
        filters: 16,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(0),
      }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({
        name: 'conv2',
        filters: 32,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'dense1', units: 64, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ name: 'logits', units: 10, activation: 'softmax', kernelInitializer: init(3) }),
    ],
  });
}

/** Writes the demo model as model.json + weights.bin in `dir`; returns the model.json path. */
export async function writeDemoModel(tf: Tf, dir: string): Promise<string> {
  const model = buildDemoCnn(tf);
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
      const json = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        userDefinedMetadata: { edgewatt: { variant: DEMO_MODEL_VARIANT, trained: false } },
      };
      await writeFile(join(dir, 'weights.bin'), weights);
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  return join(dir, 'model.json');
}
