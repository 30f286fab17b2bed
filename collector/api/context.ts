// What the HTTP API's route groups are given (the context) and what a route group is. Its own
// file so that server.ts, which registers the groups, and each group can both import it without
// importing each other.

import type { FastifyInstance } from 'fastify';
import type { DeviceAuth } from '../deploy/device-auth.js';
import type { ModelRegistry } from '../deploy/registry.js';
import type { RolloutController } from '../deploy/rollout-controller.js';
import type { AnalysisResult } from '../experiments/analysis-result.js';
import type { ComparisonResult } from '../lifecycle/comparison-result.js';
import type { PlacementOwner } from '../placement/owner.js';
import type { FleetView } from '../web/fleet-view.js';
import type { MetricsSnapshot } from './metrics.js';

/** What route groups may use. Add optional fields here when a new group needs more. */
export interface ApiContext {
  /** Folder of stored scenarios (`<name>.yaml`, `.yml` or `.json`) for GET /v1/compare?scenario=<name>. */
  scenariosDir: string;
  /** Store read (read-only) for `measured` device values; none = scenarios with `measured` are refused. */
  storeUrl?: string | undefined;
  /** Folder of model folders whose manifests give a named model's trainingJ (compare --models); none = such a scenario is refused. */
  modelsDir?: string | undefined;
  /** Counters of the running collector, for GET /metrics (Prometheus); none = no /metrics route. */
  metrics?: (() => MetricsSnapshot) | undefined;
  /** Writes comparisons to the collector's store, for POST /v1/compare?record=true; none = refused. */
  recordComparison?: ((results: readonly ComparisonResult[]) => Promise<void>) | undefined;
  /** What the front page (`/`) shows of the fleet; none = an empty fleet page. */
  fleet?: (() => Promise<FleetView>) | undefined;
  /** The current analysis of an experiment for `/experiments/<id>`, null when unknown; none = 404. */
  experimentAnalysis?: ((id: string) => Promise<AnalysisResult | null>) | undefined;
  /** Bearer token that routes which write require (`Authorization: Bearer <token>`); none = writes refused. */
  apiToken?: string | undefined;
  /** The model registry, for GET/HEAD /v1/registry/artifacts/...; none = no registry routes. */
  registry?: ModelRegistry | undefined;
  /** Who may download from the registry (device logins, the API token). */
  registryAuth?: DeviceAuth | undefined;
  /** Rollouts, for /v1/rollouts (token only); none = no rollout routes. */
  rollouts?: RolloutController | undefined;
  /** The owner of every device's cmd/placement, for /v1/placement (token only); none = no placement routes. */
  placement?: PlacementOwner | undefined;
}

export type RouteGroup = (app: FastifyInstance, context: ApiContext) => void | Promise<void>;
