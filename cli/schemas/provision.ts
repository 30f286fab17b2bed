// Option schemas of `edgewatt provision-device <id>` and `provision-collector <id>`. Flags, help,
// EDGEWATT_* variables and config keys derive from them.

import { z } from 'zod';
import { idProblem } from '../../protocol/index.js';
import { int, onOff, option } from './fields.js';

const id = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} ${problem}` });
});

/** Where both commands write, and whether they may replace what is there. */
const fileFields = {
  out: option(z.string().min(1).default('.edgewatt/provision'), {
    arg: 'dir',
    help: 'where files are written',
  }),
  passwordFile: option(z.string().min(1).optional(), {
    arg: 'path',
    help: 'mosquitto password_file to add the users to',
    defaultHelp: '<out>/mosquitto.passwd',
  }),
  aclFile: option(z.string().min(1).optional(), {
    arg: 'path',
    help: 'mosquitto acl_file to add the ACL block to',
    defaultHelp: '<out>/mosquitto.acl',
  }),
  force: onOff(
    'replace a device or collector that is already provisioned (a new password: its config must be replaced)',
  ),
};

export const provisionSchema = z.object({
  fleet: option(id.default('default'), { arg: 'id', help: 'fleet id (no "." for provisioning)' }),
  csv: option(z.string().min(1).optional(), {
    arg: 'file',
    help: 'provision every device of a CSV file (columns fleet,device[,board,sensor,model]) instead of <id>',
  }),
  broker: option(
    z
      .string()
      .regex(/^(mqtts?|wss?|tcp):\/\/.+/, 'must be a broker URL such as mqtts://broker.lan:8883')
      .default('mqtt://127.0.0.1:1883'),
    { arg: 'url', help: 'broker URL the agent will use' },
  ),
  ...fileFields,
  username: option(
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ -')
      .optional(),
    { arg: 'name', help: 'broker user name (not with --csv)', defaultHelp: '<fleet>.<device>' },
  ),
  sensor: option(z.string().min(1).optional(), {
    arg: 'kind[:board]',
    help: "written into the agent's config",
  }),
  model: option(z.string().min(1).optional(), { arg: 'path', help: "written into the agent's config" }),
  trustedKey: option(z.string().min(1).optional(), {
    arg: 'pem',
    help: "public key (path on the board) that signs the fleet's models, written into the agent's config",
  }),
  ca: option(z.string().min(1).optional(), {
    arg: 'file',
    help: 'CA certificate path the agent will trust for mqtts://',
  }),
});

export const provisionCollectorSchema = z.object({
  broker: option(
    z
      .string()
      .regex(/^(mqtts?|wss?|tcp):\/\/.+/, 'must be a broker URL such as mqtts://broker.lan:8883')
      .default('mqtt://127.0.0.1:1883'),
    { arg: 'url', help: 'broker URL the collector will use' },
  ),
  connections: option(int({ min: 1, max: 64 }).default(1), {
    arg: 'n',
    help: 'MQTT connections of the collector (its --connections): one broker user each',
  }),
  sharedGroup: option(id.optional(), {
    arg: 'name',
    help: "written into the collector's config: the MQTT 5 shared-subscription group",
  }),
  ...fileFields,
});
