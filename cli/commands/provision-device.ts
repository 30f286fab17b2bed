// `edgewatt provision-device <id>`: a device's broker credentials (a mosquitto_passwd-compatible
// PBKDF2-SHA512 entry), its ACL block (publish only under its own id, read only its own commands)
// and its agent config file. Re-provisioning a device replaces its entry and block (new password).

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { writeFileAtomicSync } from '../../common/files.js';
import { buildTopic, idProblem } from '../../protocol/index.js';
import { ConfigError, resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { provisionSchema } from '../schemas/provision.js';
import {
  ACL_TEMPLATE,
  aclBlock,
  mosquittoPasswordHash,
  replaceAclBlock,
  replacePasswordEntry,
} from './provision-files.js';

export function provisionDeviceCommand(): Command {
  return addSchemaOptions(new Command('provision-device'), provisionSchema, 'provision-device')
    .description("create a device's broker credentials, its Mosquitto ACL lines and its agent config file")
    .argument('<id>', 'device id (1-64 of A-Z a-z 0-9 . _ -)')
    .action(async (device: string, _options, command: Command) => {
      const problem = idProblem(device);
      if (problem !== null) throw new ConfigError(`device id ${JSON.stringify(device)} ${problem}`);
      const config = await resolveConfig(provisionSchema, 'provision-device', command);
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
