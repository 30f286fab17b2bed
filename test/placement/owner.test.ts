// The one writer of cmd/placement: what the operator and experiments may do to a device, and the
// auto basis it keeps fresh — on a fake clock, with a fake basis source and a recording publisher.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BasisOutcome, BasisTarget } from '../../collector/placement/basis.js';
import { PlacementOwner, PlacementOwnershipError } from '../../collector/placement/owner.js';
import { PlacementDb } from '../../collector/placement/owner-db.js';
import {
  decodePlacementCommand,
  encodePlacementCommand,
  type PlacementCommand,
} from '../../protocol/placement.js';

const T0 = Date.parse('2026-11-28T12:00:00Z');
const MODEL = 'cd'.repeat(32);

function outcome(edgeG: number, offloadG: number, nowMs: number): BasisOutcome {
  return {
    ok: true,
    value: {
      basis: { comparedAt: new Date(nowMs).toISOString(), edgeG, offloadG },
      provenance: {
        scenario: 's',
        modelId: MODEL,
        edgeSource: 'measured',
        offloadSource: 'profile',
        edgeRecords: 40,
        offloadRecords: 0,
        edgeIntervalG: [edgeG * 0.9, edgeG * 1.1],
        offloadIntervalG: [offloadG * 0.9, offloadG * 1.1],
        probabilityEdgeLower: edgeG < offloadG ? 0.9 : 0.1,
        notes: [],
      },
    },
  };
}

