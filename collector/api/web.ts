// Route group: the collector's own web page, for users without Grafana. `/` the fleet, `/experiments/<id>`
// the live experiment report (the same renderer as `edgewatt experiment report`), `/compare` a form
// for the comparison API. Server-rendered HTML, one document per page with everything inlined. Like
// every other read of this API they need no token; writing (recording a comparison) still goes
// through POST /v1/compare and its token. Each page is computed at most once per CACHE_MS (an
// experiment's once per EXPERIMENT_CACHE_MS), whatever the number of viewers: a reload storm does
// not turn into store queries or analyses.

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AnalysisResult } from '../experiments/analysis-result.js';
import { renderReport } from '../experiments/report/render.js';
import { renderComparePage, STARTER_SCENARIO } from '../web/compare-page.js';
import { renderFleetPage } from '../web/fleet-page.js';
import type { FleetView } from '../web/fleet-view.js';
import { contentSecurityPolicy, esc, page } from '../web/html.js';
import { nav } from '../web/nav.js';
import type { ApiContext } from './context.js';

/** How long a rendered page is served again before it is made anew. */
export const CACHE_MS = 5_000;
/** The same for an experiment's page: each one is a whole analysis (bootstrap, life-cycle engine). */
export const EXPERIMENT_CACHE_MS = 60_000;
/** Experiments whose report is kept rendered at once (least recently made are dropped). */
export const MAX_CACHED_EXPERIMENTS = 16;
const EXPERIMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

type Rendered = { atMs: number; html: Promise<{ status: number; html: string }> };

function sendHtml(reply: FastifyReply, status: number, html: string) {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', contentSecurityPolicy(html))
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(html);
}

function messagePage(title: string, message: string): string {
  return page({
    title,
    body: `${nav('experiment')}<main><h1>${esc(title)}</h1><p>${esc(message)}</p></main>`,
  });
}

/** Renders once per CACHE_MS per key; failures are not kept. */
class PageCache {
  private readonly pages = new Map<string, Rendered>();
  constructor(private readonly limit: number) {}

  get(
    key: string,
    make: () => Promise<{ status: number; html: string }>,
    ttlMs = CACHE_MS,
    nowMs = Date.now(),
  ) {
    const hit = this.pages.get(key);
    if (hit !== undefined && nowMs - hit.atMs < ttlMs) return hit.html;
    const html = make();
    this.pages.delete(key);
    this.pages.set(key, { atMs: nowMs, html });
    while (this.pages.size > this.limit) this.pages.delete(this.pages.keys().next().value as string);
    html.catch(() => this.pages.delete(key));
    return html;
  }
}

export function webRoutes(app: FastifyInstance, context: ApiContext): void {
  const cache = new PageCache(MAX_CACHED_EXPERIMENTS + 2);

  app.get('/', async (_request, reply) => {
    const rendered = await cache.get('/', async () => {
      const view: FleetView =
        context.fleet === undefined
          ? { atMs: Date.now(), windowS: 0, devices: [], summaries: [] }
          : await context.fleet();
      return { status: 200, html: renderFleetPage(view) };
    });
    return sendHtml(reply, rendered.status, rendered.html);
  });

  app.get<{ Querystring: { id?: string } }>('/experiments', async (request, reply) => {
    const id = request.query.id ?? '';
    if (!EXPERIMENT_ID.test(id))
      return sendHtml(
        reply,
        400,
        messagePage('No such experiment', 'An experiment id is 1–64 of A–Z a–z 0–9 . _ -.'),
      );
    return reply.redirect(`/experiments/${encodeURIComponent(id)}`, 303);
  });

  app.get<{ Params: { id: string } }>('/experiments/:id', async (request, reply) => {
    const { id } = request.params;
    if (!EXPERIMENT_ID.test(id))
      return sendHtml(
        reply,
        400,
        messagePage('No such experiment', 'An experiment id is 1–64 of A–Z a–z 0–9 . _ -.'),
      );
    const source = context.experimentAnalysis;
    if (source === undefined) {
      return sendHtml(
        reply,
        404,
        messagePage(
          'Experiments are not available here',
          'This collector serves no experiment analyses (its store cannot read records back, or no experiments are known to it).',
        ),
      );
    }
    const rendered = await cache.get(
      `experiment:${id}`,
      async () => {
        const analysis: AnalysisResult | null = await source(id);
        if (analysis === null)
          return {
            status: 404,
            html: messagePage('No such experiment', `This collector knows no experiment ${id}.`),
          };
        return {
          status: 200,
          html: renderReport(analysis, {
            nav: nav('experiment'),
            refreshS: EXPERIMENT_CACHE_MS / 1000,
            notice: `Live page: analysed again at most once a minute, with fewer bootstrap resamples than \`edgewatt experiment analyse\`; report the numbers of the command or of \`edgewatt experiment report\`.`,
          }),
        };
      },
      EXPERIMENT_CACHE_MS,
    );
    return sendHtml(reply, rendered.status, rendered.html);
  });

  app.get('/compare', async (_request, reply) => {
    // The stored scenarios exactly as the API lists them (same names, same filtering).
    const listed = await app.inject({ method: 'GET', url: '/v1/scenarios' });
    const scenarios = listed.statusCode === 200 ? (listed.json() as { scenarios: string[] }).scenarios : [];
    return sendHtml(reply, 200, renderComparePage(scenarios, STARTER_SCENARIO));
  });
}
