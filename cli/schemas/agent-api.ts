// Agent options of the local inference API and of the loop's inputs: --api (where it listens),
// --api-token, --api-queue, --inputs. inputsFactory() turns --inputs into the input source the
// agent's loop runs on (the dataset is read here: the agent does not import models/).

import { z } from 'zod';
import { checkApiExposure, parseApiListen } from '../../agent/api/listen.js';
import { datasetSource } from '../../agent/inputs/dataset.js';
import { dirSource } from '../../agent/inputs/dir.js';
import { mqttSource } from '../../agent/inputs/mqtt.js';
import { type InputSourceFactory, randomSource } from '../../agent/inputs/source.js';
import { DEFAULT_DATASET_DIR, IMAGE_SIDE, loadSplit } from '../../models/data/fashion-mnist.js';
import { int, option } from './fields.js';

const INPUTS_SHAPE = /^(random|none|mqtt|dir:.+|dataset:fashion-mnist(:\d+)?)$/;

export const agentApiFields = {
  api: option(
    z
      .string()
      .refine((value) => parseApiListen(value) !== null, 'expected host:port, a port, or unix:<path>')
      .optional(),
    {
      arg: 'host:port|unix:path',
      help: 'serve the local inference API (POST /v1/infer, /v1/feedback, GET /v1/status) there, e.g. 127.0.0.1:8765 or unix:/run/edgewatt.sock',
      defaultHelp: 'off',
      endpoint: 'listen',
    },
  ),
  apiToken: option(z.string().min(16, 'use at least 16 characters, e.g. `openssl rand -hex 24`').optional(), {
    arg: 'secret',
    help: 'bearer token every API request must carry; required when --api listens beyond loopback (prefer EDGEWATT_API_TOKEN)',
    secret: true,
  }),
  apiQueue: option(int({ min: 1, max: 100_000 }).default(64), {
    arg: 'n',
    help: 'API requests that may wait for the model at once; more are answered 429 with Retry-After',
  }),
  inputs: option(
    z
      .string()
      .regex(INPUTS_SHAPE, 'expected random, none, mqtt, dir:<path> or dataset:fashion-mnist[:n]')
      .optional(),
    {
      arg: 'source',
      help:
        "what the agent's own loop runs on: random (seeded load generator), dir:<path> (files, cycled), " +
        'dataset:fashion-mnist[:n] (labelled test images: accuracy is measured), mqtt (inputs on cmd/infer, answers on answer), none',
      defaultHelp: 'random, or none when --api is on (the application is the load)',
    },
  ),
};

/** Refuses an exposed API without a token at start, before the model loads. */
export function checkApiConfig(config: { api?: string | undefined; apiToken?: string | undefined }): void {
  const listen = config.api === undefined ? null : parseApiListen(config.api);
  if (listen !== null) checkApiExposure(listen, config.apiToken);
}

/** The loop's input source: undefined = random, null = no loop. */
export async function inputsFactory(config: {
  inputs?: string | undefined;
  api?: string | undefined;
}): Promise<InputSourceFactory | null> {
  const spec = config.inputs ?? (config.api === undefined ? 'random' : 'none');
  if (spec === 'none') return null;
  if (spec === 'random') return randomSource;
  if (spec === 'mqtt') return mqttSource;
  if (spec.startsWith('dir:')) return dirSource(spec.slice(4));
  const limit = Number(spec.split(':')[2] ?? 1000);
  const set = await loadSplit(DEFAULT_DATASET_DIR, 't10k', limit);
  return datasetSource({ images: set.images, labels: set.labels, count: set.count, side: IMAGE_SIDE });
}
