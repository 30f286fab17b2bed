// `edgewatt dashboards build --out <dir>`: writes the Grafana dashboards as plain JSON and the
// provisioning YAML (InfluxDB data source with a fixed uid, a file provider for the dashboards).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { buildAll } from '../../dashboards/index.js';
import { resolveConfig } from '../config.js';

const buildSchema = z.object({
  out: z.string().min(1, 'give the output directory, e.g. --out /etc/grafana/edgewatt'),
  influxUrl: z
    .string()
    .regex(/^https?:\/\/.+/, 'must be an http(s) URL such as http://127.0.0.1:8086')
    .default('http://127.0.0.1:8086'),
  database: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'must be an InfluxDB database name')
    .default('edgewatt'),
  influxUser: z.string().optional(),
  dashboardsPath: z.string().optional(),
});

export function dashboardsCommand(): Command {
  const build = new Command('build')
    .description('write Grafana dashboard JSON and provisioning YAML into a directory')
    .option('--out <dir>', 'output directory (dashboards/ and provisioning/ are created in it)')
    .option('--influx-url <url>', 'InfluxDB URL as Grafana reaches it (default: http://127.0.0.1:8086)')
    .option('--database <name>', 'InfluxDB database (default: edgewatt)')
    .option(
      '--influx-user <name>',
      "InfluxDB user for Grafana; the password comes from $EDGEWATT_INFLUX_PASSWORD in Grafana's environment",
    )
    .option('--dashboards-path <dir>', 'where Grafana reads the dashboard JSON (default: <out>/dashboards)')
    .option('--config <path>', 'JSON config file (section "dashboards")')
    .action((_options, command: Command) => {
      const config = resolveConfig(buildSchema, 'dashboards', command);
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
