// The collector's rollout routes need the API token however their path is spelled: fastify finds
// the route for a percent-encoded path too (`/v1/%72ollouts`), so the token check must key on the
// matched route, not on the raw URL.

import { describe, expect, it } from 'vitest';
import { buildApi } from '../../collector/api/server.js';
import type { RolloutController } from '../../collector/deploy/rollout-controller.js';

describe('rollout routes', () => {
  it('refuse a request without the API token on every spelling of their path', async () => {
    const created: unknown[] = [];
    const rollouts = {
      create: async (spec: unknown) => {
        created.push(spec);
        return { id: 'r1' };
      },
      list: () => [],
    } as unknown as RolloutController;
    const app = await buildApi({ scenariosDir: '.', apiToken: 'secret', rollouts });
    try {
      for (const url of ['/v1/rollouts', '/v1/%72ollouts', '/v1/rollouts?x=1']) {
        const response = await app.inject({ method: 'POST', url, payload: {} });
        expect([url, response.statusCode]).toEqual([url, 401]);
      }
      expect(created).toEqual([]);
      const allowed = await app.inject({
        method: 'POST',
        url: '/v1/rollouts',
        payload: {},
        headers: { authorization: 'Bearer secret' },
      });
      expect(allowed.statusCode).toBe(201);
    } finally {
      await app.close();
    }
  });
});
