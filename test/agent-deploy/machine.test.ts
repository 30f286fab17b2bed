// The deployment state machine as a table (Mender's state tests): for every phase, an error and a
// crash injected there, with the exact chain of status messages (state, reason, attempt) and the
// model that runs at the end. A crash is the machine abandoned mid-phase and a new one started
// from the journal file on disk, as after kill -9; the real kill -9 runs in faults.int.test.ts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ActivePhase, type Journal, JournalStore } from '../../agent/deploy/journal.js';
import { type DeployEffects, DeploymentMachine, type StepContext } from '../../agent/deploy/machine.js';
import { type Assignment, DeploymentRefusal } from '../../protocol/deploy/index.js';

const OLD = 'a'.repeat(64);
const NEW = 'b'.repeat(64);

const ASSIGNMENT: Assignment = {
  schema: 'edgewatt.assignment/1',
  fleet: 'lab',
  device: 'pi-01',
  deploymentId: 'rollout-1',
  modelId: NEW,
  release: 2,
  rollback: false,
  artifactBytes: 1000,
  baseUrl: 'http://127.0.0.1:1',
  issuedAt: '2026-11-28T00:00:00Z',
  expires: '2099-01-01T00:00:00Z',
  probationS: 0,
};

type Fault = 'error' | 'crash';
/** Faults to inject: on the nth time (1-based, counted per phase across restarts) a phase runs. */
type Plan = Partial<Record<ActivePhase, { fault: Fault; times?: number[] }>>;

/** The device as the effects see it: which model serves, what ran. */
class FakeDevice {
  running = OLD;
  ran: Record<string, number> = {};
}

const never = new Promise<never>(() => undefined);

/** `crashed` is called when a phase "dies": its promise never settles, as in a killed process. */
function fakeEffects(device: FakeDevice, plan: Plan, crashed: () => void = () => undefined): DeployEffects {
  const act = async (phase: ActivePhase, work: () => void): Promise<void> => {
    const n = (device.ran[phase] ?? 0) + 1;
    device.ran[phase] = n;
    const injected = plan[phase];
    if (injected !== undefined && (injected.times ?? [1]).includes(n)) {
      if (injected.fault === 'crash') {
        crashed();
        return never;
      }
      throw new Error(`injected error in ${phase}`);
    }
    work();
  };
  return {
    download: async (_step) => {
      await act('downloading', () => undefined);
      return { bytes: 1000 };
    },
    verify: (_step) => act('verifying', () => undefined),
    load: (_step) => act('loading', () => undefined),
    switchOver: (_step) =>
      act('switching', () => {
        device.running = NEW;
      }).catch((error: unknown) => {
        device.running = NEW; // the switch happened, the new model then failed
        throw error;
      }),
    probation: (_step) => act('probation', () => undefined),
    rollBack: (_step) =>
      act('rolling-back', () => {
        device.running = OLD;
      }),
    commit: (step: StepContext, journal: Journal) => {
      journal.current = { modelId: step.active.assignment.modelId, dir: '/models/new', release: 2 };
    },
    settle: async () => undefined,
    runningModelId: () => device.running,
    downloadedBytes: () => 0,
  };
}

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/**
 * Runs a deployment under `plan`: every crash abandons the machine and starts a new one (a new
 * process: state only from the journal file; in memory, a crash after the switch leaves the agent
 * on the committed model, as a restart does). Returns the status chain and the final model.
 */
async function deploy(
  plan: Plan,
  maxAttempts = 3,
): Promise<{ chain: string[]; running: string; journal: Journal }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'edgewatt-machine-'));
  dirs.push(stateDir);
  const device = new FakeDevice();
  let fresh = true;
  for (let restart = 0; restart < 10; restart++) {
    const journal = new JournalStore(stateDir);
    let crash: () => void = () => undefined;
    const crashed = new Promise<'crashed'>((resolve) => {
      crash = () => resolve('crashed');
    });
    const machine = new DeploymentMachine({
      device: 'pi-01',
      journal,
      effects: fakeEffects(device, plan, crash),
      maxAttempts,
      onMessage: () => undefined,
    });
    const run = machine.run(
      fresh ? { payload: '{}', assignment: ASSIGNMENT } : null,
      new AbortController().signal,
    );
    fresh = false;
    const ended = await Promise.race([run, crashed]);
    if (ended !== 'crashed') {
      const final = new JournalStore(stateDir).journal;
      return {
        chain: final.outbox.map(
          (m) => `${m.state}${m.reason === undefined ? '' : `(${m.reason})`}#${m.attempt}`,
        ),
        running: device.running,
        journal: final,
      };
    }
    device.running = journal.journal.current?.modelId ?? OLD; // the restarted agent runs the committed model
  }
  throw new Error('no terminal state after 10 restarts');
}

