// Route group: the model registry's artifacts. GET/HEAD /v1/registry/artifacts/{modelId}/{path}
// serves a stored file with one byte range at most (206, or 416 past the end), so an agent resumes
// a download from the byte reached; a device authenticates with its broker credentials (HTTP Basic)
// or an operator with the API token. GET /v1/registry/models lists the stored models (token only).

import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from './context.js';

/** One `bytes=` range of a file of `size` bytes: [start, end] inclusive, 'unsatisfiable', or null (serve all). */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges or another unit: RFC 9110 lets a server ignore Range and send the whole file.
  if (match === null) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

const REALM = 'Basic realm="edgewatt registry", charset="UTF-8"';

function refuse(reply: FastifyReply, status: 401 | 404, error: string): FastifyReply {
  if (status === 401) void reply.header('www-authenticate', REALM);
  return reply.code(status).send({ error });
}

export async function registryRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const registry = context.registry;
  const auth = context.registryAuth;
  if (registry === undefined || auth === undefined) return;

  const serve = async (
    request: FastifyRequest<{ Params: { modelId: string; '*': string } }>,
    reply: FastifyReply,
  ) => {
    if (auth.check(request.headers.authorization) === null) {
      return refuse(
        reply,
        401,
        'the registry needs a device login (HTTP Basic with the broker user and password from provision-device) or the API token',
      );
    }
    const { modelId } = request.params;
    const path = request.params['*'];
    const file = await registry.file(modelId, path);
    if (file === null) return refuse(reply, 404, `no file ${JSON.stringify(path)} in model ${modelId}`);
    void reply
      .header('accept-ranges', 'bytes')
      .header('etag', `"${file.sha256}"`)
      .header('x-content-sha256', file.sha256)
      .type('application/octet-stream');
    const range = parseRange(request.headers.range, file.bytes);
    if (range === 'unsatisfiable') {
      return reply.code(416).header('content-range', `bytes */${file.bytes}`).send();
    }
    const { start, end } = range ?? { start: 0, end: file.bytes - 1 };
    const length = file.bytes === 0 ? 0 : end - start + 1;
    void reply.header('content-length', length);
    if (range !== null) void reply.code(206).header('content-range', `bytes ${start}-${end}/${file.bytes}`);
    if (request.method === 'HEAD' || length === 0) return reply.send();
    return reply.send(createReadStream(file.blobPath, { start, end }));
  };

  app.route<{ Params: { modelId: string; '*': string } }>({
    method: ['GET', 'HEAD'],
    url: '/v1/registry/artifacts/:modelId/*',
    exposeHeadRoute: false,
    handler: serve,
  });

  app.get('/v1/registry/models', async (request, reply) => {
    if (auth.check(request.headers.authorization)?.kind !== 'operator') {
      return refuse(reply, 401, 'listing the registry needs the API token (Authorization: Bearer <token>)');
    }
    return reply.send({ models: await registry.list() });
  });
}
