// Child process of bench/ingest.bench.ts: `edgewatt collector` exactly as the CLI builds it
// (same command, options and code path), started without the rest of the CLI's commands.

import { collectorCommand } from '../cli/commands/collector.js';

await collectorCommand().parseAsync(process.argv.slice(2), { from: 'user' });
