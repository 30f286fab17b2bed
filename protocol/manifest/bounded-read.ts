// Reading the files of a model folder as untrusted input: only regular files inside the folder
// (a symlink may point elsewhere in it, never out of it), never more bytes than allowed, within a
// time bound. Before this, a manifest.json that was a FIFO hung a model swap for good and a
// weights.bin linked to /dev/zero read until memory ran out (issue 12, item 4).

import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { ModelLoadError, ModelVerificationError } from './errors.js';

/** Largest manifest.json read (a real one is a few KiB). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Largest manifest.sig read (a real one is under 300 bytes). */
export const MAX_SIGNATURE_BYTES = 64 * 1024;
/** Largest model file read when nothing declares its size (unsigned development models). */
export const MAX_MODEL_FILE_BYTES = 512 * 1024 * 1024;
/** Time one file may take to read. */
export const MODEL_FILE_READ_TIMEOUT_MS = 30_000;

/** Why a file path from a manifest or model.json is not a plain relative path inside the folder, or null. */
export function unsafePathProblem(path: string): string | null {
  if (path === '' || path.includes('\0')) return 'is empty or holds a NUL byte';
  if (isAbsolute(path) || /^[A-Za-z]:/.test(path)) return 'is absolute';
  const normalized = normalize(path);
  if (normalized === '..' || normalized.startsWith(`..${sep}`) || path.split(/[\\/]/).includes('..')) {
    return 'leaves the model folder (..)';
  }
  return null;
}

export interface BoundedReadOptions {
  /** Most bytes the file may have; a larger file is refused without reading it. */
  maxBytes: number;
  timeoutMs?: number;
}

/**
 * The bytes of `file` (relative to `dir`), or null when it does not exist. Throws
 * ModelVerificationError('unsafe-file') for a path leaving the folder, a link out of it, anything
 * but a regular file, or a file over `maxBytes`; ModelLoadError when the read takes too long.
 */
export async function readModelFile(
  dir: string,
  file: string,
  options: BoundedReadOptions,
): Promise<Buffer | null> {
  const problem = unsafePathProblem(file);
  if (problem !== null)
    throw new ModelVerificationError('unsafe-file', `${JSON.stringify(file)} ${problem}: refusing the model`);
  const path = join(dir, file);
  const link = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw new ModelLoadError(`cannot read ${path}: ${error.message}`);
  });
  if (link === null) return null;
  if (link.isSymbolicLink()) {
    const [target, root] = await Promise.all([realpath(path), realpath(dir)]);
    const inside = relative(root, target);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw new ModelVerificationError(
        'unsafe-file',
        `${path} links outside the model folder: refusing the model`,
      );
    }
  }
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new ModelVerificationError('unsafe-file', `${path} is not a regular file: refusing the model`);
    }
    if (info.size > options.maxBytes) {
      throw new ModelVerificationError(
        'unsafe-file',
        `${path} is ${info.size} bytes, more than the ${options.maxBytes} allowed: refusing the model`,
      );
    }
    const timeoutMs = options.timeoutMs ?? MODEL_FILE_READ_TIMEOUT_MS;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new ModelLoadError(`reading ${path} took more than ${timeoutMs} ms: giving up`)),
        timeoutMs,
      );
    });
    return await Promise.race([readAtMost(handle, options.maxBytes, path), timeout]);
  } finally {
    clearTimeout(timer);
    await handle.close();
  }
}

/** Reads to the end, refusing a file that grows past `maxBytes` while it is read. */
async function readAtMost(
  handle: Awaited<ReturnType<typeof open>>,
  maxBytes: number,
  path: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, maxBytes - total + 1));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > maxBytes) {
      throw new ModelVerificationError(
        'unsafe-file',
        `${path} holds more than ${maxBytes} bytes: refusing the model`,
      );
    }
    chunks.push(chunk.subarray(0, bytesRead));
  }
  return Buffer.concat(chunks, total);
}
