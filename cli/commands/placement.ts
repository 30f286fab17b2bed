// `edgewatt placement set|clear|status`: where devices run their inferences, through the
// collector's HTTP API (its --http, with its --api-token), which is the one writer of every
// device's retained cmd/placement command. `set auto` makes the collector compute each device's
// comparison basis (edge vs offload, gCO2e per inference, from the store where it has records)
// and re-publish it every --placement-basis-every; status shows each basis's age and sources.

import { Command } from 'commander';
import type { PlacementChange, PlacementStatus } from '../../collector/placement/index.js';
import { EdgewattError } from '../../common/errors.js';
import { PLACEMENTS } from '../../protocol/placement.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { placementClearSchema, placementSetSchema, placementStatusSchema } from '../schemas/placement.js';
import { renderTable } from '../table.js';
import { callApi } from './rollout.js';

export class PlacementArgumentError extends EdgewattError {
  override readonly name = 'PlacementArgumentError';
}

const out = (text: string) => process.stdout.write(text);

export function formatChanges(changes: readonly PlacementChange[]): string {
  return `${renderTable(
    ['device', 'before', 'now'],
    changes.map((c) => [
      `${c.fleet}/${c.device}`,
      c.before === null ? '-' : `${c.before.placement} (${c.before.owner})`,
      c.placement ?? 'cleared (its flags)',
    ]),
  )}\n`;
}

const grams = (g: number) => `${g !== 0 && Math.abs(g) < 1e-3 ? g.toExponential(2) : g.toPrecision(3)} g`;

function age(s: number): string {
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function formatStatus(devices: readonly PlacementStatus[]): string {
  if (devices.length === 0) return 'no device has a placement command: every device runs as its flags say\n';
  const rows = devices.map((d) => {
    const b = d.basis;
    const p = b?.provenance ?? null;
    const side = (source: string | undefined, n: number | undefined) =>
      source === undefined ? '?' : source === 'measured' ? `measured ${n}` : 'profile';
    return [
      `${d.fleet}/${d.device}`,
      d.placement,
      d.owner,
      d.arm === null ? '' : `${d.experiment}/${d.arm}`,
      b === null
        ? d.placement === 'auto'
          ? 'none'
          : ''
        : `edge ${grams(b.edgeG)} vs offload ${grams(b.offloadG)} → ${b.offloadG < b.edgeG ? 'offload' : 'edge'}`,
      b === null ? '' : age(b.ageS),
      p === null
        ? ''
        : `edge ${side(p.edgeSource, p.edgeRecords)}, offload ${side(p.offloadSource, p.offloadRecords)}`,
      d.basisProblem ?? '',
    ];
  });
  return `${renderTable(['device', 'mode', 'owner', 'experiment/arm', 'basis', 'age', 'sources', 'problem'], rows)}\n`;
}

export function placementCommand(): Command {
  const placement = new Command('placement').description(
    'where devices run inferences (edge, offload, auto by the comparison the collector keeps fresh), through the collector',
  );
  addSchemaOptions(placement.command('set'), placementSetSchema, 'placement')
    .description(
      'set the selected devices to edge, offload or auto (auto: the collector sends each its comparison basis and refreshes it)',
    )
    .argument('<mode>', PLACEMENTS.join('|'))
    .action(async (mode: string, _options, command: Command) => {
      if (!(PLACEMENTS as readonly string[]).includes(mode))
        throw new PlacementArgumentError(
          `placement ${JSON.stringify(mode)} is not one of ${PLACEMENTS.join(', ')}`,
        );
      const config = await resolveConfig(placementSetSchema, 'placement', command);
      const answer = (await callApi(config, 'POST', '/v1/placement', {
        devices: config.devices,
        placement: mode,
        ...(config.server === undefined ? {} : { server: config.server }),
        ...(config.reason === undefined ? {} : { reason: config.reason }),
        force: config.force,
      })) as { changes: PlacementChange[] };
      out(config.json ? `${JSON.stringify(answer, null, 2)}\n` : formatChanges(answer.changes));
    });
  addSchemaOptions(placement.command('clear'), placementClearSchema, 'placement')
    .description("clear the selected devices' commands: each goes back to its own --placement flags")
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(placementClearSchema, 'placement', command);
      const answer = (await callApi(config, 'POST', '/v1/placement/clear', {
        devices: config.devices,
        force: config.force,
      })) as { changes: PlacementChange[] };
      out(config.json ? `${JSON.stringify(answer, null, 2)}\n` : formatChanges(answer.changes));
    });
  addSchemaOptions(placement.command('status'), placementStatusSchema, 'placement')
    .description(
      'each device with a command: mode, owner (operator or experiment), auto basis with its age and sources',
    )
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(placementStatusSchema, 'placement', command);
      const answer = (await callApi(config, 'GET', '/v1/placement')) as { devices: PlacementStatus[] };
      out(config.json ? `${JSON.stringify(answer.devices, null, 2)}\n` : formatStatus(answer.devices));
    });
  return placement;
}
