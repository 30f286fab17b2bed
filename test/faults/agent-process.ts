// `edgewatt agent` as its own process for the SIGKILL scenario, run from the TypeScript sources
// (node --import tsx) so it needs no build. Arguments are the agent command's flags.

import { agentCommand } from '../../cli/commands/agent.js';

await agentCommand().parseAsync(process.argv);
