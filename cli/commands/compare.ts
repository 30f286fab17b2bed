// `edgewatt compare`: edge vs datacenter offload for one scenario file, in gCO2e per inference with
// Monte Carlo intervals; readable text or the JSON of the HTTP API.

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command } from 'commander';
import { runComparison } from '../../collector/api/run-compare.js';
import { type ApiContext, type ApiServer, parseListen, startApi } from '../../collector/api/server.js';
import { catalog, formatCatalog, formatComparison, parseScenario } from '../../collector/lifecycle/index.js';
import { checkRecordUrl, recordComparisons } from '../../collector/lifecycle/record-comparison.js';
import { toComparisonResult } from '../../collector/lifecycle/to-comparison-result.js';
import { EdgewattError } from '../../common/errors.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { compareSchema } from '../schemas/compare.js';
import { addRecordFilterOptions, recordFilterFrom, skipFirstFrom } from '../schemas/filter.js';

export class ScenarioFileError extends EdgewattError {
  override readonly name = 'ScenarioFileError';
}

export function compareCommand(): Command {
  return addRecordFilterOptions(
    addSchemaOptions(new Command('compare'), compareSchema, 'compare'),
    '`measured` records',
    "--fleet, --device and --model replace the scenario's device.measured values.",
  )
    .description(
      'compare the life-cycle carbon of edge inference with datacenter offload (estimate, with intervals)',
    )
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(compareSchema, 'compare', command);
      if (config.profiles) {
        process.stdout.write(config.json ? `${JSON.stringify(catalog(), null, 2)}\n` : formatCatalog());
        return;
      }
      if (config.scenario === undefined) {
        throw new ScenarioFileError(
          '--scenario: give the scenario file (YAML or JSON), or --profiles to list what it can name',
        );
      }
      let text: string;
      try {
        text = await readFile(config.scenario, 'utf8');
      } catch (error) {
        throw new ScenarioFileError(
          `--scenario ${config.scenario}: cannot be read (${(error as Error).message})`,
        );
      }
      // Refuse a store that cannot hold comparisons before running the Monte Carlo.
      if (config.record !== undefined) checkRecordUrl(config.record, '--record');
      const parsed = parseScenario(text, config.scenario);
      const scenario = {
        ...parsed,
        samples: config.samples ?? parsed.samples,
        seed: config.seed ?? parsed.seed,
      };
      // The store is opened (read-only) only when the scenario reads `measured` values.
      const atUs = Date.now() * 1000;
      const skipFirst = skipFirstFrom(command);
      const result = await runComparison(
        scenario,
        config.store,
        { ...recordFilterFrom(command), ...(skipFirst > 0 ? { skipFirst } : {}) },
        config.models,
      );
      process.stdout.write(config.json ? `${JSON.stringify(result, null, 2)}\n` : formatComparison(result));
      if (config.record !== undefined) {
        const scenarioName = basename(config.scenario).replace(/\.(ya?ml|json)$/i, '');
        await recordComparisons(config.record, [
          toComparisonResult(result, scenario, { atUs, scenarioName }),
        ]);
        process.stderr.write(`recorded the comparison (measurement \`comparison\`) in ${config.record}\n`);
      }
    });
}

/** For `edgewatt collector --http <host:port>`: starts the HTTP API when the option is set. */
export async function startHttpApi(
  config: {
    http?: string | undefined;
    scenarios: string;
    models?: string | undefined;
    apiToken?: string | undefined;
  },
  storeUrl: string,
  extra: Pick<
    ApiContext,
    | 'metrics'
    | 'recordComparison'
    | 'fleet'
    | 'experimentAnalysis'
    | 'registry'
    | 'registryAuth'
    | 'rollouts'
    | 'placement'
  > & {
    tls?: { cert: Buffer; key: Buffer } | undefined;
  } = {},
): Promise<ApiServer | undefined> {
  const listen = config.http === undefined ? null : parseListen(config.http);
  if (listen === null) return undefined;
  return startApi({
    ...listen,
    scenariosDir: config.scenarios,
    modelsDir: config.models,
    storeUrl,
    apiToken: config.apiToken,
    ...extra,
  });
}
