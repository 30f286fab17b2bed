// Downloads an artifact's files from the registry over HTTP(S) into a partial folder, resuming
// each file with a Range request from the bytes already on disk (a crash or a power loss costs
// only what was not yet written). Sizes are bounded before the transfer (Content-Length) and
// during it (the transfer is cut as soon as more bytes arrive than declared): the endless-data
// attack. Hashes are checked later, by the verifying state, over the files on disk.
// It uses node:http(s), loaded with this module at start, not fetch(): Node compiles fetch's
// undici bundle at the first call, 17–25 ms on the event loop here, and that call was the first
// deployment's first download, so the first switch of a process paused serving for two or three
// inference slots (bench:deploy; test/agent-deploy/switch-modules.int.test.ts).

import { mkdirSync, statSync, truncateSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../../common/logger.js';
import { artifactUrl, DeploymentRefusal } from '../../protocol/deploy/index.js';
import { unsafePathProblem } from '../../protocol/manifest/bounded-read.js';
import { backoffDelayMs, DEFAULT_BACKOFF } from '../publish/backoff.js';

const log = logger('agent.deploy');

/** Bytes between fsyncs of a file being downloaded: what a power loss can cost at most. */
const SYNC_EVERY_BYTES = 1024 * 1024;
/** Transfers of one file tried before the download fails (network errors and 5xx only). */
export const DOWNLOAD_TRIES = 5;

export interface RegistryAccess {
  baseUrl: string;
  /** HTTP Basic credentials: the device's broker user name and password. */
  username?: string;
  password?: string;
  /** Time one request may take without a byte arriving. */
  idleTimeoutMs?: number;
}

export interface FileToFetch {
  path: string;
  /** Exact size declared (manifest), or the most bytes accepted when `exact` is false. */
  bytes: number;
  exact: boolean;
}

/** A failure that another try may cure (network, 5xx) or not (4xx, sizes): decides the retry. */
class TransferError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

function authorization(access: RegistryAccess): Record<string, string> {
  if (access.username === undefined) return {};
  const token = Buffer.from(`${access.username}:${access.password ?? ''}`).toString('base64');
  return { authorization: `Basic ${token}` };
}

function sizeOnDisk(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Fetches `file` of `modelId` into `dir`, resuming from what is on disk. Returns its size.
 * Throws DeploymentRefusal('too-large') when the registry offers or sends more than allowed,
 * and a TransferError for the rest.
 */
async function fetchOnce(
  access: RegistryAccess,
  modelId: string,
  file: FileToFetch,
  dir: string,
  signal: AbortSignal,
  onBytes: (added: number) => void,
): Promise<number> {
  const target = join(dir, file.path);
  mkdirSync(dirname(target), { recursive: true });
  // Metadata files (size not known in advance, a few KiB) are fetched whole every time.
  let have = file.exact ? sizeOnDisk(target) : 0;
  if (have > file.bytes) {
    truncateSync(target, 0); // more than may exist: not a prefix of the file, start again
    have = 0;
  }
  if (file.exact && have === file.bytes) return have;
  const url = artifactUrl(access.baseUrl, modelId, file.path);
  const controller = new AbortController();
  const abort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  const idleMs = access.idleTimeoutMs ?? 30_000;
  let idle = setTimeout(() => controller.abort(new Error(`no byte for ${idleMs} ms`)), idleMs);
  try {
    const response = await get(
      url,
      { ...authorization(access), ...(have > 0 ? { range: `bytes=${have}-` } : {}) },
      controller.signal,
    ).catch((error: Error) => {
      throw new TransferError(`GET ${url}: ${whyBroken(controller.signal, error)}`, true);
    });
    const status = response.statusCode ?? 0;
    if (status !== 200 && status !== 206) {
      response.destroy();
      const retryable = status >= 500 || status === 408 || status === 429;
      const hint = status === 401 || status === 403 ? ' (check the device credentials)' : '';
      throw new TransferError(`GET ${url}: HTTP ${status}${hint}`, retryable);
    }
    const resumed = status === 206;
    const offset = resumed ? have : 0;
    if (resumed) {
      const range = /^bytes (\d+)-/.exec(response.headers['content-range'] ?? '');
      if (range === null || Number(range[1]) !== have) {
        response.destroy();
        throw new TransferError(`GET ${url}: 206 for another range than bytes=${have}-`, false);
      }
    }
    const length = Number(response.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(length) && offset + length > file.bytes) {
      response.destroy();
      throw new DeploymentRefusal(
        'too-large',
        `${file.path}: the registry offers ${offset + length} bytes, ${file.bytes} are declared`,
      );
    }
    const handle = await open(target, resumed ? 'a' : 'w');
    let written = offset;
    let unsynced = 0;
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        clearTimeout(idle);
        idle = setTimeout(() => controller.abort(new Error(`no byte for ${idleMs} ms`)), idleMs);
        if (written + chunk.byteLength > file.bytes) {
          // Cut at once: a hostile or broken registry must not fill the disk (endless data).
          response.destroy();
          throw new DeploymentRefusal(
            'too-large',
            `${file.path}: the registry sent more than the ${file.bytes} bytes declared`,
          );
        }
        await handle.write(chunk);
        written += chunk.byteLength;
        unsynced += chunk.byteLength;
        onBytes(chunk.byteLength);
        if (unsynced >= SYNC_EVERY_BYTES) {
          await handle.sync();
          unsynced = 0;
        }
      }
      await handle.sync();
    } catch (error) {
      if (error instanceof DeploymentRefusal) throw error;
      if (signal.aborted) throw signal.reason;
      throw new TransferError(
        `GET ${url}: transfer broke at byte ${written}: ${whyBroken(controller.signal, error)}`,
        true,
      );
    } finally {
      await handle.close();
    }
    if (file.exact && written !== file.bytes) {
      throw new TransferError(`GET ${url}: ended at byte ${written} of ${file.bytes}`, true);
    }
    return written;
  } finally {
    clearTimeout(idle);
    signal.removeEventListener('abort', abort);
  }
}

