// `edgewatt dashboards build --out <dir>`: writes the Grafana dashboards as plain JSON and the
// provisioning YAML (InfluxDB data source with a fixed uid, a file provider for the dashboards).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { buildAll } from '../../dashboards/index.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { dashboardsBuildSchema } from '../schemas/dashboards.js';

export function dashboardsCommand(): Command {
  const build = addSchemaOptions(new Command('build'), dashboardsBuildSchema, 'dashboards')
    .description('write Grafana dashboard JSON and provisioning YAML into a directory')
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(dashboardsBuildSchema, 'dashboards', command);
      const out = resolve(config.out);
      const files = buildAll({
        influxUrl: config.influxUrl,
        database: config.database,
        influxUser: config.influxUser,
        dashboardsPath: config.dashboardsPath ?? join(out, 'dashboards'),
      });
      for (const file of files) {
        const path = join(out, file.path);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, file.content);
        process.stdout.write(`${path}\n`);
      }
    });
  return new Command('dashboards').description('Grafana dashboards as code').addCommand(build);
}
