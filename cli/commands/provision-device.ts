// `edgewatt provision-device <id>` (or `--csv devices.csv` for many): each device's broker
// credentials (a mosquitto_passwd-compatible PBKDF2-SHA512 entry), its ACL block (publish only
// under its own id, read only its own commands) and its agent config file. Every device is checked
// first and the password and ACL files are written once; an existing device is replaced only with
// --force, and a user name that belongs to another device never (provision-plan.ts).

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { writeFileAtomicSync } from '../../common/files.js';
import { buildTopic, idProblem } from '../../protocol/index.js';
import { ConfigError, resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { provisionSchema } from '../schemas/provision.js';
import { agentSchema } from '../schemas.js';
import { type DeviceRow, parseDevicesCsv, provisionFleetProblem } from './provision-csv.js';
import { ACL_TEMPLATE, aclBlock, deviceMarker } from './provision-files.js';
import { type Principal, planProvisioning } from './provision-plan.js';

type ProvisionConfig = Awaited<ReturnType<typeof resolveConfig<typeof provisionSchema>>>;

export function provisionDeviceCommand(): Command {
  return addSchemaOptions(new Command('provision-device'), provisionSchema, 'provision-device')
    .description("create a device's broker credentials, its Mosquitto ACL lines and its agent config file")
    .argument('[id]', 'device id (1-64 of A-Z a-z 0-9 . _ -); or give --csv')
    .action(async (device: string | undefined, _options, command: Command) => {
      const config = await resolveConfig(provisionSchema, 'provision-device', command);
      const rows = devicesToProvision(device, config);
      const out = resolve(config.out);
      mkdirSync(out, { recursive: true });
      const passwordFile = resolve(config.passwordFile ?? join(out, 'mosquitto.passwd'));
      const aclFile = resolve(config.aclFile ?? join(out, 'mosquitto.acl'));
      const devices = rows.map((row) => ({
        row,
        username: config.username ?? `${row.fleet}.${row.device}`,
        password: randomBytes(24).toString('base64url'),
        agentFile: join(out, `${row.fleet}.${row.device}.agent.json`),
      }));
      const principals: Principal[] = devices.map(({ row, username, password }) => ({
        marker: deviceMarker(row.fleet, row.device),
        users: [{ username, password }],
        block: aclBlock(row.fleet, row.device, username),
        ...(row.source === '' ? {} : { source: row.source }),
      }));
      const files = planProvisioning(
        {
          passwd: existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8') : '',
          acl: existsSync(aclFile) ? readFileSync(aclFile, 'utf8') : ACL_TEMPLATE,
        },
        principals,
        { force: config.force, paths: { passwd: passwordFile, acl: aclFile } },
      );
      const existingAgentFiles = devices.filter((d) => existsSync(d.agentFile)).map((d) => d.agentFile);
      if (existingAgentFiles.length > 0 && !config.force) {
        throw new ConfigError(
          `agent config ${existingAgentFiles.slice(0, 3).join(', ')}${existingAgentFiles.length > 3 ? ` and ${existingAgentFiles.length - 3} more` : ''} already exists (another password and ACL file?); pass --force to replace it (the device gets a new password)`,
        );
      }
      writeSecret(passwordFile, files.passwd);
      mkdirSync(dirname(aclFile), { recursive: true });
      writeFileAtomicSync(aclFile, files.acl);
      for (const d of devices)
        writeSecret(d.agentFile, agentConfigText(config, d.row, d.username, d.password));
      const first = devices[0]?.row as DeviceRow;
      process.stdout.write(
        [
          ...devices.map((d) => `provisioned ${d.row.fleet}/${d.row.device} as broker user ${d.username}`),
          `  password file  ${passwordFile}  (${devices.length} entr${devices.length === 1 ? 'y' : 'ies'} added or replaced)`,
          `  ACL file       ${aclFile}  (may publish ${buildTopic({ fleet: first.fleet, device: first.device, kind: 'inference' })}, ...)`,
          devices.length === 1
            ? `  agent config   ${devices[0]?.agentFile}  (mode 600; holds the password: copy it to the board only)`
            : `  agent configs  ${out}/<fleet>.<device>.agent.json  (mode 600; each holds its password: copy it to its board only)`,
          'Mosquitto reloads password and ACL files on SIGHUP: kill -HUP $(pidof mosquitto)',
          `On the board: edgewatt agent --config ${basename(devices[0]?.agentFile ?? '')}`,
          '',
        ].join('\n'),
      );
    });
}

/** The one device of the command line, or the rows of --csv (not both). */
function devicesToProvision(device: string | undefined, config: ProvisionConfig): DeviceRow[] {
  if (config.csv !== undefined) {
    if (device !== undefined)
      throw new ConfigError(`give a device id or --csv, not both (got ${device} and --csv ${config.csv})`);
    if (config.username !== undefined)
      throw new ConfigError('--username names one device; it cannot be used with --csv');
    const rows = parseDevicesCsv(readFileSync(config.csv, 'utf8'), basename(config.csv));
    // Options given on the command line fill the columns a row leaves empty.
    return rows.map((row) => ({
      ...row,
      ...(row.sensor === undefined && config.sensor !== undefined ? { sensor: config.sensor } : {}),
      ...(row.model === undefined && config.model !== undefined ? { model: config.model } : {}),
    }));
  }
  if (device === undefined) throw new ConfigError('give a device id, or --csv <file> for many devices');
  const problem = idProblem(device);
  if (problem !== null) throw new ConfigError(`device id ${JSON.stringify(device)} ${problem}`);
  const fleetProblem = provisionFleetProblem(config.fleet);
  if (fleetProblem !== null)
    throw new ConfigError(`fleet id ${JSON.stringify(config.fleet)} ${fleetProblem}`);
  return [
    {
      fleet: config.fleet,
      device,
      ...(config.sensor === undefined ? {} : { sensor: config.sensor }),
      ...(config.model === undefined ? {} : { model: config.model }),
      source: '',
    },
  ];
}

function agentConfigText(
  config: ProvisionConfig,
  row: DeviceRow,
  username: string,
  password: string,
): string {
  // A board column goes into the sensor spec (kind:board); an agent that takes --board gets it as well.
  const board = row.board !== undefined && 'board' in agentSchema.shape ? { board: row.board } : {};
  const agent = {
    agent: {
      broker: config.broker,
      fleet: row.fleet,
      device: row.device,
      username,
      password,
      ...(row.sensor === undefined ? {} : { sensor: row.sensor }),
      ...board,
      ...(row.model === undefined ? {} : { model: row.model }),
      ...(config.trustedKey === undefined ? {} : { trustedKey: config.trustedKey }),
      ...(config.ca === undefined ? {} : { ca: config.ca }),
    },
  };
  return `${JSON.stringify(agent, null, 2)}\n`;
}

/** Written atomically and readable by the owner only. */
export function writeSecret(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, text);
  chmodSync(path, 0o600);
}
