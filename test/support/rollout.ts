// The set-up shared by the rollout integration tests and bench:rollout: the `edgewatt` CLI with the
// API token, a real `edgewatt collector` process with the registry and the rollout API, the rollout
// view read back from that API, and `rollout start` with the short probation and gate grace they use.

import { setTimeout as sleep } from 'node:timers/promises';
import { callApi } from '../../cli/commands/rollout.js';
import { freePort } from './ports.js';
import { type Running, runCli } from './process.js';

/** What `GET /v1/rollouts/:id` answers, as far as the tests read it. */
export interface RolloutView {
  id: string;
  state: string;
  note: string | null;
  devices: { device: string; phase: string }[];
  log: { line: string }[];
}

/** `edgewatt <args>` in `cwd` with the API token; its stdout, or an error with its stderr. */
export function rolloutCli(token: string, cwd: string): (args: string[]) => Promise<string> {
  return async (args) => {
    const run = runCli(args, { EDGEWATT_API_TOKEN: token }, cwd);
    const { code } = await run.exited;
    if (code !== 0) throw new Error(`edgewatt ${args.join(' ')} exited ${code}: ${run.stderr()}`);
    return run.stdout();
  };
}

/** `registry add` of the signed model folders in `cwd`, trusting model.pub.pem, into `data`. */
export const registryAddArgs = (folders: string[]): string[] => [
  'registry',
  'add',
  ...folders,
  '--trusted-key',
  'model.pub.pem',
  '--data-dir',
  'data',
];

export interface RolloutCollectorOptions {
  cwd: string;
  broker: string;
  token: string;
  /** The deployment signing key, relative to `cwd`. */
  deploymentKey: string;
  /** The broker's password file, whose users may download from the registry. */
  registryPasswd: string;
  /** Arguments before the common ones (e.g. `--config`). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * `edgewatt collector` with a SQLite store (`store.sqlite`), the registry in `data`, and the
 * rollout API on a free port; resolved once the API answers (within 20 s).
 */
export async function startRolloutCollector(
  o: RolloutCollectorOptions,
): Promise<{ collector: Running; api: string }> {
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const collector = runCli(
    [
      'collector',
      ...(o.args ?? []),
      '--broker',
      o.broker,
      '--store',
      'sqlite:store.sqlite',
      '--http',
      `127.0.0.1:${port}`,
      '--api-token',
      o.token,
      '--deployment-key',
      o.deploymentKey,
      '--registry-passwd',
      o.registryPasswd,
      '--data-dir',
      'data',
      '--stats-interval',
      '0',
    ],
    o.env ?? {},
    o.cwd,
  );
  const apiUp = () =>
    callApi({ api, apiToken: o.token }, 'GET', '/v1/rollouts').then(
      () => true,
      () => false,
    );
  for (let i = 0; i < 100 && !(await apiUp()); i++) await sleep(200);
  return { collector, api };
}

/** The rollout API of one collector: a rollout's view, and waiting for a condition on it. */
export function rolloutApi(api: string, token: string, diagnostics: () => string = () => '') {
  const status = (id: string) =>
    callApi({ api, apiToken: token }, 'GET', `/v1/rollouts/${id}`) as Promise<RolloutView>;
  const waitRollout = async (
    id: string,
    what: string,
    ok: (v: RolloutView) => boolean,
    timeoutMs = 30_000,
  ) => {
    let view = await status(id);
    const deadline = Date.now() + timeoutMs;
    while (!ok(view)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}: ${JSON.stringify(view.devices)}\n${view.log.map((l) => l.line).join('\n')}\n${diagnostics()}`,
        );
      }
      await sleep(200);
      view = await status(id);
    }
    return view;
  };
  return { status, waitRollout };
}

/**
 * `rollout start` of `model` to every device of fleet `lab`: one canary, probation 2 s, gate grace
 * 1 s; the timeouts and the gate's pre-window (and margin) as the test needs them.
 */
export function rolloutStartArgs(o: {
  api: string;
  model: string;
  inProgressTimeout: string;
  gatePreWindow: string;
  gateMargin?: string;
}): string[] {
  return [
    'rollout',
    'start',
    '--api',
    o.api,
    '--model',
    o.model,
    '--devices',
    'lab/*',
    '--canary',
    '1',
    '--probation',
    '2s',
    '--in-progress-timeout',
    o.inProgressTimeout,
    '--gate-grace',
    '1s',
    '--gate-pre-window',
    o.gatePreWindow,
    ...(o.gateMargin === undefined ? [] : ['--gate-margin', o.gateMargin]),
    '--json',
  ];
}