const HAPPY = ['downloading#1', 'verifying#1', 'loading#1', 'switching#1', 'probation#1', 'committed#1'];

interface Case {
  name: string;
  plan: Plan;
  chain: string[];
  running: string;
}

const CASES: Case[] = [
  { name: 'no fault', plan: {}, chain: HAPPY, running: NEW },
  // Errors: before the switch the running model is never touched; after it, a rollback.
  {
    name: 'error in downloading',
    plan: { downloading: { fault: 'error' } },
    chain: ['downloading#1', 'failed(download-failed)#1'],
    running: OLD,
  },
  {
    name: 'error in verifying',
    plan: { verifying: { fault: 'error' } },
    chain: ['downloading#1', 'verifying#1', 'refused(hash-mismatch)#1'],
    running: OLD,
  },
  {
    name: 'error in loading',
    plan: { loading: { fault: 'error' } },
    chain: [...HAPPY.slice(0, 3), 'failed(load-failed)#1'],
    running: OLD,
  },
  {
    name: 'error in switching',
    plan: { switching: { fault: 'error' } },
    chain: [...HAPPY.slice(0, 4), 'rolling-back(load-failed)#1', 'rolled-back(load-failed)#1'],
    running: OLD,
  },
  {
    name: 'error in probation',
    plan: { probation: { fault: 'error' } },
    chain: [...HAPPY.slice(0, 5), 'rolling-back(probation-failed)#1', 'rolled-back(probation-failed)#1'],
    running: OLD,
  },
  {
    name: 'error in rolling-back',
    plan: { probation: { fault: 'error' }, 'rolling-back': { fault: 'error' } },
    chain: [...HAPPY.slice(0, 5), 'rolling-back(probation-failed)#1', 'failed(load-failed)#1'],
    running: NEW,
  },
  // Crashes: resume where the journal says (a download from its bytes, anything later from verifying).
  {
    name: 'crash in downloading',
    plan: { downloading: { fault: 'crash' } },
    chain: [
      'downloading#1',
      'downloading#2',
      'verifying#2',
      'loading#2',
      'switching#2',
      'probation#2',
      'committed#2',
    ],
    running: NEW,
  },
  {
    name: 'crash in verifying',
    plan: { verifying: { fault: 'crash' } },
    chain: [
      'downloading#1',
      'verifying#1',
      'verifying#2',
      'loading#2',
      'switching#2',
      'probation#2',
      'committed#2',
    ],
    running: NEW,
  },
  {
    name: 'crash in loading',
    plan: { loading: { fault: 'crash' } },
    chain: [...HAPPY.slice(0, 3), 'verifying#2', 'loading#2', 'switching#2', 'probation#2', 'committed#2'],
    running: NEW,
  },
  {
    name: 'crash in switching',
    plan: { switching: { fault: 'crash' } },
    chain: [...HAPPY.slice(0, 4), 'verifying#2', 'loading#2', 'switching#2', 'probation#2', 'committed#2'],
    running: NEW,
  },
  {
    name: 'crash in probation',
    plan: { probation: { fault: 'crash' } },
    chain: [...HAPPY.slice(0, 5), 'verifying#2', 'loading#2', 'switching#2', 'probation#2', 'committed#2'],
    running: NEW,
  },
  {
    name: 'crash in rolling-back',
    plan: { probation: { fault: 'error' }, 'rolling-back': { fault: 'crash' } },
    chain: [
      ...HAPPY.slice(0, 5),
      'rolling-back(probation-failed)#1',
      'rolling-back(probation-failed)#2',
      'rolled-back(probation-failed)#2',
    ],
    running: OLD,
  },
  // Loop guard (RAUC's 3 tries): the fourth start gives up.
  {
    name: 'crash in probation three times',
    plan: { probation: { fault: 'crash', times: [1, 2, 3] } },
    chain: [
      ...HAPPY.slice(0, 5),
      ...['verifying', 'loading', 'switching', 'probation'].map((s) => `${s}#2`),
      ...['verifying', 'loading', 'switching', 'probation'].map((s) => `${s}#3`),
      'rolling-back(crash-loop)#4',
      'rolled-back(crash-loop)#4',
    ],
    running: OLD,
  },
  {
    name: 'crash in downloading three times',
    plan: { downloading: { fault: 'crash', times: [1, 2, 3] } },
    chain: ['downloading#1', 'downloading#2', 'downloading#3', 'failed(crash-loop)#4'],
    running: OLD,
  },
];

