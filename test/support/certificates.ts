// Test certificates made with openssl: a CA, a server certificate it signs for 127.0.0.1 and
// localhost, and optionally a second CA that signed nothing (for "untrusted server" cases).

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  ca: string;
  cert: string;
  key: string;
  /** A CA nobody signed the server with; present when asked for. */
  otherCa?: string;
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

function selfSignedCa(dir: string, name: string, subject: string): string {
  const crt = join(dir, `${name}.crt`);
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    subject,
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    crt,
  );
  return crt;
}

/** Writes ca.crt, server.crt and server.key (and other.crt with `withOtherCa`) into `dir`. */
export function makeTestCertificates(dir: string, options: { withOtherCa?: boolean } = {}): TestCertificates {
  const file = (name: string) => join(dir, name);
  const ca = selfSignedCa(dir, 'ca', '/CN=edgewatt test CA');
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  );
  writeFileSync(file('san.ext'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    ca,
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('san.ext'),
    '-out',
    file('server.crt'),
  );
  const certificates: TestCertificates = { ca, cert: file('server.crt'), key: file('server.key') };
  if (options.withOtherCa === true) certificates.otherCa = selfSignedCa(dir, 'other', '/CN=other CA');
  return certificates;
}
