// Route group: rollouts. POST /v1/rollouts starts one (body: the rollout spec), GET /v1/rollouts
// lists them, GET /v1/rollouts/{id} gives one with its groups, devices and log (health-gate numbers
// included), POST /v1/rollouts/{id}/pause|resume|abort. Every route needs the API token: rollouts
// change what the fleet runs.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { RolloutError } from '../deploy/rollout-controller.js';
import { writeRefusal } from './compare.js';
import type { ApiContext } from './context.js';

function failed(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof RolloutError)
    return reply.code(error.status).send({ error: error.message, hint: error.hint });
  throw error;
}

export async function rolloutRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const rollouts = context.rollouts;
  if (rollouts === undefined) return;
  app.addHook('onRequest', async (request, reply) => {
    // The route matched, not the raw URL: `/v1/%72ollouts` reaches the same handlers under another URL.
    if (request.routeOptions.url?.startsWith('/v1/rollouts') !== true) return;
    const refusal = writeRefusal(context, request.headers.authorization);
    if (refusal !== null) {
      await reply.code(refusal.status).send({
        error: refusal.error.replace('record=true writes to the store', 'rollouts change what devices run'),
      });
    }
  });
  app.post('/v1/rollouts', async (request, reply) => {
    try {
      return reply.code(201).send(await rollouts.create((request.body ?? {}) as never));
    } catch (error) {
      return failed(reply, error);
    }
  });
  app.get('/v1/rollouts', async () => ({
    rollouts: rollouts.list().map(({ log: _log, devices: _devices, ...summary }) => summary),
  }));
  app.get<{ Params: { id: string } }>('/v1/rollouts/:id', async (request, reply) => {
    try {
      return rollouts.get(request.params.id);
    } catch (error) {
      return failed(reply, error);
    }
  });
  for (const action of ['pause', 'resume', 'abort'] as const) {
    app.post<{ Params: { id: string } }>(`/v1/rollouts/:id/${action}`, async (request, reply) => {
      try {
        return await rollouts[action](request.params.id);
      } catch (error) {
        return failed(reply, error);
      }
    });
  }
}
