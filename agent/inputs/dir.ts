// `--inputs dir:<path>`: the files of a folder, cycled in name order. PNG and JPEG images are
// resized to the model's input; `.json` files hold nested arrays. Files in a subfolder named by a
// class index (`<path>/3/shoe.png`) carry that label, so accuracy is measured; others have none.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { EdgewattError } from '../../common/errors.js';
import { decodeImageInput, decodeJsonInput, InputError } from '../../runtime/decode.js';
import { type InputSourceFactory, type LabelledValues, poolSource } from './source.js';

/** Files read at most (they are all decoded into tensors at start). */
export const MAX_DIR_FILES = 10_000;
const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.json']);

export class InputDirError extends EdgewattError {
  override readonly name = 'InputDirError';
}

function listFiles(dir: string, depth = 0): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (depth === 0) files.push(...listFiles(path, 1));
    } else if (EXTENSIONS.has(extname(name).toLowerCase())) files.push(path);
  }
  return files;
}

export function dirSource(path: string): InputSourceFactory {
  return async (context) => {
    let files: string[];
    try {
      files = listFiles(path).slice(0, MAX_DIR_FILES);
    } catch (error) {
      throw new InputDirError(`--inputs dir:${path}: ${(error as Error).message}`);
    }
    if (files.length === 0)
      throw new InputDirError(`--inputs dir:${path} holds no .png, .jpg, .jpeg or .json file`, {
        hint: 'put input files in the folder (or in class-index subfolders such as 0/, 1/ for labelled inputs)',
      });
    const items: LabelledValues[] = files.map((file) => {
      const bytes = new Uint8Array(readFileSync(file));
      try {
        const decoded =
          extname(file).toLowerCase() === '.json'
            ? decodeJsonInput(JSON.parse(Buffer.from(bytes).toString('utf8')), context.inputShape)
            : decodeImageInput(bytes, context.inputShape);
        if (decoded.count !== 1) throw new InputError('shape', `holds ${decoded.count} inputs; one per file`);
        const folder = basename(dirname(file));
        const label = dirname(file) !== path && /^\d+$/.test(folder) ? Number(folder) : null;
        return { values: decoded.values, label };
      } catch (error) {
        throw new InputDirError(`--inputs dir: ${file}: ${(error as Error).message}`);
      }
    });
    return poolSource('dir', items, context);
  };
}
