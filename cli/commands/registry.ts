// `edgewatt registry add <model-dir>` and `edgewatt registry list`: the collector's model registry,
// worked on directly in its --data-dir (the running collector serves what is added at once).

import { Command } from 'commander';
import { ModelRegistry } from '../../collector/deploy/registry.js';
import { loadTrustedKey } from '../../protocol/manifest/index.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { registryAddSchema, registryListSchema } from '../schemas/deploy.js';
import { renderTable } from '../table.js';

const out = (text: string) => process.stdout.write(text);

export function registryCommand(): Command {
  const registry = new Command('registry').description(
    "the collector's model registry: signed models stored by content hash, served to devices",
  );
  addSchemaOptions(registry.command('add'), registryAddSchema, 'registry')
    .description('verify signed model folders (signature, file hashes) and store them in the registry')
    .argument('<models...>', 'model folders (model.json, weights, manifest.json, manifest.sig)')
    .action(async (paths: string[], _options, command: Command) => {
      const config = await resolveConfig(registryAddSchema, 'registry', command);
      const keys = config.trustedKey.map(loadTrustedKey);
      const store = new ModelRegistry(config.dataDir);
      for (const path of paths) {
        const entry = await store.add(path, keys);
        out(
          `added ${path}: ${entry.variant} release ${entry.release} ${entry.modelId} (${entry.files.length} files, ${entry.artifactBytes} bytes, signed by ${entry.signedBy})\n`,
        );
      }
    });
  addSchemaOptions(registry.command('list'), registryListSchema, 'registry')
    .description('list the models in the registry')
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(registryListSchema, 'registry', command);
      const entries = await new ModelRegistry(config.dataDir).list();
      if (config.json) {
        out(`${JSON.stringify(entries, null, 2)}\n`);
        return;
      }
      if (entries.length === 0) {
        out(
          `no models in ${config.dataDir}/registry; add one with "edgewatt registry add <model-dir> --trusted-key <pem>"\n`,
        );
        return;
      }
      out(
        `${renderTable(
          ['model id', 'variant', 'release', 'bytes', 'boards', 'signed by', 'added'],
          entries.map((e) => [
            e.modelId,
            e.variant,
            String(e.release),
            String(e.artifactBytes),
            e.boards.join(',') || 'any',
            e.signedBy,
            e.addedAt,
          ]),
        )}\n`,
      );
    });
  return registry;
}
