// `edgewatt collector --http` as a real process: with an embedded broker started by the test, the
// collector serves GET /v1/compare from its scenarios folder on 127.0.0.1, and stops on SIGINT.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../collector/broker/embedded.js';
import { freePort, waitForPort } from '../support/ports.js';
import { runCli } from '../support/process.js';
import { EXAMPLES, tempDir } from './helpers.js';

describe('edgewatt collector --http', () => {
  const dir = tempDir();
  let broker: EmbeddedBroker;

  beforeAll(async () => {
    broker = await startEmbeddedBroker(0);
  });
  afterAll(async () => {
    await broker.close();
    dir.remove();
  });

  it('serves /v1/compare next to ingest and stops cleanly', async () => {
    const port = await freePort();
    const run = runCli([
      'collector',
      '--broker',
      broker.url,
      '--store',
      `sqlite:${dir.path}/c.sqlite`,
      '--http',
      `127.0.0.1:${port}`,
      '--scenarios',
      EXAMPLES,
    ]);
    try {
      await waitForPort(port, 'collector HTTP API', 30_000, run.child);
      const listed = await (await fetch(`http://127.0.0.1:${port}/v1/scenarios`)).json();
      expect(listed).toMatchObject({ scenarios: expect.arrayContaining(['pi4-wifi-gpu']) });
      const response = await fetch(`http://127.0.0.1:${port}/v1/compare?scenario=pi4-wifi-gpu`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ unit: 'gCO2e per inference', probabilityEdgeLower: 0 });
    } finally {
      run.child.kill('SIGINT');
    }
    expect((await run.exited).code).toBe(0);
  });
});
