// The crash tests' writer process: a script run under tsx that seals or appends and says so on
// stdout, killed with SIGKILL once it has said enough, so that the test can reopen what it wrote
// and compare with what it reported.

import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** `path` and `args` as `node --import tsx <path> ...args`; SIGKILL once `ready(stdout so far)`; returns stdout. */
export async function killWhenReady(
  path: string,
  args: string[],
  ready: (out: string) => boolean,
): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', path, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (ready(out)) {
        clearInterval(check);
        resolve();
      }
    }, 10);
    child.once('exit', (code) => {
      clearInterval(check);
      reject(new Error(`spool writer exited early with ${code}`));
    });
  });
  child.kill('SIGKILL');
  await once(child, 'exit');
  return out;
}

/** At least `count` lines written. */
export const linesAtLeast = (count: number) => (out: string) => (out.match(/\n/g)?.length ?? 0) >= count;

/** The `sealed <firstSeq> <count> <state>` lines of a spool writer (test/spool/spool-writer*.ts). */
export function sealedLines(out: string): { firstSeq: number; count: number; state: string | undefined }[] {
  return out
    .split('\n')
    .filter((line) => line.startsWith('sealed '))
    .map((line) => line.split(' '))
    .map(([, first, count, state]) => ({ firstSeq: Number(first), count: Number(count), state }));
}
