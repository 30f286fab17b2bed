// `edgewatt collector`: subscribe to the fleet and store every record once.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { collectorMetricsSource } from '../../collector/api/metrics.js';
import { Collector, PUBLISH_ACK_TIMEOUT_MS } from '../../collector/collector.js';
import { type Deployment, openDeployment } from '../../collector/deploy/index.js';
import { collectorBoards } from '../../collector/experiments/collector-boards.js';
import { startExperimentDriver } from '../../collector/experiments/index.js';
import { liveAnalyses } from '../../collector/experiments/report/live.js';
import { openPlacement } from '../../collector/placement/index.js';
import { capability, createStore, optionalCapability } from '../../collector/store/index.js';
import { gatherFleetView } from '../../collector/web/fleet-view.js';
import { logger } from '../../common/logger.js';
import { resolveConfig } from '../config.js';
import { ConfigError } from '../config-error.js';
import { addSchemaOptions } from '../options.js';
import { brokerOptions, storeOptions } from '../schemas/collector-deploy.js';
import { configureIngest } from '../schemas/ingest.js';
import { collectorSchema } from '../schemas.js';
import { untilSignal } from '../signals.js';
import { startHttpApi } from './compare.js';

const log = logger('cli.collector');

export function collectorCommand(): Command {
  return addSchemaOptions(new Command('collector'), collectorSchema, 'collector')
    .description('subscribe to every device of the broker and store what they send')
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(collectorSchema, 'collector', command);
      const store = capability(createStore(config.store, storeOptions(config)), 'writeRecords', '--store');
      const comparisons = optionalCapability(store, 'writeComparisons');
      if ((config.httpCert === undefined) !== (config.httpKey === undefined))
        throw new ConfigError('--http-cert and --http-key go together: give both to serve HTTPS, or neither');
      let apiUrl: string | undefined;
      // The one writer of every device's retained cmd/placement (operator and experiments), and
      // the auto basis from the store (collector/placement/).
      const reader = optionalCapability(store, 'readRecords');
      let experiments: ReturnType<typeof startExperimentDriver> | undefined;
      const placement = openPlacement({
        dataDir: config.dataDir,
        publish: (topic, payload, options) =>
          collector.publish(topic, payload, { ...options, ackTimeoutMs: PUBLISH_ACK_TIMEOUT_MS }),
        reader,
        offload: optionalCapability(store, 'readOffload'),
        scenarioPath: config.placementScenario,
        basisEveryS: config.placementBasisEvery,
        experimentState: (id) => experiments?.db.get(id)?.state ?? null,
      });
      const deployment: Deployment = openDeployment(
        {
          dataDir: config.dataDir,
          deploymentKey: config.deploymentKey,
          registryPasswd: config.registryPasswd,
          apiToken: config.apiToken,
          baseUrl: () => config.registryUrl ?? apiUrl,
          reader: optionalCapability(store, 'readRecords'),
          points: optionalCapability(store, 'writeDeployments'),
        },
        (topic, payload, options) => collector.publish(topic, payload, options),
      );
      const collector = new Collector(store, {
        ...config,
        ...brokerOptions(config),
        onDeployment: (fleet, message) => deployment.handle(fleet, message),
        // What each device's cmd/placement holds: status shows it, experiments put it back when they end.
        onPlacementCommand: (topic, payload) => placement.owner.observe(topic, payload),
      });
      configureIngest(collector.ingest, config);
      // Points a buffering store's server refuses after the ack (InfluxDB 400) are dead-lettered whole.
      optionalCapability(store, 'drain')?.onRefused((refused) => collector.ingest.deadLetterRefused(refused));
      await collector.start();
      const metrics = collectorMetricsSource(collector.ingest, optionalCapability(store, 'drain'));
      // Experiments (issue 17) switch models through the same signed assignments as rollouts.
      experiments =
        deployment.service === undefined
          ? undefined
          : startExperimentDriver({
              dataDir: config.dataDir,
              port: deployment.service,
              boards: collectorBoards({ service: deployment.service, reader, owner: placement.owner }),
              reader,
            });
      // The live experiment page analyses on a worker thread with its own read-only store.
      const live =
        reader === undefined ? undefined : liveAnalyses(config.dataDir, config.store, storeOptions(config));
      const api = await startHttpApi(config, config.store, {
        metrics,
        fleet: () => gatherFleetView(reader, metrics),
        experimentAnalysis: live === undefined ? undefined : (id) => live.analyse(id),
        recordComparison:
          comparisons === undefined ? undefined : (results) => comparisons.writeComparison(results),
        registry: deployment.registry,
        registryAuth: deployment.auth,
        rollouts: deployment.rollouts,
        placement: placement.owner,
        tls:
          config.httpCert === undefined || config.httpKey === undefined
            ? undefined
            : { cert: readFileSync(config.httpCert), key: readFileSync(config.httpKey) },
      }).catch(async (error: unknown) => {
        // The API could not start (address taken...): leave the broker cleanly, then report it.
        await experiments?.close();
        await placement.close();
        await live?.close();
        await collector.stop();
        collector.ingest.deadLetter.close();
        deployment.close();
        throw error;
      });
      apiUrl = api?.url;
      const timer =
        config.statsInterval > 0
          ? setInterval(() => log.info(collector.stats, 'ingest'), config.statsInterval * 1000)
          : undefined;
      await untilSignal();
      clearInterval(timer);
      await experiments?.close();
      await placement.close();
      await collector.stop();
      collector.ingest.deadLetter.close();
      await api?.close();
      await live?.close();
      deployment.close();
      log.info(collector.stats, 'collector stopped');
    });
}
