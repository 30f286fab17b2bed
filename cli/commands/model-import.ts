// `edgewatt model import <file.onnx|tfjs-dir> --out <dir>`: writes the manifest of a model made
// elsewhere (models/artifact/import.ts), so that `model sign` signs it and agents run it.

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { importModel } from '../../models/artifact/import.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { modelImportSchema } from '../schemas/model.js';

const out = (text: string) => process.stdout.write(text);

/** `--labels @classes.txt` reads one name per line; otherwise the list as given. */
async function labelsOf(labels: string[] | undefined): Promise<string[] | undefined> {
  const [first] = labels ?? [];
  if (labels?.length !== 1 || first === undefined || !first.startsWith('@')) return labels;
  const lines = (await readFile(first.slice(1), 'utf8')).split(/\r?\n/).map((line) => line.trim());
  return lines.filter((line) => line !== '');
}

export function addImportCommand(model: Command): void {
  addSchemaOptions(model.command('import'), modelImportSchema, 'model')
    .description(
      'write the manifest of a model made elsewhere (ONNX file, TensorFlow.js folder) so that "model sign" can sign it',
    )
    .argument('<model>', 'a .onnx file, or a TensorFlow.js model folder (model.json + weights)')
    .action(async (source: string, _options, command: Command) => {
      const config = await resolveConfig(modelImportSchema, 'model', command);
      const { dir, manifest, format } = await importModel({
        source,
        out: config.out,
        name: config.name,
        architecture: config.architecture,
        inputShape: config.inputShape,
        labels: await labelsOf(config.labels),
        release: config.release,
      });
      const uncounted =
        manifest.flopsUncounted === undefined ? '' : ` (not counted: ${manifest.flopsUncounted.join(', ')})`;
      out(
        `${dir}: ${format} model ${manifest.variant} ${manifest.id.slice(0, 12)}, input [${manifest.inputShape.join(', ')}], ` +
          `${manifest.params} parameters, ${(manifest.flops / 1e6).toFixed(3)} M multiply-adds${uncounted}, ${manifest.artifactBytes} bytes\n`,
      );
      out(`manifest written; sign it with: edgewatt model sign --key <private.pem> ${dir}\n`);
    });
}
