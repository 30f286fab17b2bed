// A fleet for the deployment fault suites: signed models, the registry, an MQTT broker, the control
// side, and devices run as real `bin/edgewatt.js agent` processes with a deploy hook that injects
// a fault on entering a state: exit non-zero (an error), or hold the state until the test kills
// the agent with SIGKILL (a crash or power loss there).

import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../collector/broker/embedded.js';
import { loadRuntime } from '../../runtime/backend.js';
import { type Running, runCli } from '../support/process.js';
import { tempDir, waitFor } from '../support/stack.js';
import {
  assignmentFor,
  type Control,
  FLEET,
  type Keys,
  makeKeys,
  type Registry,
  startControl,
  startRegistry,
  writeModel,
} from './support.js';

export const CREDENTIALS = { username: 'pi-user', password: 'pi-secret-password' };

/** sh: FAULT_<state>=error|hold for the states to fault, on the attempts in FAULT_ATTEMPTS (default 1). */
const HOOK = `#!/bin/sh
var="FAULT_$(echo "$1" | tr - _)"
eval "kind=\\\${$var:-}"
[ -z "$kind" ] && exit 0
case ",\${FAULT_ATTEMPTS:-1}," in *",$EDGEWATT_DEPLOY_ATTEMPT,"*) ;; *) exit 0;; esac
if [ "$kind" = error ]; then echo "injected error in $1" >&2; exit 3; fi
touch "$FAULT_MARK-$1-$EDGEWATT_DEPLOY_ATTEMPT"
# Hold the state until the agent is gone (killed by the test).
while kill -0 "$PPID" 2>/dev/null; do sleep 0.05; done
exit 0
`;

type Model = Awaited<ReturnType<typeof writeModel>>;

export interface Fleet {
  dir: string;
  keys: Keys;
  broker: EmbeddedBroker;
  registry: Registry;
  control: Control;
  start: Model;
  next: Model;
  hook: string;
  close(): Promise<void>;
}

export async function startFleet(options: { wideNext?: boolean } = {}): Promise<Fleet> {
  const dir = tempDir('edgewatt-faults-');
  const { tf } = await loadRuntime('wasm');
  const keys = await makeKeys(dir.path);
  const start = await writeModel(tf, join(dir.path, 'start'), keys, { variant: 'tiny', seed: 1, release: 1 });
  const next = await writeModel(tf, join(dir.path, 'next'), keys, {
    variant: 'tiny',
    seed: 2,
    release: 2,
    ...(options.wideNext ? { wide: true } : {}),
  });
  const broker = await startEmbeddedBroker();
  const registry = await startRegistry(dir.path, CREDENTIALS);
  registry.add(next.id, next.dir);
  const control = await startControl(broker.url);
  const hook = join(dir.path, 'hook.sh');
  writeFileSync(hook, HOOK);
  chmodSync(hook, 0o755);
  return {
    dir: dir.path,
    keys,
    broker,
    registry,
    control,
    start,
    next,
    hook,
    close: async () => {
      await control.close();
      await registry.close();
      await broker.close();
      dir.remove();
    },
  };
}

export interface CliDevice {
  name: string;
  stateDir: string;
  run: Running;
  /** The file the hook touches when it holds `state` on `attempt`. */
  mark(state: string, attempt?: number): string;
}

/** Starts `edgewatt agent` for `name` on the fleet's start model, with deployments on and the fault hook. */
export function startCliDevice(fleet: Fleet, name: string, faults: Record<string, string> = {}): CliDevice {
  const stateDir = join(fleet.dir, 'devices', name);
  const markBase = join(fleet.dir, `mark-${name}`);
  const env: NodeJS.ProcessEnv = { FAULT_MARK: markBase, EDGEWATT_LOG_LEVEL: 'warn' };
  for (const [state, kind] of Object.entries(faults)) env[`FAULT_${state.replace('-', '_')}`] = kind;
  const run = runCli(
    [
      'agent',
      '--broker',
      fleet.broker.url,
      '--fleet',
      FLEET,
      '--device',
      name,
      '--username',
      CREDENTIALS.username,
      '--password',
      CREDENTIALS.password,
      '--sensor',
      'simulated:rpi4',
      '--model',
      fleet.start.dir,
      '--trusted-key',
      fleet.keys.modelPublicPath,
      '--deployment-trusted-key',
      fleet.keys.deploymentPublicPath,
      '--deploy-hook',
      fleet.hook,
      '--deploy-warmup',
      '2',
      '--warmup',
      '0',
      '--rate',
      '20',
      '--state-dir',
      stateDir,
    ],
    env,
  );
  return { name, stateDir, run, mark: (state, attempt = 1) => `${markBase}-${state}-${attempt}` };
}

/** Waits for the hook to hold `state`, then kills the agent with SIGKILL and waits for it to be gone. */
export async function killWhenHeld(device: CliDevice, state: string): Promise<void> {
  await waitFor(`${device.name} held in ${state}`, () => existsSync(device.mark(state)), 40_000).catch(
    (error: Error) => {
      throw new Error(`${error.message}; its stderr: ${device.run.stderr().slice(-2000)}`);
    },
  );
  device.run.child.kill('SIGKILL');
  const exit = await device.run.exited;
  if (exit.signal !== 'SIGKILL')
    throw new Error(`${device.name} exited with ${JSON.stringify(exit)}, not by SIGKILL`);
}

