// The web page's routes in process (fastify inject): status codes, the headers that keep the pages
// to themselves (CSP with the hashes of exactly their scripts), and that a page is made at most
// once per CACHE_MS whatever the number of requests.

import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiContext } from '../../collector/api/context.js';
import { buildApi } from '../../collector/api/server.js';
import { fixtureAnalysis } from '../experiments/report-fixture.js';

const apps: { close(): Promise<unknown> }[] = [];
async function api(context: Partial<ApiContext> = {}) {
  const app = await buildApi({ scenariosDir: 'examples/scenarios', ...context });
  apps.push(app);
  return app;
}
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

describe('web routes', () => {
  it('serves /experiments/<id> from the analysis source, once per cache period', async () => {
    const analysis = fixtureAnalysis();
    let calls = 0;
    const app = await api({
      experimentAnalysis: async (id) => {
        calls++;
        return id === analysis.experiment.id ? analysis : null;
      },
    });
    const first = await app.inject({ url: `/experiments/${analysis.experiment.id}` });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(first.body).toContain(analysis.conclusion);
    expect(first.body).toContain('<meta http-equiv="refresh" content="60">');
    const second = await app.inject({ url: `/experiments/${analysis.experiment.id}` });
    expect(second.body).toBe(first.body);
    expect(calls).toBe(1);
    expect((await app.inject({ url: '/experiments/other' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/experiments/..%2Fetc' })).statusCode).toBe(400);
    const redirect = await app.inject({ url: '/experiments?id=abc' });
    expect([redirect.statusCode, redirect.headers.location]).toEqual([303, '/experiments/abc']);
  });

  it('allows exactly the page’s own inline scripts (CSP hashes) and nothing from elsewhere', async () => {
    const app = await api({ experimentAnalysis: async () => fixtureAnalysis() });
    const response = await app.inject({ url: '/experiments/prune-vs-full' });
    const csp = String(response.headers['content-security-policy']);
    const scripts = [...response.body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
    expect(scripts).toHaveLength(2); // uPlot and the plotting script
    for (const script of scripts)
      expect(csp).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('says when a collector serves no experiments, and serves / and /compare without a store', async () => {
    const app = await api();
    const experiment = await app.inject({ url: '/experiments/x' });
    expect(experiment.statusCode).toBe(404);
    expect(experiment.body).toContain('serves no experiment analyses');
    const fleet = await app.inject({ url: '/' });
    expect(fleet.statusCode).toBe(200);
    expect(fleet.body).toContain('0 devices');
    const compare = await app.inject({ url: '/compare' });
    expect(compare.statusCode).toBe(200);
    expect(compare.body).toContain('<option>pi4-wifi-gpu</option>');
  });
});
