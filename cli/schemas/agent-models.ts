// Agent options of model verification. The agent runs only signed models: by default those
// signed with the bundled zoo key (models/zoo/zoo.pub.pem), or with the keys given by
// --trusted-key (comma-separated; EDGEWATT_TRUSTED_KEY; config key "trustedKey", a string or a
// list). --allow-unsigned (EDGEWATT_ALLOW_UNSIGNED, "allowUnsigned") is the explicit opt-out for
// development; a manifest that is present must still match the bytes.

import { z } from 'zod';
import type { AgentConfig } from '../../agent/agent.js';
import { logger } from '../../common/logger.js';
import { findZoo } from '../../models/zoo/index.js';
import { list, onOff, option } from './fields.js';

const log = logger('cli.agent');

export const agentModelFields = {
  trustedKey: option(list(z.string().min(1)).default([]), {
    arg: 'pem',
    help: 'run only models signed with this ed25519 public key (from "edgewatt model keygen"); comma-separate several',
    defaultHelp: 'the bundled zoo key, models/zoo/zoo.pub.pem',
  }),
  allowUnsigned: onOff(
    'also run models without a signature (development only; a manifest, when present, must still match)',
  ),
};

export function modelTrustConfig(config: {
  trustedKey: string[];
  allowUnsigned: boolean;
}): Pick<AgentConfig, 'trustedKeys' | 'allowUnsigned'> {
  if (config.allowUnsigned)
    log.warn('--allow-unsigned: models without a signature will run (development only)');
  if (config.trustedKey.length > 0 || config.allowUnsigned)
    return { trustedKeys: config.trustedKey, allowUnsigned: config.allowUnsigned };
  const zoo = findZoo();
  return { trustedKeys: zoo === null ? [] : [zoo.publicKeyPath], allowUnsigned: false };
}
