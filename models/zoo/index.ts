// The committed model zoo (models/zoo/): small trained and pruned artifacts, signed, that
// `npm start` runs side by side without training anything. zoo.json names the base model, its
// pruned variants and the public key that verifies them; README.md says how they were made.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const zooIndexSchema = z.strictObject({
  publicKey: z.string(),
  base: z.string(),
  variants: z.array(z.string()),
});

export interface Zoo {
  dir: string;
  publicKeyPath: string;
  base: { variant: string; dir: string };
  variants: { variant: string; dir: string }[];
}

/** models/zoo next to this module (sources run with tsx) or in the repository above dist/. */
function candidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [here, join(here, '..', '..', '..', 'models', 'zoo')];
}

/** The zoo, or null when it is not there (e.g. an npm install without the repository). */
export function findZoo(dirs: readonly string[] = candidates()): Zoo | null {
  for (const dir of dirs) {
    const indexPath = join(dir, 'zoo.json');
    if (!existsSync(indexPath)) continue;
    const index = zooIndexSchema.parse(JSON.parse(readFileSync(indexPath, 'utf8')));
    const entry = (variant: string) => ({ variant, dir: join(dir, variant) });
    return {
      dir,
      publicKeyPath: join(dir, index.publicKey),
      base: entry(index.base),
      variants: index.variants.map(entry),
    };
  }
  return null;
}
