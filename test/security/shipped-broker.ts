// A real mosquitto running deploy/mosquitto.conf as shipped, with its listener moved to a free
// port and its password and ACL files to the test's: what an operator runs, in a temp dir.

import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';

export const SHIPPED_CONF = new URL('../../deploy/mosquitto.conf', import.meta.url);

export async function startShippedMosquitto(passwd: string, acl: string): Promise<Mosquitto> {
  const shipped = readFileSync(SHIPPED_CONF, 'utf8');
  return startMosquitto({
    config: (port, dir) =>
      [
        shipped
          .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
          .replaceAll('/etc/mosquitto/edgewatt.passwd', passwd)
          .replaceAll('/etc/mosquitto/edgewatt.acl', acl),
        // What Debian's packaged mosquitto.conf adds (persistence), and the test's user and log.
        `user ${userInfo().username}`,
        'persistence true',
        `persistence_location ${dir}/`,
        `log_dest file ${dir}/mosquitto.log`,
        'log_type error',
        'log_type warning',
        'log_type notice',
        '',
      ].join('\n'),
  });
}
