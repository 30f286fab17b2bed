// The config-file sections, one per command, each with the schemas whose keys it may hold. Loaded
// lazily: only a config file with a key the running command does not know pays for importing the
// others (to tell a key meant for another command from a typo).

import type { z } from 'zod';
import { fieldsOf } from '../options.js';

export const SECTIONS: Record<string, () => Promise<readonly z.ZodObject[]>> = {
  agent: async () => [(await import('../schemas.js')).agentSchema],
  collector: async () => [(await import('../schemas.js')).collectorSchema],
  demo: async () => [(await import('../schemas.js')).demoSchema],
  export: async () => [(await import('../schemas.js')).exportSchema],
  compare: async () => [(await import('./compare.js')).compareSchema],
  doctor: async () => [(await import('./sensors.js')).doctorSchema],
  measure: async () => [(await import('./sensors.js')).measureReplaySchema],
  profile: async () => [(await import('./profile.js')).profileSchema],
  dashboards: async () => [(await import('./dashboards.js')).dashboardsBuildSchema],
  model: async () => Object.values((await import('./model.js')).MODEL_SCHEMAS),
  registry: async () => {
    const schemas = await import('./deploy.js');
    return [schemas.registryAddSchema, schemas.registryListSchema];
  },
  rollout: async () => Object.values((await import('./deploy.js')).ROLLOUT_SCHEMAS),
  placement: async () => Object.values((await import('./placement.js')).PLACEMENT_SCHEMAS),
  experiment: async () => [
    ...Object.values((await import('./experiment.js')).EXPERIMENT_SCHEMAS),
    (await import('./experiment-report.js')).experimentReportSchema,
  ],
  'provision-device': async () => [(await import('./provision.js')).provisionSchema],
  bridge: async () => [(await import('./bridge.js')).bridgeSchema],
  'provision-collector': async () => [(await import('./provision.js')).provisionCollectorSchema],
  serve: async () => [(await import('./serve.js')).serveSchema],
};

/** Every key (and deprecated key) that the section `name` may hold. */
export async function knownKeys(name: string): Promise<Set<string>> {
  const schemas = (await SECTIONS[name]?.()) ?? [];
  return new Set(
    schemas.flatMap((schema) =>
      fieldsOf(schema).flatMap((info) => [info.key, ...(info.meta?.aliases ?? []).map((a) => a.key)]),
    ),
  );
}
