// `edgewatt model keygen|sign|verify`: ed25519 keys for model manifests, signing, and the same
// verification the agent makes before it runs a model.

import type { Command } from 'commander';
import { EdgewattError } from '../../common/errors.js';
import { generateKeys, readPrivateKey, signArtifactDir } from '../../models/sign/keys.js';
import { loadTrustedKey, verifyModelArtifact } from '../../protocol/manifest/index.js';
import { resolveConfig } from '../config.js';
import { addSchemaOptions } from '../options.js';
import { modelKeygenSchema, modelSignSchema, modelVerifySchema } from '../schemas/model.js';

const out = (text: string) => process.stdout.write(text);

class ModelsRefusedError extends EdgewattError {
  override readonly name = 'ModelsRefusedError';
}

export function addKeyCommands(model: Command): void {
  addSchemaOptions(model.command('keygen'), modelKeygenSchema, 'model')
    .description('make an ed25519 key pair: <out>.key.pem (private, mode 0600) and <out>.pub.pem')
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(modelKeygenSchema, 'model', command);
      const keys = await generateKeys(config.out);
      out(
        `private key ${keys.privateKeyPath} (keep it secret), public key ${keys.publicKeyPath}, key id ${keys.keyId}\n`,
      );
      out(`agents trust it with: edgewatt agent --trusted-key ${keys.publicKeyPath} ...\n`);
    });

  addSchemaOptions(model.command('sign'), modelSignSchema, 'model')
    .description("sign models' manifest.json with an ed25519 private key (writes manifest.sig)")
    .argument('<models...>', 'model folders')
    .action(async (paths: string[], _options, command: Command) => {
      const config = await resolveConfig(modelSignSchema, 'model', command);
      const key = await readPrivateKey(config.key);
      for (const dir of paths) {
        await verifyModelArtifact(dir, { keys: [], requireSigned: false });
        const signature = await signArtifactDir(dir, key, { coSign: config.coSign });
        out(`${dir}: ${config.coSign ? 'co-signed' : 'signed'} by ${signature.keyId}\n`);
      }
    });

  addSchemaOptions(model.command('verify'), modelVerifySchema, 'model')
    .description('check models as the agent does: hash against manifest, signature by a trusted key')
    .argument('<models...>', 'model folders')
    .action(async (paths: string[], _options, command: Command) => {
      const config = await resolveConfig(modelVerifySchema, 'model', command);
      const keys = config.trustedKey.map(loadTrustedKey);
      let failed = 0;
      for (const dir of paths) {
        try {
          const { artifact, manifest, signedBy } = await verifyModelArtifact(dir, {
            keys,
            requireSigned: true,
          });
          out(`OK ${dir}: ${manifest?.variant} ${artifact.id}, signed by ${signedBy}\n`);
        } catch (error) {
          failed++;
          out(`REFUSED ${dir}: ${(error as Error).message}\n`);
        }
      }
      if (failed > 0)
        throw new ModelsRefusedError(`${failed} of ${paths.length} model(s) refused (see above)`);
    });
}
