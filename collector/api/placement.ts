// Route group: placement commands. GET /v1/placement lists every device's command (owner, mode,
// basis with its age and sources), POST /v1/placement sets one on the selected devices (body:
// { devices, placement, server?, reason?, force? }), POST /v1/placement/clear clears them (body:
// { devices, force? }). Every route needs the API token, as rollouts: these change where devices
// run. A device held by a running experiment answers 409 naming it, unless `force`.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PLACEMENTS } from '../../protocol/placement.js';
import { PlacementOwnershipError } from '../placement/owner.js';
import { writeRefusal } from './compare.js';
import type { ApiContext } from './context.js';

const selection = { devices: z.string().min(1), force: z.boolean().optional() };
const setBody = z.strictObject({
  ...selection,
  placement: z.enum(PLACEMENTS),
  server: z.url({ protocol: /^https?$/ }).optional(),
  reason: z.string().min(1).max(300).optional(),
});
const clearBody = z.strictObject(selection);

function problems(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

export async function placementRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const owner = context.placement;
  if (owner === undefined) return;
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url?.startsWith('/v1/placement') !== true) return;
    const refusal = writeRefusal(context, request.headers.authorization);
    if (refusal !== null)
      await reply.code(refusal.status).send({
        error: refusal.error.replace(
          'record=true writes to the store',
          'placement commands change where devices run',
        ),
      });
  });
  const failed = (error: unknown, reply: import('fastify').FastifyReply) => {
    if (error instanceof PlacementOwnershipError)
      return reply.code(error.status).send({ error: error.message, hint: error.hint });
    throw error;
  };
  app.get('/v1/placement', async () => ({ devices: owner.status() }));
  app.post('/v1/placement', async (request, reply) => {
    const body = setBody.safeParse(request.body ?? {});
    if (!body.success) return reply.code(400).send({ error: problems(body.error) });
    try {
      return { changes: await owner.operatorSet(body.data) };
    } catch (error) {
      return failed(error, reply);
    }
  });
  app.post('/v1/placement/clear', async (request, reply) => {
    const body = clearBody.safeParse(request.body ?? {});
    if (!body.success) return reply.code(400).send({ error: problems(body.error) });
    try {
      return { changes: await owner.operatorClear(body.data) };
    } catch (error) {
      return failed(error, reply);
    }
  });
}
