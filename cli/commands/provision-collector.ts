// `edgewatt provision-collector <id>`: a collector's own broker users, one per MQTT connection
// (deploy/mosquitto.conf sets use_username_as_clientid, so a user name is a client id and nobody
// else can take the collector's session), their ACL block (read every device's messages, write
// commands) and the collector's config file. Collector ids have no ".", so that no collector user
// can ever be a device's `<fleet>.<device>`.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { memberUsername } from '../../collector/collector.js';
import { writeFileAtomicSync } from '../../common/files.js';
import { idProblem } from '../../protocol/index.js';
import { ConfigError, resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { provisionCollectorSchema } from '../schemas/provision.js';
import { writeSecret } from './provision-device.js';
import { ACL_TEMPLATE, collectorAclBlock, collectorMarker } from './provision-files.js';
import { planProvisioning } from './provision-plan.js';

export function provisionCollectorCommand(): Command {
  return addSchemaOptions(new Command('provision-collector'), provisionCollectorSchema, 'provision-collector')
    .description(
      "create a collector's broker users (one per connection), its Mosquitto ACL block and its config file",
    )
    .argument('<id>', 'collector id, also its broker user and client id (1-64 of A-Z a-z 0-9 _ -, no ".")')
    .action(async (id: string, _options, command: Command) => {
      const problem =
        idProblem(id) ??
        (id.includes('.') ? 'may not contain "." (device users are <fleet>.<device>)' : null);
      if (problem !== null) throw new ConfigError(`collector id ${JSON.stringify(id)} ${problem}`);
      const config = await resolveConfig(provisionCollectorSchema, 'provision-collector', command);
      if (config.connections > 1 && config.sharedGroup === undefined) {
        throw new ConfigError(
          `--connections ${config.connections} needs --shared-group: a collector's connections split the load as members of a shared group`,
        );
      }
      const out = resolve(config.out);
      mkdirSync(out, { recursive: true });
      const passwordFile = resolve(config.passwordFile ?? join(out, 'mosquitto.passwd'));
      const aclFile = resolve(config.aclFile ?? join(out, 'mosquitto.acl'));
      const collectorFile = join(out, `${id}.collector.json`);
      if (existsSync(collectorFile) && !config.force)
        throw new ConfigError(
          `collector config ${collectorFile} already exists; pass --force to replace it (new password)`,
        );
      const password = randomBytes(24).toString('base64url');
      const usernames = Array.from({ length: config.connections }, (_, member) =>
        memberUsername(id, member, config.connections),
      );
      const files = planProvisioning(
        {
          passwd: existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8') : '',
          acl: existsSync(aclFile) ? readFileSync(aclFile, 'utf8') : ACL_TEMPLATE,
        },
        [
          {
            marker: collectorMarker(id),
            users: usernames.map((username) => ({ username, password })),
            block: collectorAclBlock(id, usernames),
          },
        ],
        { force: config.force, paths: { passwd: passwordFile, acl: aclFile } },
      );
      writeSecret(passwordFile, files.passwd);
      mkdirSync(dirname(aclFile), { recursive: true });
      writeFileAtomicSync(aclFile, files.acl);
      const collector = {
        collector: {
          broker: config.broker,
          username: id,
          password,
          clientId: id,
          ...(config.sharedGroup === undefined ? {} : { sharedGroup: config.sharedGroup }),
          ...(config.connections > 1 ? { connections: config.connections, usernamePerConnection: true } : {}),
        },
      };
      writeSecret(collectorFile, `${JSON.stringify(collector, null, 2)}\n`);
      process.stdout.write(
        [
          `provisioned collector ${id} as broker user${usernames.length > 1 ? 's' : ''} ${usernames.join(', ')}`,
          `  password file     ${passwordFile}  (entries added or replaced)`,
          `  ACL file          ${aclFile}  (reads edgewatt/v1/#, writes edgewatt/v1/+/+/cmd/#)`,
          `  collector config  ${collectorFile}  (mode 600; holds the password)`,
          'Mosquitto reloads password and ACL files on SIGHUP: kill -HUP $(pidof mosquitto)',
          `Run: edgewatt collector --config ${collectorFile} --store <url>`,
          '',
        ].join('\n'),
      );
    });
}
