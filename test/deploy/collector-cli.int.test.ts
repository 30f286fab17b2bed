// `edgewatt collector` options of the deployment path are validated at start, with every problem
// named (flag, source, value) and the process exiting 1 before it connects anywhere.

import { describe, expect, it } from 'vitest';
import { runCli } from '../support/process.js';

async function fails(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const run = runCli(['collector', ...args], env);
  const { code } = await run.exited;
  expect(code).toBe(1);
  return run.stderr();
}

describe('edgewatt collector: deployment options', () => {
  it('lists every bad option at once, with where it came from', async () => {
    const stderr = await fails(
      ['--ca', '/nonexistent/ca.pem', '--spool-max-bytes', 'lots', '--shared-group', 'a/b'],
      {
        EDGEWATT_INFLUX_CERT: '/nonexistent/cert.pem',
      },
    );
    expect(stderr).toContain(
      '--ca from --ca = "/nonexistent/ca.pem": file "/nonexistent/ca.pem" does not exist',
    );
    expect(stderr).toContain('--spool-max-bytes from --spool-max-bytes = "lots"');
    expect(stderr).toContain('--shared-group from --shared-group = "a/b"');
    expect(stderr).toContain('--influx-cert from environment EDGEWATT_INFLUX_CERT');
  });

  it('refuses several connections without a shared group, and a malformed InfluxDB URL', async () => {
    expect(await fails(['--connections', '4'])).toContain('--connections 4 needs --shared-group');
    expect(await fails(['--store', 'influxdb://localhost/edgewatt'])).toContain(
      'use influxdb://<host>:<port>/<database>',
    );
  });
});