export const isTerminal = (chain: readonly string[]) =>
  chain.some((s) => /^(committed|rolled-back|failed|refused)/.test(s));

/** One row of the fault table: a fault injected in `state`, the chain of status messages expected. */
export interface FaultCase {
  state: string;
  fault: 'error' | 'kill';
  /** Hook faults of the first run: `hold` for the state killed in, `error` for an injected error. */
  hooks: Record<string, 'hold' | 'error'>;
  chain: string[];
  /** The model that serves at the end. */
  ends: 'next' | 'start';
}

const HAPPY = ['downloading#1', 'verifying#1', 'loading#1', 'switching#1', 'probation#1', 'committed#1'];
const AFTER_RESUME = ['verifying#2', 'loading#2', 'switching#2', 'probation#2', 'committed#2'];
const upTo = (state: string) => HAPPY.slice(0, HAPPY.indexOf(`${state}#1`) + 1);

/** Mender's table for our states: each × {error, kill}. Kill in downloading (mid-transfer) is its own test. */
export const FAULT_CASES: readonly FaultCase[] = [
  {
    state: 'downloading',
    fault: 'error',
    hooks: { downloading: 'error' },
    chain: ['downloading#1', 'failed(hook-failed)#1'],
    ends: 'start',
  },
  {
    state: 'verifying',
    fault: 'error',
    hooks: { verifying: 'error' },
    chain: [...upTo('verifying'), 'failed(hook-failed)#1'],
    ends: 'start',
  },
  {
    state: 'loading',
    fault: 'error',
    hooks: { loading: 'error' },
    chain: [...upTo('loading'), 'failed(hook-failed)#1'],
    ends: 'start',
  },
  {
    state: 'switching',
    fault: 'error',
    hooks: { switching: 'error' },
    chain: [...upTo('switching'), 'rolling-back(hook-failed)#1', 'rolled-back(hook-failed)#1'],
    ends: 'start',
  },
  {
    state: 'probation',
    fault: 'error',
    hooks: { probation: 'error' },
    chain: [...upTo('probation'), 'rolling-back(hook-failed)#1', 'rolled-back(hook-failed)#1'],
    ends: 'start',
  },
  {
    state: 'rolling-back',
    fault: 'error',
    hooks: { probation: 'error', 'rolling-back': 'error' },
    chain: [...upTo('probation'), 'rolling-back(hook-failed)#1', 'failed(hook-failed)#1'],
    ends: 'next',
  },
  {
    state: 'verifying',
    fault: 'kill',
    hooks: { verifying: 'hold' },
    chain: [...upTo('verifying'), ...AFTER_RESUME],
    ends: 'next',
  },
  {
    state: 'loading',
    fault: 'kill',
    hooks: { loading: 'hold' },
    chain: [...upTo('loading'), ...AFTER_RESUME],
    ends: 'next',
  },
  {
    state: 'switching',
    fault: 'kill',
    hooks: { switching: 'hold' },
    chain: [...upTo('switching'), ...AFTER_RESUME],
    ends: 'next',
  },
  {
    state: 'probation',
    fault: 'kill',
    hooks: { probation: 'hold' },
    chain: [...upTo('probation'), ...AFTER_RESUME],
    ends: 'next',
  },
  {
    state: 'rolling-back',
    fault: 'kill',
    hooks: { probation: 'error', 'rolling-back': 'hold' },
    chain: [
      ...upTo('probation'),
      'rolling-back(hook-failed)#1',
      'rolling-back(hook-failed)#2',
      'rolled-back(hook-failed)#2',
    ],
    ends: 'start',
  },
];

/** Time for a whole case on a loaded 2-core machine (two agent starts). */
export const CASE_TIMEOUT_MS = 120_000;

/**
 * Runs one case: a device deploys `next` with the case's hook faults; for a kill, SIGKILL while
 * held and a restart without faults. Returns the device's status chain and its last message.
 */
export async function runFaultCase(fleet: Fleet, c: FaultCase) {
  const name = `${c.fault}-${c.state}`;
  const first = startCliDevice(fleet, name, c.hooks);
  await fleet.control.assign(
    assignmentFor(name, fleet.next, fleet.registry, { deploymentId: `d-${name}` }),
    fleet.keys.deploymentKey,
  );
  let running = first;
  if (c.fault === 'kill') {
    await killWhenHeld(first, c.state);
    running = startCliDevice(fleet, name);
  }
  try {
    await waitFor(`${name} done`, () => isTerminal(fleet.control.chain(name)), 90_000);
    const chain = fleet.control.chain(name);
    // The device's retained status names the model that serves: the deployed one, or the start one.
    const serving = c.ends === 'next' ? fleet.next.id : fleet.start.id;
    await waitFor(
      `${name} status naming the model that serves`,
      () => fleet.control.statusModel(name) === serving,
      30_000,
    ).catch(() => undefined);
    return { chain, servingModelId: fleet.control.statusModel(name), expectedModelId: serving };
  } finally {
    running.run.child.kill('SIGTERM');
    await running.run.exited;
  }
}
