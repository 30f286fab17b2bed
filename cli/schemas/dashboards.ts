// Option schema of `edgewatt dashboards build`. Flags, help, EDGEWATT_* variables and config keys derive from it.

import { z } from 'zod';
import { option, text } from './fields.js';

export const dashboardsBuildSchema = z.object({
  out: option(text('give the output directory, e.g. --out /etc/grafana/edgewatt'), {
    arg: 'dir',
    help: 'output directory (dashboards/ and provisioning/ are created in it)',
  }),
  influxUrl: option(
    z
      .string()
      .regex(/^https?:\/\/.+/, 'must be an http(s) URL such as http://127.0.0.1:8086')
      .default('http://127.0.0.1:8086'),
    { arg: 'url', help: 'InfluxDB URL as Grafana reaches it' },
  ),
  database: option(
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'must be an InfluxDB database name')
      .default('edgewatt'),
    { arg: 'name', help: 'InfluxDB database' },
  ),
  influxUser: option(z.string().optional(), {
    arg: 'name',
    help: "InfluxDB user for Grafana; the password comes from $EDGEWATT_INFLUX_PASSWORD in Grafana's environment",
  }),
  dashboardsPath: option(z.string().optional(), {
    arg: 'dir',
    help: 'where Grafana reads the dashboard JSON',
    defaultHelp: '<out>/dashboards',
  }),
});
