// Route group: the life-cycle comparison. GET /v1/compare?scenario=<name> runs a stored scenario
// from the scenarios folder; POST /v1/compare runs the scenario in the body (JSON, or YAML with a
// YAML content type). GET /v1/scenarios lists the stored names, GET /v1/profiles the profiles and
// regions a scenario can name. Bad input → 400 with every problem. The Monte Carlo runs on a worker
// thread (compare-runner.ts), off the collector's event loop. POST /v1/compare?record=true also
// writes the result to the collector's store (measurement `comparison`) when it can hold it.
// Like `edgewatt compare`: `?skipFirst=<n>` drops the first n records of each device and model from
// `measured` values (--skip-first), and a scenario naming a model takes its training energy from the
// manifests in the collector's --models folder (compare --models; the server's folder, not the client's).

import { createHash, timingSafeEqual } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { catalog, MeasurementError, type Scenario, ScenarioError } from '../lifecycle/index.js';
import { toComparisonResult } from '../lifecycle/to-comparison-result.js';
import { StoreConfigError } from '../store/index.js';
import { CompareRunner, RunnerBusyError } from './compare-runner.js';
import type { ApiContext } from './context.js';

/**
 * Largest scenario body POSTed, in bytes: the largest example is about 1 KB; a 960 KB YAML body of
 * small arrays took 4–5 s to parse (13 s on a loaded machine; 60 KB took 2 s). Parsing runs on the worker thread besides (CompareRunner.parse).
 */
export const MAX_SCENARIO_BODY_BYTES = 16 * 1024;
/** Bounds one request's CPU time and memory (a 200,000-draw run takes well under a second). */
export const API_MAX_SAMPLES = 200_000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Largest stored scenario file read, in bytes: the same bound as a POSTed body. */
export const MAX_SCENARIO_FILE_BYTES = 1024 * 1024;

/**
 * The text of a stored scenario, or null when there is no regular file of that name: a folder
 * (EISDIR was a 500), a FIFO (would block) or a file past MAX_SCENARIO_FILE_BYTES is not one.
 * `file` is the name as answers show it, without the folder's absolute path.
 */
async function storedScenario(dir: string, name: string): Promise<{ text: string; file: string } | null> {
  for (const ext of EXTENSIONS) {
    const path = join(dir, `${name}${ext}`);
    try {
      const info = await stat(path);
      if (!info.isFile() || info.size > MAX_SCENARIO_FILE_BYTES) continue;
      return { text: await readFile(path, 'utf8'), file: `${name}${ext}` };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') throw error;
    }
  }
  return null;
}

/** A store URL as answers show it: without user and password (influxdb://user:token@host/db). */
export function redactedUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}

/**
 * Whether a request may write: the collector must have a token and the request must carry it
 * (`Authorization: Bearer <token>`), compared in constant time. Null when allowed, else the refusal.
 */
export function writeRefusal(
  context: ApiContext,
  authorization: string | undefined,
): { status: 401 | 403; error: string } | null {
  if (context.apiToken === undefined) {
    return {
      status: 403,
      error:
        'record=true writes to the store, and this collector has no API token: start it with --api-token <secret> (or EDGEWATT_API_TOKEN) and send Authorization: Bearer <secret>',
    };
  }
  const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (!timingSafeEqual(digest(given), digest(context.apiToken))) {
    return { status: 401, error: "record=true needs Authorization: Bearer <the collector's --api-token>" };
  }
  return null;
}

/** Largest ?skipFirst: far beyond any warm-up, small enough to stay an exact integer everywhere. */
export const MAX_SKIP_FIRST = 1_000_000_000;

/** `?skipFirst=<n>` as compare --skip-first takes it: a whole number ≥ 0; else the 400 message. */
export function parseSkipFirst(text: string | undefined): { value: number } | { error: string } {
  if (text === undefined || text === '') return { value: 0 };
  const value = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value <= MAX_SKIP_FIRST))
    return {
      error: `skipFirst: expected a whole number of records from 0 to ${MAX_SKIP_FIRST} (compare --skip-first), got ${JSON.stringify(text)}`,
    };
  return { value };
}

/** A scenario that did not parse is a 400 with its problems, a busy runner a 503; anything else is thrown on. */
function refuseScenario(error: unknown, reply: FastifyReply) {
  if (error instanceof ScenarioError)
    return reply.code(400).send({ error: error.message, problems: error.problems });
  if (error instanceof RunnerBusyError)
    return reply.code(503).header('retry-after', '1').send({ error: error.message });
  throw error;
}

