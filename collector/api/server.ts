// The collector's HTTP API (fastify), on 127.0.0.1 unless told otherwise. Routes live in one file per
// group (compare.ts, ...) and are registered from the single ROUTE_GROUPS array below: adding a group
// is one file plus one line there.

import Fastify, { type FastifyInstance } from 'fastify';
import { logger } from '../../common/logger.js';
import { compareRoutes } from './compare.js';
import type { ApiContext, RouteGroup } from './context.js';
import { metricsRoutes } from './metrics.js';
import { placementRoutes } from './placement.js';
import { registryRoutes } from './registry.js';
import { rolloutRoutes } from './rollouts.js';
import { webRoutes } from './web.js';

export type { ApiContext, RouteGroup } from './context.js';

const log = logger('collector.api');

export const ROUTE_GROUPS: readonly RouteGroup[] = [
  compareRoutes,
  metricsRoutes,
  webRoutes,
  registryRoutes,
  rolloutRoutes,
  placementRoutes,
];

export interface ApiOptions extends ApiContext {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** PEM certificate chain and key: serve HTTPS (devices download models over it). */
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
}

export interface ApiServer {
  app: FastifyInstance;
  /** http://host:port of the listening socket. */
  url: string;
  close(): Promise<void>;
}

export async function buildApi(
  context: ApiContext,
  tls?: { cert: string | Buffer; key: string | Buffer },
): Promise<FastifyInstance> {
  const app = (
    tls === undefined
      ? Fastify({ logger: false, bodyLimit: 1024 * 1024 })
      : Fastify({ logger: false, bodyLimit: 1024 * 1024, https: tls })
  ) as FastifyInstance;
  for (const register of ROUTE_GROUPS) await register(app, context);
  return app;
}

export async function startApi(options: ApiOptions): Promise<ApiServer> {
  const app = await buildApi(options, options.tls);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 8787 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const scheme = options.tls === undefined ? 'http' : 'https';
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, scenariosDir: options.scenariosDir }, 'HTTP API listening');
  const warning = exposureWarning(host, options.apiToken);
  if (warning !== null) log.warn({ url }, warning);
  return { app, url, close: () => app.close() };
}

/** The warning for an API reachable beyond this machine without a token, or null. */
export function exposureWarning(host: string, apiToken: string | undefined): string | null {
  if (isLoopback(host) || apiToken !== undefined) return null;
  return `HTTP API listens on ${host}, beyond this machine, without an API token: anyone who reaches it can read /metrics and run comparisons; bind 127.0.0.1 or set --api-token (EDGEWATT_API_TOKEN)`;
}

/** Whether a listen address is reachable only from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export { parseListen } from './listen.js';