/**
 * Why a request broke: the idle timer's reason when it aborted it (node:http reports only
 * "aborted" or "The operation was aborted", where fetch() gave the abort's reason as the cause).
 */
function whyBroken(signal: AbortSignal, error: unknown): string {
  return signal.aborted && signal.reason instanceof Error ? signal.reason.message : (error as Error).message;
}

/** One GET: resolves with the response once its headers arrived; `signal` aborts it (and its body). */
function get(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const request = client.request(url, { headers, signal }, resolve);
    request.on('error', reject);
    request.end();
  });
}

export interface DownloadProgress {
  /** Bytes on disk for the files of this download so far. */
  bytes: number;
}

/**
 * Fetches every file into `dir`, each resumed from what is there, retrying network errors and 5xx
 * with back-off. Throws DeploymentRefusal: 'too-large' (sizes), 'download-failed' (after the tries,
 * or at once for 4xx and path problems).
 */
export async function downloadFiles(
  access: RegistryAccess,
  modelId: string,
  files: readonly FileToFetch[],
  dir: string,
  options: { signal: AbortSignal; onBytes?: (added: number) => void; tries?: number; retryMinMs?: number },
): Promise<number> {
  let total = 0;
  for (const file of files) {
    const problem = unsafePathProblem(file.path);
    if (problem !== null) {
      throw new DeploymentRefusal(
        'malformed',
        `the manifest lists ${JSON.stringify(file.path)}, which ${problem}`,
      );
    }
    const tries = options.tries ?? DOWNLOAD_TRIES;
    for (let attempt = 0; ; attempt++) {
      try {
        total += await fetchOnce(
          access,
          modelId,
          file,
          dir,
          options.signal,
          options.onBytes ?? (() => undefined),
        );
        break;
      } catch (error) {
        if (!(error instanceof TransferError)) throw error;
        if (!error.retryable || attempt + 1 >= tries) {
          throw new DeploymentRefusal('download-failed', error.message);
        }
        const delayMs = backoffDelayMs(attempt, { ...DEFAULT_BACKOFF, minMs: options.retryMinMs ?? 500 });
        log.warn(
          { file: file.path, err: error.message, retryInMs: Math.round(delayMs) },
          'download interrupted; resuming',
        );
        await sleep(delayMs, undefined, { signal: options.signal });
      }
    }
  }
  return total;
}

/** Bytes already on disk for these files (what a resumed download starts from). */
export function bytesOnDisk(files: readonly Pick<FileToFetch, 'path'>[], dir: string): number {
  return files.reduce((sum, file) => sum + sizeOnDisk(join(dir, file.path)), 0);
}
