// `edgewatt collector`: subscribe to the fleet and store every record once.

import { Command } from 'commander';
import { collectorMetricsSource } from '../../collector/api/metrics.js';
import { Collector } from '../../collector/collector.js';
import { canWriteComparisons } from '../../collector/lifecycle/record-comparison.js';
import { createStore } from '../../collector/store/index.js';
import { logger } from '../../common/logger.js';
import { resolveConfig } from '../config.js';
import {
  addCollectorDeployOptions,
  brokerOptions,
  collectorDeployFields,
  storeOptions,
} from '../schemas/collector-deploy.js';
import { addIngestOptions, configureIngest, ingestFields } from '../schemas/ingest.js';
import { collectorSchema } from '../schemas.js';
import { untilSignal } from '../signals.js';
import { startHttpApi } from './compare.js';

const log = logger('cli.collector');

export function collectorCommand(): Command {
  return addIngestOptions(addCollectorDeployOptions(new Command('collector')))
    .description('subscribe to every device of the broker and store what they send')
    .option('--broker <url>', 'MQTT broker URL (default: mqtt://127.0.0.1:1883)')
    .option(
      '--store <url>',
      'where records go: sqlite:<path> or influxdb://host:port/db (default: sqlite:.edgewatt/edgewatt.sqlite)',
    )
    .option(
      '--client-id <id>',
      'fixed MQTT client id: a persistent session, so the broker keeps messages while the collector is down',
    )
    .option('--username <name>', 'broker user name')
    .option('--password <secret>', 'broker password (prefer EDGEWATT_PASSWORD)')
    .option('--stats-interval <s>', 'log ingest counters every s seconds, 0 = never (default: 30)')
    .option(
      '--http <host:port>',
      'serve the HTTP API (GET/POST /v1/compare) there, e.g. 127.0.0.1:8787 (default: off)',
    )
    .option(
      '--scenarios <dir>',
      'stored scenarios for GET /v1/compare?scenario=<name> (default: .edgewatt/scenarios)',
    )
    .option(
      '--api-token <secret>',
      'bearer token for API routes that write (POST /v1/compare?record=true); without it they are refused (prefer EDGEWATT_API_TOKEN)',
    )
    .option('--config <path>', 'JSON config file (section "collector")')
    .action(async (_options, command: Command) => {
      const config = resolveConfig(
        collectorSchema.extend({ ...collectorDeployFields, ...ingestFields }),
        'collector',
        command,
      );
      const store = createStore(config.store, storeOptions(config));
      const collector = new Collector(store, {
        ...config,
        ...brokerOptions(config),
      });
      configureIngest(collector.ingest, config);
      await collector.start();
      const api = await startHttpApi(command, config.store, {
        metrics: collectorMetricsSource(collector.ingest, store),
        recordComparison: canWriteComparisons(store)
          ? (results) => store.writeComparison(results)
          : undefined,
      });
      const timer =
        config.statsInterval > 0
          ? setInterval(() => log.info(collector.stats, 'ingest'), config.statsInterval * 1000)
          : undefined;
      await untilSignal();
      clearInterval(timer);
      await collector.stop();
      collector.ingest.deadLetter.close();
      await api?.close();
      log.info(collector.stats, 'collector stopped');
    });
}
