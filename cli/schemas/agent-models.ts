// Agent options of model verification: the ed25519 public keys whose signatures the agent
// trusts. Given one or more, the agent runs only models whose manifest one of them signed and
// refuses unsigned or tampered ones; given none, unsigned models run too. Also EDGEWATT_TRUSTED_KEY
// (comma-separated) and the config-file key "trustedKey" (a string or a list).

import type { Command } from 'commander';
import { z } from 'zod';
import type { AgentConfig } from '../../agent/agent.js';

export const agentModelFields = {
  trustedKey: z
    .preprocess(
      (value) => (typeof value === 'string' ? value.split(',').filter((part) => part.trim() !== '') : value),
      z.array(z.string().min(1)),
    )
    .default([]),
};

export function addAgentModelOptions(command: Command): Command {
  return command.option(
    '--trusted-key <pem>',
    'trust models signed with this ed25519 public key (from "edgewatt model keygen"); comma-separate several. ' +
      'When given, unsigned or tampered models are refused',
  );
}

export function modelTrustConfig(config: { trustedKey: string[] }): Pick<AgentConfig, 'trustedKeys'> {
  return { trustedKeys: config.trustedKey };
}