describe('deployment state machine: fault table', () => {
  it.each(CASES)('$name', async ({ plan, chain, running }) => {
    const result = await deploy(plan);
    expect(result.chain).toEqual(chain);
    expect(result.running).toBe(running);
    expect(result.journal.active).toBeNull();
    expect(result.journal.finished).toEqual(['rollout-1']);
    // Seq numbers: one per message, in order, never reused across restarts.
    expect(result.journal.outbox.map((m) => m.seq)).toEqual(chain.map((_, i) => i));
  });

  it('covers every phase with an error and a crash', () => {
    const phases = ['downloading', 'verifying', 'loading', 'switching', 'probation', 'rolling-back'] as const;
    for (const phase of phases) {
      for (const fault of ['error', 'crash'] as const) {
        expect(CASES.some((c) => c.plan[phase]?.fault === fault && c.name === `${fault} in ${phase}`)).toBe(
          true,
        );
      }
    }
  });

  it('a refusal found while downloading (the manifest is checked first) is reported as refused with its reason', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'edgewatt-machine-'));
    dirs.push(stateDir);
    const device = new FakeDevice();
    const effects = fakeEffects(device, {});
    effects.download = async () => {
      throw new DeploymentRefusal('wrong-board', 'model is for jetson-nano; this device is rpi4');
    };
    const journal = new JournalStore(stateDir);
    const machine = new DeploymentMachine({
      device: 'pi-01',
      journal,
      effects,
      maxAttempts: 3,
      onMessage: () => undefined,
    });
    expect(await machine.run({ payload: '{}', assignment: ASSIGNMENT }, new AbortController().signal)).toBe(
      'refused',
    );
    const last = journal.journal.outbox.at(-1);
    expect(last).toMatchObject({
      state: 'refused',
      reason: 'wrong-board',
      detail: 'model is for jetson-nano; this device is rpi4',
    });
    expect(device.running).toBe(OLD);
  });

  it('an abort before the switch fails the deployment; after it, rolls back', async () => {
    for (const [phase, expected] of [
      ['downloading', ['downloading#1', 'failed(aborted)#1']],
      ['probation', [...HAPPY.slice(0, 5), 'rolling-back(aborted)#1', 'rolled-back(aborted)#1']],
    ] as const) {
      const stateDir = mkdtempSync(join(tmpdir(), 'edgewatt-machine-'));
      dirs.push(stateDir);
      const device = new FakeDevice();
      const journal = new JournalStore(stateDir);
      const abort = new AbortController();
      const effects = fakeEffects(device, {});
      const wait = (step: StepContext) =>
        new Promise<never>((_resolve, reject) => {
          step.signal.addEventListener('abort', () => reject(new Error('aborted')));
          entered();
        });
      if (phase === 'downloading') effects.download = wait;
      else effects.probation = wait;
      const machine = new DeploymentMachine({
        device: 'pi-01',
        journal,
        effects,
        maxAttempts: 3,
        onMessage: () => undefined,
      });
      let entered: () => void = () => undefined;
      const waiting = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const run = machine.run({ payload: '{}', assignment: ASSIGNMENT }, abort.signal);
      await waiting;
      abort.abort();
      await run;
      expect(
        journal.journal.outbox.map(
          (m) => `${m.state}${m.reason === undefined ? '' : `(${m.reason})`}#${m.attempt}`,
        ),
      ).toEqual(expected);
      expect(device.running).toBe(OLD);
    }
  });
});
