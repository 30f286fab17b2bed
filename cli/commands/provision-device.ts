// `edgewatt provision-device <id>`: a device's broker credentials (a mosquitto_passwd-compatible
// PBKDF2-SHA512 entry), its ACL block (publish only under its own id, read only its own commands)
// and its agent config file. Re-provisioning a device replaces its entry and block (new password).

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { writeFileAtomicSync } from '../../common/files.js';
import { buildTopic, idProblem } from '../../protocol/index.js';
import { ConfigError, resolveConfig } from '../config.js';
import {
  ACL_TEMPLATE,
  aclBlock,
  mosquittoPasswordHash,
  replaceAclBlock,
  replacePasswordEntry,
} from './provision-files.js';

const id = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} ${problem}` });
});

export const provisionSchema = z.object({
  fleet: id.default('default'),
  broker: z
    .string()
    .regex(/^(mqtts?|wss?|tcp):\/\/.+/, 'must be a broker URL such as mqtts://broker.lan:8883')
    .default('mqtt://127.0.0.1:1883'),
  out: z.string().min(1).default('.edgewatt/provision'),
  passwordFile: z.string().min(1).optional(),
  aclFile: z.string().min(1).optional(),
  username: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ -')
    .optional(),
  sensor: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  trustedKey: z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
});

export function provisionDeviceCommand(): Command {
  return new Command('provision-device')
    .description("create a device's broker credentials, its Mosquitto ACL lines and its agent config file")
    .argument('<id>', 'device id (1-64 of A-Z a-z 0-9 . _ -)')
    .option('--fleet <id>', 'fleet id (default: default)')
    .option('--broker <url>', 'broker URL the agent will use (default: mqtt://127.0.0.1:1883)')
    .option('--out <dir>', 'where files are written (default: .edgewatt/provision)')
    .option(
      '--password-file <path>',
      'mosquitto password_file to add the device to (default: <out>/mosquitto.passwd)',
    )
    .option('--acl-file <path>', 'mosquitto acl_file to add the device to (default: <out>/mosquitto.acl)')
    .option('--username <name>', 'broker user name (default: <fleet>.<device>)')
    .option('--sensor <kind[:board]>', "written into the agent's config")
    .option('--model <path>', "written into the agent's config")
    .option(
      '--trusted-key <pem>',
      "public key (path on the board) that signs the fleet's models, written into the agent's config",
    )
    .option('--ca <file>', 'CA certificate path the agent will trust for mqtts://')
    .option('--config <path>', 'JSON config file (section "provision-device")')
    .action(async (device: string, _options, command: Command) => {
      const problem = idProblem(device);
      if (problem !== null) throw new ConfigError(`device id ${JSON.stringify(device)} ${problem}`);
      const config = resolveConfig(provisionSchema, 'provision-device', command);
      const out = resolve(config.out);
      mkdirSync(out, { recursive: true });
      const username = config.username ?? `${config.fleet}.${device}`;
      const password = randomBytes(24).toString('base64url');
      const passwordFile = resolve(config.passwordFile ?? join(out, 'mosquitto.passwd'));
      const aclFile = resolve(config.aclFile ?? join(out, 'mosquitto.acl'));
      const agentFile = join(out, `${config.fleet}.${device}.agent.json`);

      const passwd = existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8') : '';
      writeSecret(passwordFile, replacePasswordEntry(passwd, username, mosquittoPasswordHash(password)));
      const acl = existsSync(aclFile) ? readFileSync(aclFile, 'utf8') : ACL_TEMPLATE;
      mkdirSync(dirname(aclFile), { recursive: true });
      writeFileAtomicSync(
        aclFile,
        replaceAclBlock(acl, config.fleet, device, aclBlock(config.fleet, device, username)),
      );
      const agent = {
        agent: {
          broker: config.broker,
          fleet: config.fleet,
          device,
          username,
          password,
          ...(config.sensor === undefined ? {} : { sensor: config.sensor }),
          ...(config.model === undefined ? {} : { model: config.model }),
          ...(config.trustedKey === undefined ? {} : { trustedKey: config.trustedKey }),
          ...(config.ca === undefined ? {} : { ca: config.ca }),
        },
      };
      writeSecret(agentFile, `${JSON.stringify(agent, null, 2)}\n`);
      process.stdout.write(
        [
          `provisioned ${config.fleet}/${device} as broker user ${username}`,
          `  password file  ${passwordFile}  (entry added or replaced)`,
          `  ACL file       ${aclFile}  (may publish ${buildTopic({ fleet: config.fleet, device, kind: 'inference' })}, ...)`,
          `  agent config   ${agentFile}  (mode 600; holds the password: copy it to the board only)`,
          'Mosquitto reloads password and ACL files on SIGHUP: kill -HUP $(pidof mosquitto)',
          `On the board: edgewatt agent --config ${agentFile.split('/').pop()}`,
          '',
        ].join('\n'),
      );
    });
}

/** Written atomically and readable by the owner only. */
function writeSecret(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, text);
  chmodSync(path, 0o600);
}
