// A provisioned agent offloads to a real `edgewatt serve` (in process) whose --credentials is the
// Mosquitto password file provision-device writes: without --offload-token the agent must prove
// who it is with its broker user and password, as docs/offload.md promises, and the server must
// accept it even when another fleet has a device of the same id.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentConfig } from '../../agent/agent.js';
import { mosquittoPasswordHash } from '../../cli/commands/provision-files.js';
import type { RunningServe } from '../../serve/server.js';
import { type Stack, startStack, tempDir } from '../support/stack.js';
import { startZooServe, zooAgentConfig } from '../support/zoo-agent.js';

const INPUT = { values: new Float32Array(28 * 28).fill(0.25), count: 1 };
const PASSWORD = 'broker-password-of-lab.pi-7';

const dir = tempDir('edgewatt-offload-credentials-');
let stack: Stack;
let serve: RunningServe;

beforeAll(async () => {
  stack = await startStack(join(dir.path, 'store.sqlite'));
  const passwd = join(dir.path, 'mosquitto.passwd');
  // Two fleets each have a pi-7: the bare id names neither.
  writeFileSync(
    passwd,
    `lab.pi-7:${mosquittoPasswordHash(PASSWORD)}\nother.pi-7:${mosquittoPasswordHash('another')}\n`,
  );
  serve = await startZooServe({ maxBatchSize: 1, credentialsPath: passwd });
}, 60_000);
afterAll(async () => {
  await serve?.close();
  await stack?.stop();
  dir.remove();
});

function config(
  offload: AgentConfig['offload'],
  credentials: { username?: string; password?: string },
): AgentConfig {
  return zooAgentConfig({
    broker: stack.broker.url,
    device: 'pi-7',
    ...credentials,
    stateDir: join(dir.path, `agent-${Math.random().toString(36).slice(2)}`),
    offload,
  });
}

describe('offload credentials from provision-device', () => {
  it('an agent without --offload-token authenticates with its broker user and password', async () => {
    const agent = await Agent.start(
      config(
        { mode: 'offload', server: serve.url, timeoutMs: 10_000, maxRttMs: 10_000 },
        { username: 'lab.pi-7', password: PASSWORD },
      ),
    );
    try {
      const answer = await agent.infer(INPUT, { source: 'http' });
      expect(answer.offload?.outcome).toBe('ok');
      expect(answer.offload?.httpStatus).toBe(200);
      expect(answer.placement).toBe('offload');
    } finally {
      await agent.stop(5_000);
    }
  }, 30_000);

  it('an explicit --offload-token wins over the broker password (a wrong one is a 401)', async () => {
    const agent = await Agent.start(
      config(
        { mode: 'offload', server: serve.url, timeoutMs: 10_000, maxRttMs: 10_000, token: 'wrong' },
        { username: 'lab.pi-7', password: PASSWORD },
      ),
    );
    try {
      await expect(agent.infer(INPUT, { source: 'http' })).rejects.toThrow(/401/);
    } finally {
      await agent.stop(5_000);
    }
  }, 30_000);

  it('the server asks for credentials however the path of /v1/infer is spelled', async () => {
    for (const path of ['/v1/infer', '/v1/%69nfer', '/v1/infer?x=1']) {
      const response = await fetch(`${serve.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'x-edgewatt-shape': '28,28,1' },
        body: new Uint8Array(28 * 28 * 4),
      });
      expect([path, response.status]).toEqual([path, 401]);
    }
  });
});