describe('placement owner', () => {
  let db: PlacementDb;
  let published: { topic: string; command: PlacementCommand | null }[];
  let asked: BasisTarget[];
  let next: { edgeG: number; offloadG: number } | string;
  let experiments: Record<string, 'running' | 'stopped' | 'finished'>;
  let owner: PlacementOwner;

  const make = (withBasis = true) =>
    new PlacementOwner({
      db,
      publish: async (topic, payload) => {
        const decoded = decodePlacementCommand(payload);
        if (!decoded.ok) throw new Error(decoded.error.message);
        published.push({ topic, command: decoded.value });
      },
      basis: withBasis
        ? async (target, nowMs) => {
            asked.push(target);
            return typeof next === 'string'
              ? { ok: false, problem: next }
              : outcome(next.edgeG, next.offloadG, nowMs);
          }
        : undefined,
      currentModel: async (_fleet, device) => (device === 'pi-new' ? null : MODEL),
      experimentState: (id) => experiments[id] ?? null,
      knownDevices: async () => ['pi-1', 'pi-2', 'pi-new'].map((device) => ({ fleet: 'lab', device })),
      nowMs: () => Date.now(),
    });

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    db = new PlacementDb(':memory:');
    published = [];
    asked = [];
    next = { edgeG: 2e-6, offloadG: 1e-6 };
    experiments = {};
    owner = make();
  });
  afterEach(async () => {
    await owner.close();
    db.close();
    vi.useRealTimers();
  });

  const last = () => published.at(-1)?.command;
  /** Experiment exp1 sets `device` to `placement` for its arm `arm` (on MODEL). */
  const exp1Sets = (device: string, placement: 'edge' | 'offload', arm: string) =>
    owner.experimentSet(
      'lab',
      device,
      'exp1',
      encodePlacementCommand({ v: 1, placement, experiment: 'exp1', arm }),
      MODEL,
    );

  it('auto goes out with a basis for the device’s current model, and status shows its age and sources', async () => {
    const changes = await owner.operatorSet({ devices: 'lab/pi-1', placement: 'auto', reason: 'try auto' });
    expect(changes).toEqual([{ fleet: 'lab', device: 'pi-1', before: null, placement: 'auto' }]);
    expect(asked).toEqual([{ fleet: 'lab', device: 'pi-1', modelId: MODEL }]);
    expect(published).toHaveLength(1);
    expect(published[0]?.topic).toBe('edgewatt/v1/lab/pi-1/cmd/placement');
    expect(last()).toMatchObject({
      v: 1,
      placement: 'auto',
      basis: { comparedAt: new Date(T0).toISOString(), edgeG: 2e-6, offloadG: 1e-6 },
    });
    expect(last()?.reason).toMatch(
      /^try auto; auto basis \(s\): edge 2\.00e-6 g \(measured, 40 records\) vs offload 1\.00e-6 g \(profile\)/,
    );
    vi.setSystemTime(T0 + 90_000);
    const [status] = owner.status();
    expect(status).toMatchObject({ owner: 'operator', placement: 'auto', basisProblem: null });
    expect(status?.basis?.ageS).toBe(90);
    expect(status?.basis?.provenance?.edgeSource).toBe('measured');
  });

  it('edge and offload commands carry no basis and ask for none', async () => {
    await owner.operatorSet({ devices: 'lab/pi-1', placement: 'offload', server: 'https://dc.test:8790' });
    expect(asked).toEqual([]);
    expect(last()).toMatchObject({ placement: 'offload', server: 'https://dc.test:8790' });
    expect(last()?.basis).toBeUndefined();
  });

  it('re-publishes every auto basis on the interval (not a millisecond before), keeping the command’s fields', async () => {
    owner.start(600_000);
    await owner.experimentSet(
      'lab',
      'pi-1',
      'exp1',
      encodePlacementCommand({
        v: 1,
        placement: 'auto',
        server: 'https://dc.test:8790',
        experiment: 'exp1',
        arm: 'auto-arm',
        reason: 'experiment exp1 period 1',
      }),
      'ef'.repeat(32),
    );
    await owner.operatorSet({ devices: 'lab/pi-2', placement: 'edge' });
    expect(published).toHaveLength(2);
    next = { edgeG: 1e-6, offloadG: 3e-6 };
    await vi.advanceTimersByTimeAsync(599_999);
    expect(published).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await owner.close();
    expect(published).toHaveLength(3); // pi-1 (auto) only; pi-2's edge command is left alone
    expect(last()).toMatchObject({
      placement: 'auto',
      server: 'https://dc.test:8790',
      experiment: 'exp1',
      arm: 'auto-arm',
      basis: { comparedAt: new Date(T0 + 600_000).toISOString(), edgeG: 1e-6, offloadG: 3e-6 },
    });
    // The experiment's arm model, not the device's current one; the reason keeps one basis line.
    expect(asked.at(-1)?.modelId).toBe('ef'.repeat(32));
    expect(last()?.reason?.match(/auto basis/g)).toHaveLength(1);
    expect(last()?.reason).toMatch(/^experiment exp1 period 1; auto basis/);
  });

  it('a refresh that fails as a whole (the placement table unreadable) is logged, and the next one runs', async () => {
    owner.start(1_000);
    await owner.operatorSet({ devices: 'lab/pi-1', placement: 'auto' });
    expect(published).toHaveLength(1);
    const list = vi.spyOn(db, 'list').mockImplementationOnce(() => {
      throw new Error('database is locked');
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(list).toHaveBeenCalledTimes(1);
    expect(published).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(published).toHaveLength(2);
    await owner.close();
  });

  it('a running experiment holds its devices: the operator is refused, naming it, unless forced', async () => {
    experiments.exp1 = 'running';
    await exp1Sets('pi-1', 'offload', 'b');
    const before = published.length;
    const refused = owner.operatorSet({ devices: 'lab/*', placement: 'edge' });
    await expect(refused).rejects.toThrow(PlacementOwnershipError);
    await expect(refused).rejects.toThrow(
      /lab\/pi-1 is held by running experiment exp1: placement not changed/,
    );
    await expect(owner.operatorClear({ devices: 'pi-1' })).rejects.toMatchObject({ status: 409 });
    // All or nothing: pi-2, free, was not changed either.
    expect(published).toHaveLength(before);
    await owner.operatorSet({ devices: 'lab/pi-1', placement: 'edge', force: true });
    expect(last()).toMatchObject({ placement: 'edge' });
    expect(db.get('lab', 'pi-1')?.owner).toBe('operator');
    // The experiment's restore leaves the operator's forced command alone.
    const count = published.length;
    expect(await owner.experimentRestore('lab', 'pi-1', 'exp1', null)).toBe(false);
    expect(published).toHaveLength(count);
  });

  it('a forced clear during the experiment stays: the restore does not put the old command back', async () => {
    experiments.exp1 = 'running';
    await exp1Sets('pi-1', 'offload', 'b');
    await owner.operatorClear({ devices: 'lab/pi-1', force: true });
    expect(published.at(-1)).toEqual({ topic: 'edgewatt/v1/lab/pi-1/cmd/placement', command: null });
    experiments.exp1 = 'stopped';
    const count = published.length;
    const before = encodePlacementCommand({ v: 1, placement: 'auto', reason: 'operator' });
    expect(await owner.experimentRestore('lab', 'pi-1', 'exp1', before)).toBe(false);
    expect(published).toHaveLength(count);
    expect(db.get('lab', 'pi-1')).toBeNull();
  });

  it('an ended experiment holds nothing; its restore puts back the command before it, or clears it', async () => {
    experiments.exp1 = 'running';
    const before = encodePlacementCommand({ v: 1, placement: 'offload', reason: 'operator' });
    await exp1Sets('pi-1', 'edge', 'a');
    await exp1Sets('pi-2', 'edge', 'a');
    experiments.exp1 = 'stopped';
    expect(await owner.experimentRestore('lab', 'pi-1', 'exp1', before)).toBe(true);
    expect(last()).toMatchObject({ placement: 'offload', reason: 'operator' });
    expect(db.get('lab', 'pi-1')?.owner).toBe('operator');
    expect(await owner.experimentRestore('lab', 'pi-2', 'exp1', null)).toBe(true);
    expect(published.at(-1)).toEqual({ topic: 'edgewatt/v1/lab/pi-2/cmd/placement', command: null });
    expect(db.get('lab', 'pi-2')).toBeNull();
    // Stopped: the operator may now set without force.
    await owner.operatorSet({ devices: 'lab/pi-1', placement: 'edge' });
    expect(last()).toMatchObject({ placement: 'edge' });
  });

  it('without a basis an auto command goes out bare (the agent stays on the edge) and status says why; a failed refresh keeps the last basis', async () => {
    await owner.operatorSet({ devices: 'lab/pi-new', placement: 'auto' });
    expect(last()?.basis).toBeUndefined();
    expect(owner.status()[0]?.basisProblem).toMatch(/model the device runs is unknown/);

    await owner.operatorSet({ devices: 'lab/pi-1', placement: 'auto' });
    const good = last();
    expect(good?.basis).toBeDefined();
    next = 'scenario s: device.energyJ: no value';
    const count = published.length;
    await owner.refreshBases();
    // pi-new's bare command is sent again (still no basis), pi-1 keeps its last one: nothing for it.
    expect(published.slice(count).map((p) => p.topic)).toEqual(['edgewatt/v1/lab/pi-new/cmd/placement']);
    const pi1 = owner.status().find((s) => s.device === 'pi-1');
    expect(pi1?.basis?.edgeG).toBe(2e-6);
    expect(pi1?.basisProblem).toBe('scenario s: device.energyJ: no value');

    const bare = make(false);
    await bare.operatorSet({ devices: 'lab/pi-2', placement: 'auto' });
    expect(last()?.basis).toBeUndefined();
    expect(bare.status().find((s) => s.device === 'pi-2')?.basisProblem).toMatch(/no --placement-scenario/);
    await bare.close();
  });

  it('a selector naming no device is refused; clear publishes an empty retained payload', async () => {
    await expect(owner.operatorSet({ devices: 'other/*', placement: 'edge' })).rejects.toMatchObject({
      status: 404,
    });
    await owner.operatorSet({ devices: 'pi-2', placement: 'offload' });
    const changes = await owner.operatorClear({ devices: 'lab/pi-2' });
    expect(changes).toEqual([
      { fleet: 'lab', device: 'pi-2', before: { owner: 'operator', placement: 'offload' }, placement: null },
    ]);
    expect(published.at(-1)).toEqual({ topic: 'edgewatt/v1/lab/pi-2/cmd/placement', command: null });
    expect(owner.status()).toEqual([]);
  });

  it('shows a retained command the collector did not write as set outside it', async () => {
    owner.observe(
      'edgewatt/v1/lab/pi-9/cmd/placement',
      encodePlacementCommand({ v: 1, placement: 'offload' }),
    );
    expect(owner.status()).toMatchObject([{ device: 'pi-9', owner: 'outside', placement: 'offload' }]);
  });
});
