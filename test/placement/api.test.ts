// /v1/placement over fastify's inject: the API token is required, bodies are checked, a device held
// by a running experiment answers 409 naming it (and `force` takes it), a selector naming nobody
// 404, and status lists the command with its basis.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatStatus } from '../../cli/commands/placement.js';
import { buildApi } from '../../collector/api/server.js';
import { PlacementOwner } from '../../collector/placement/owner.js';
import { PlacementDb } from '../../collector/placement/owner-db.js';
import { encodePlacementCommand } from '../../protocol/placement.js';

const auth = { authorization: 'Bearer secret' };

describe('placement HTTP API', () => {
  let db: PlacementDb;
  let owner: PlacementOwner;
  const sent: string[] = [];

  beforeEach(() => {
    sent.length = 0;
    db = new PlacementDb(':memory:');
    owner = new PlacementOwner({
      db,
      publish: async (topic) => {
        sent.push(topic);
      },
      basis: async (_target, nowMs) => ({
        ok: true,
        value: {
          basis: { comparedAt: new Date(nowMs - 42_000).toISOString(), edgeG: 4e-4, offloadG: 3e-4 },
          provenance: {
            scenario: 's',
            modelId: 'm',
            edgeSource: 'measured',
            offloadSource: 'profile',
            edgeRecords: 12,
            offloadRecords: 0,
            edgeIntervalG: [0, 1],
            offloadIntervalG: [0, 1],
            probabilityEdgeLower: 0.2,
            notes: [],
          },
        },
      }),
      currentModel: async () => 'ab'.repeat(32),
      experimentState: (id) => (id === 'exp1' ? 'running' : null),
      knownDevices: async () => [
        { fleet: 'lab', device: 'pi-1' },
        { fleet: 'lab', device: 'pi-2' },
      ],
    });
  });
  afterEach(async () => {
    await owner.close();
    db.close();
  });

  it('needs the API token for every route', async () => {
    const app = await buildApi({ scenariosDir: '.', apiToken: 'secret', placement: owner });
    expect((await app.inject({ method: 'GET', url: '/v1/placement' })).statusCode).toBe(401);
    const noToken = await buildApi({ scenariosDir: '.', placement: owner });
    const refused = await noToken.inject({
      method: 'POST',
      url: '/v1/placement',
      payload: { devices: '*', placement: 'edge' },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatch(/^placement commands change where devices run/);
    expect(sent).toEqual([]);
  });

  it('no spelling of a placement path reaches a route without the token (encoded, doubled slashes, case, trailing slash)', async () => {
    const app = await buildApi({ scenariosDir: '.', apiToken: 'secret', placement: owner });
    const paths = [
      '/v1/placement',
      '/v1/placement/clear',
      '/v1/%70lacement',
      '/v1/placement%2Fclear',
      '/v1/placement/%63lear',
      '/v1//placement',
      '//v1/placement',
      '/V1/placement',
      '/v1/placement/',
      '/v1/placement/clear/',
      '/v1/placement?force=true',
      '/v1/placement;x',
      '/v1/./placement',
      '/v1/x/../placement',
    ];
    for (const url of paths) {
      for (const method of ['GET', 'POST'] as const) {
        const answer = await app.inject({
          method,
          url,
          ...(method === 'POST' ? { payload: { devices: '*', placement: 'edge', force: true } } : {}),
        });
        expect([401, 404], `${method} ${url}: ${answer.statusCode}`).toContain(answer.statusCode);
      }
    }
    expect(sent).toEqual([]);
  });

  it('sets, refuses what an experiment holds (409 naming it) unless forced, and lists with the basis', async () => {
    const app = await buildApi({ scenariosDir: '.', apiToken: 'secret', placement: owner });
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/placement',
      headers: auth,
      payload: { devices: '*', placement: 'sometimes' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/^placement: /);
    const none = await app.inject({
      method: 'POST',
      url: '/v1/placement',
      headers: auth,
      payload: { devices: 'other/*', placement: 'edge' },
    });
    expect(none.statusCode).toBe(404);

    await owner.experimentSet(
      'lab',
      'pi-2',
      'exp1',
      encodePlacementCommand({ v: 1, placement: 'edge', experiment: 'exp1', arm: 'a' }),
      null,
    );
    const held = await app.inject({
      method: 'POST',
      url: '/v1/placement',
      headers: auth,
      payload: { devices: 'lab/*', placement: 'auto' },
    });
    expect(held.statusCode).toBe(409);
    expect(held.json().error).toMatch(/lab\/pi-2 is held by running experiment exp1/);
    expect(held.json().hint).toMatch(/--force/);

    const set = await app.inject({
      method: 'POST',
      url: '/v1/placement',
      headers: auth,
      payload: { devices: 'lab/pi-1', placement: 'auto' },
    });
    expect(set.statusCode).toBe(200);
    expect(set.json().changes).toEqual([{ fleet: 'lab', device: 'pi-1', before: null, placement: 'auto' }]);
    const forced = await app.inject({
      method: 'POST',
      url: '/v1/placement/clear',
      headers: auth,
      payload: { devices: 'lab/pi-2', force: true },
    });
    expect(forced.json().changes[0]).toMatchObject({
      device: 'pi-2',
      before: { owner: 'experiment:exp1' },
      placement: null,
    });

    const status = await app.inject({ method: 'GET', url: '/v1/placement', headers: auth });
    const devices = status.json().devices;
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({
      device: 'pi-1',
      owner: 'operator',
      placement: 'auto',
      basis: { edgeG: 4e-4, offloadG: 3e-4 },
    });
    const text = formatStatus(devices);
    expect(text).toMatch(
      /lab\/pi-1 +auto +operator +edge 4\.00e-4 g vs offload 3\.00e-4 g → offload +4\d s +edge measured 12, offload profile/,
    );
  });
});