async function run(
  scenario: Scenario,
  context: ApiContext,
  runner: CompareRunner,
  reply: FastifyReply,
  record = false,
  skipFirst = 0,
) {
  if (record && context.recordComparison === undefined) {
    return reply.code(400).send({
      error: `record=true: the collector's store (${context.storeUrl === undefined ? 'none' : redactedUrl(context.storeUrl)}) cannot hold comparison results; run the collector with --store influxdb://<host>:<port>/<db> or sqlite:<path>, or drop record=true`,
    });
  }
  if (scenario.samples > API_MAX_SAMPLES) {
    return reply.code(400).send({
      error: `samples: ${scenario.samples} is more than the API runs (${API_MAX_SAMPLES}); use edgewatt compare for larger runs`,
    });
  }
  if (scenario.device.measured !== undefined && context.storeUrl === undefined) {
    return reply.code(400).send({
      error: 'device.measured: no store to read measurements from; start the collector API with its store',
    });
  }
  try {
    const atUs = Date.now() * 1000;
    const result = await runner.run(scenario, context.storeUrl, {
      ...(skipFirst > 0 ? { skipFirst } : {}),
      modelsDir: context.modelsDir,
    });
    if (record && context.recordComparison !== undefined) {
      const point = toComparisonResult(result, scenario, { atUs, scenarioName: 'api' });
      await context.recordComparison([point]);
      return reply.send({
        ...result,
        recorded: { measurement: 'comparison', atUs, scenario: point.scenario },
      });
    }
    return reply.send(result);
  } catch (error) {
    if (error instanceof ScenarioError)
      return reply.code(400).send({ error: error.message, problems: error.problems });
    if (error instanceof MeasurementError || error instanceof StoreConfigError) {
      return reply.code(400).send({ error: error.message });
    }
    if (error instanceof RunnerBusyError)
      return reply.code(503).header('retry-after', '1').send({ error: error.message });
    throw error;
  }
}

export function compareRoutes(app: FastifyInstance, context: ApiContext, runner = new CompareRunner()): void {
  app.addHook('onClose', async () => runner.close());
  const yamlParser = (_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void) =>
    done(null, body);
  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'],
    { parseAs: 'string' },
    yamlParser,
  );

  app.get('/v1/profiles', async () => catalog());

  app.get('/v1/scenarios', async () => {
    let names: string[] = [];
    try {
      names = (await readdir(context.scenariosDir))
        .filter((file) => EXTENSIONS.some((ext) => file.endsWith(ext)))
        .map((file) => file.replace(/\.(yaml|yml|json)$/, ''))
        .filter((name) => NAME.test(name))
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // The folder's absolute path is the operator's business, not every API client's.
    return { scenarios: names };
  });

  app.get<{ Querystring: { scenario?: string; skipFirst?: string } }>(
    '/v1/compare',
    async (request, reply) => {
      const skip = parseSkipFirst(request.query.skipFirst);
      if ('error' in skip) return reply.code(400).send({ error: skip.error });
      const name = request.query.scenario;
      if (name === undefined || !NAME.test(name)) {
        return reply.code(400).send({
          error:
            'give ?scenario=<name> (letters, digits, . _ -) of a file in the scenarios folder, or POST the scenario',
        });
      }
      const found = await storedScenario(context.scenariosDir, name);
      if (found === null) {
        return reply.code(404).send({
          error: `no scenario ${JSON.stringify(name)} in the collector's scenarios folder (GET /v1/scenarios lists them)`,
        });
      }
      try {
        const scenario = await runner.parse({ kind: 'text', text: found.text, origin: found.file });
        return await run(scenario, context, runner, reply, false, skip.value);
      } catch (error) {
        return refuseScenario(error, reply);
      }
    },
  );

  app.post<{ Querystring: { record?: string; skipFirst?: string } }>(
    '/v1/compare',
    { bodyLimit: MAX_SCENARIO_BODY_BYTES },
    async (request, reply) => {
      const skip = parseSkipFirst(request.query.skipFirst);
      if ('error' in skip) return reply.code(400).send({ error: skip.error });
      const record = request.query.record;
      if (record !== undefined && record !== 'true' && record !== 'false') {
        return reply
          .code(400)
          .send({ error: `record: expected true or false, got ${JSON.stringify(record)}` });
      }
      if (record === 'true') {
        const refusal = writeRefusal(context, request.headers.authorization);
        if (refusal !== null) return reply.code(refusal.status).send({ error: refusal.error });
      }
      try {
        const scenario = await runner.parse(
          typeof request.body === 'string'
            ? { kind: 'text', text: request.body, origin: 'body' }
            : { kind: 'object', value: request.body, origin: 'body' },
        );
        return await run(scenario, context, runner, reply, record === 'true', skip.value);
      } catch (error) {
        return refuseScenario(error, reply);
      }
    },
  );
}
