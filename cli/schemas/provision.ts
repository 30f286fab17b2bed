// Option schema of `edgewatt provision-device <id>`. Flags, help, EDGEWATT_* variables and config keys derive from it.

import { z } from 'zod';
import { idProblem } from '../../protocol/index.js';
import { option } from './fields.js';

const id = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} ${problem}` });
});

export const provisionSchema = z.object({
  fleet: option(id.default('default'), { arg: 'id', help: 'fleet id' }),
  broker: option(
    z
      .string()
      .regex(/^(mqtts?|wss?|tcp):\/\/.+/, 'must be a broker URL such as mqtts://broker.lan:8883')
      .default('mqtt://127.0.0.1:1883'),
    { arg: 'url', help: 'broker URL the agent will use' },
  ),
  out: option(z.string().min(1).default('.edgewatt/provision'), {
    arg: 'dir',
    help: 'where files are written',
  }),
  passwordFile: option(z.string().min(1).optional(), {
    arg: 'path',
    help: 'mosquitto password_file to add the device to',
    defaultHelp: '<out>/mosquitto.passwd',
  }),
  aclFile: option(z.string().min(1).optional(), {
    arg: 'path',
    help: 'mosquitto acl_file to add the device to',
    defaultHelp: '<out>/mosquitto.acl',
  }),
  username: option(
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ -')
      .optional(),
    { arg: 'name', help: 'broker user name', defaultHelp: '<fleet>.<device>' },
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
