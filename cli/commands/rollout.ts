// `edgewatt rollout start|status|pause|resume|abort`: rollouts through the collector's HTTP API
// (its --http, with its --api-token). status shows each group's progress, each device's phase and
// the rollout's log, health-gate numbers included.

import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Command } from 'commander';
import { EdgewattError } from '../../common/errors.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { rolloutActionSchema, rolloutStartSchema, rolloutStatusSchema } from '../schemas/deploy.js';
import { renderTable } from '../table.js';

export class RolloutApiError extends EdgewattError {
  override readonly name = 'RolloutApiError';
}

interface ApiConfig {
  api: string;
  apiToken: string;
  apiCa?: string | undefined;
}

/** One JSON request to the collector; the answer's JSON, or a RolloutApiError with its message. */
export function callApi(
  config: ApiConfig,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = new URL(path, config.api);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: {
          authorization: `Bearer ${config.apiToken}`,
          ...(text === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(config.apiCa === undefined ? {} : { ca: readFileSync(config.apiCa) }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = raw;
          try {
            parsed = JSON.parse(raw);
          } catch {
            // not JSON: keep the text for the message
          }
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const error = (parsed as { error?: string; hint?: string }) ?? {};
            reject(
              new RolloutApiError(`${method} ${url.pathname}: ${status} ${error.error ?? raw}`, {
                ...(error.hint === undefined ? {} : { hint: error.hint }),
              }),
            );
          } else resolve(parsed);
        });
      },
    );
    req.on('error', (error) =>
      reject(
        new RolloutApiError(`cannot reach the collector at ${config.api}: ${error.message}`, {
          hint: "check --api (the collector's --http)",
        }),
      ),
    );
    req.end(text);
  });
}

interface View {
  id: string;
  state: string;
  note: string | null;
  spec: { modelId: string };
  groups: { group: number; size: number; counts: Record<string, number> }[];
  devices: {
    fleet: string;
    device: string;
    group: number;
    phase: string;
    lastState: string | null;
    reason: string | null;
  }[];
  log: { atMs: number; line: string }[];
}

export function formatRollout(view: View): string {
  const lines = [
    `rollout ${view.id}: ${view.state}${view.note === null ? '' : ` — ${view.note}`}`,
    `model ${view.spec.modelId}`,
    '',
    renderTable(
      ['group', 'size', 'progress'],
      view.groups.map((g) => [
        String(g.group),
        String(g.size),
        Object.entries(g.counts)
          .map(([phase, n]) => `${n} ${phase}`)
          .join(', '),
      ]),
    ),
    '',
    renderTable(
      ['device', 'group', 'phase', 'reported', 'reason'],
      view.devices.map((d) => [
        `${d.fleet}/${d.device}`,
        String(d.group),
        d.phase,
        d.lastState ?? '-',
        d.reason ?? '',
      ]),
    ),
    '',
    'log:',
    ...view.log.map((l) => `  ${new Date(l.atMs).toISOString()}  ${l.line}`),
    '',
  ];
  return lines.join('\n');
}

const out = (text: string) => process.stdout.write(text);

export function rolloutCommand(): Command {
  const rollout = new Command('rollout').description(
    'deploy a model to devices in groups (canary first), judged on energy, latency and accuracy, rolled back on regression',
  );
  addSchemaOptions(rollout.command('start'), rolloutStartSchema, 'rollout')
    .description('start a rollout of a registry model to the selected devices')
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(rolloutStartSchema, 'rollout', command);
      const view = (await callApi(config, 'POST', '/v1/rollouts', {
        modelId: config.model,
        devices: config.devices,
        canary: config.canary,
        groups: config.groups,
        probationS: config.probation,
        successThreshold: config.successThreshold,
        errorThreshold: config.errorThreshold,
        minExecuted: config.minExecuted,
        inProgressTimeoutS: config.inProgressTimeout,
        gate: {
          enabled: config.gate === 'on',
          margin: config.gateMargin,
          accuracyMargin: config.gateAccuracyMargin,
          minRecords: config.gateMinRecords,
          preWindowS: config.gatePreWindow,
          graceS: config.gateGrace,
        },
      })) as View;
      out(config.json ? `${JSON.stringify(view, null, 2)}\n` : formatRollout(view));
    });
  addSchemaOptions(rollout.command('status'), rolloutStatusSchema, 'rollout')
    .description('one rollout in detail (groups, devices, log), or all rollouts')
    .argument('[id]', 'rollout id')
    .action(async (id: string | undefined, _options, command: Command) => {
      const config = await resolveConfig(rolloutStatusSchema, 'rollout', command);
      if (id === undefined) {
        const { rollouts } = (await callApi(config, 'GET', '/v1/rollouts')) as { rollouts: View[] };
        if (config.json) {
          out(`${JSON.stringify(rollouts, null, 2)}\n`);
          return;
        }
        out(
          `${renderTable(
            ['id', 'state', 'model', 'groups', 'note'],
            rollouts.map((r) => [
              r.id,
              r.state,
              r.spec.modelId.slice(0, 12),
              r.groups.map((g) => g.size).join('+'),
              r.note ?? '',
            ]),
          )}\n`,
        );
        return;
      }
      const view = (await callApi(config, 'GET', `/v1/rollouts/${encodeURIComponent(id)}`)) as View;
      out(config.json ? `${JSON.stringify(view, null, 2)}\n` : formatRollout(view));
    });
  for (const action of ['pause', 'resume', 'abort'] as const) {
    addSchemaOptions(rollout.command(action), rolloutActionSchema, 'rollout')
      .description(
        action === 'abort'
          ? 'abort a rollout: devices that took the model get a signed rollback to their previous one'
          : `${action} a rollout (no new group starts while paused)`,
      )
      .argument('<id>', 'rollout id')
      .action(async (id: string, _options, command: Command) => {
        const config = await resolveConfig(rolloutActionSchema, 'rollout', command);
        const view = (await callApi(
          config,
          'POST',
          `/v1/rollouts/${encodeURIComponent(id)}/${action}`,
          {},
        )) as View;
        out(config.json ? `${JSON.stringify(view, null, 2)}\n` : formatRollout(view));
      });
  }
  return rollout;
}
