// The InfluxDB store against a real influxd with authentication and TLS (CA and server
// certificate made by openssl in the test): right credentials and a trusted CA write; a wrong
// password or an untrusted server keeps everything in the spool (retried, nothing dropped) until
// fixed.

import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InfluxStore, type InfluxStoreSettings } from '../../collector/store/influx.js';
import { makeRecord } from '../protocol/fixtures.js';
import { makeTestCertificates } from '../support/certificates.js';
import { type Influxd, startInfluxd } from '../support/influxd.js';
import { tempDir, waitFor } from '../support/stack.js';
import { describeWith, hasTools } from '../support/tools.js';

const ready = hasTools('influxd', 'openssl');

const dir = tempDir('edgewatt-influx-tls-');
const file = (name: string) => join(dir.path, name);
let influx: Influxd;
const ADMIN = { username: 'edgewatt', password: 'influx-secret' };

beforeAll(async () => {
  if (!ready) return;
  makeTestCertificates(dir.path, { withOtherCa: true });
  influx = await startInfluxd({
    http: `  auth-enabled = true\n  https-enabled = true\n  https-certificate = "${file('server.crt')}"\n  https-private-key = "${file('server.key')}"`,
    https: true,
    ca: file('ca.crt'),
    auth: ADMIN,
  });
  // The first user may be created without credentials; it is the admin.
  await influx.query(
    '_internal',
    `CREATE USER "${ADMIN.username}" WITH PASSWORD '${ADMIN.password}' WITH ALL PRIVILEGES`,
  );
}, 60_000);

afterAll(async () => {
  await influx?.remove();
  dir.remove();
});

function store(db: string, settings: InfluxStoreSettings): InfluxStore {
  return new InfluxStore(`127.0.0.1:${influx.port}/${db}`, {
    spoolDir: file(`spool-${db}`),
    flushIntervalMs: 50,
    retryMaxMs: 200,
    ...settings,
  });
}

const records = Array.from({ length: 10 }, (_, i) => makeRecord(i));

describeWith(
  ['influxd', 'openssl'],
  'InfluxDB store with authentication and TLS (real influxd, openssl certificates)',
  () => {
    it('writes over https with the right credentials and the CA', async () => {
      const s = store('secure', { ca: file('ca.crt'), username: ADMIN.username, password: ADMIN.password });
      await s.connect();
      await s.writeBatch('lab', 'pi4-t', records);
      await s.drained();
      const rows = await influx.query('secure', 'SELECT count("seq") FROM "inference"');
      expect(rows[0]?.values[0]?.[1]).toBe(10);
      await s.close();
    });

    it('keeps the records when the password is wrong, and writes them once it is right', async () => {
      const wrong = store('authfix', { ca: file('ca.crt'), username: ADMIN.username, password: 'typo' });
      await wrong.connect();
      await wrong.writeBatch('lab', 'pi4-u', records);
      await waitFor('refused writes', () => wrong.sinkStats.retries >= 2, 30_000);
      // 10 record points and the batch's inference_io point.
      expect(wrong.sinkStats).toMatchObject({ dropped: 0, written: 0, pendingLines: 11 });
      expect(wrong.sinkStats.lastError).toMatch(/auth|401|user/i);
      await wrong.runtime.close(0);
      // Restarted with the right password on the same spool: what was accepted is written.
      const right = store('authfix', {
        ca: file('ca.crt'),
        username: ADMIN.username,
        password: ADMIN.password,
      });
      await right.connect();
      await right.drained();
      const rows = await influx.query('authfix', 'SELECT count("seq") FROM "inference"');
      expect(rows[0]?.values[0]?.[1]).toBe(10);
      await right.close();
    });

    it('does not talk to a server its CA did not sign', async () => {
      const s = store('untrusted', {
        ca: file('other.crt'),
        username: ADMIN.username,
        password: ADMIN.password,
      });
      await s.connect();
      await s.writeBatch('lab', 'pi4-v', records);
      await waitFor('refused connections', () => s.sinkStats.retries >= 2, 30_000);
      expect(s.sinkStats).toMatchObject({ dropped: 0, written: 0, pendingLines: 11 });
      expect(s.sinkStats.lastError).toMatch(/certificate|self.signed|verify/i);
      await s.runtime.close(0);
    });
  },
);
