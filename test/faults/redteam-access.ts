// Red-team cases of issue 12 items 7 and 11 for bench:faults (`--only access`): a device taking
// the collector's client ids with a clean session while the collector is away, on
// deploy/mosquitto.conf as shipped and on the same config without `use_username_as_clientid` (the
// config before the fix); and an agent whose whole counter (seq.json and its backup) was lost with
// an empty outbox. Real mosquitto, SQLite collector; each returns produced / stored / lost /
// duplicated.

import { mkdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Outbox } from '../../agent/publish/outbox.js';
import { Publisher } from '../../agent/publish/publisher.js';
import {
  ACL_TEMPLATE,
  aclBlock,
  collectorAclBlock,
  collectorMarker,
  deviceMarker,
} from '../../cli/commands/provision-files.js';
import { planProvisioning } from '../../cli/commands/provision-plan.js';
import { Collector } from '../../collector/collector.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { writeFileAtomicSync } from '../../common/files.js';
import { spoolRecords } from '../spool/records.js';
import { startMosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/stack.js';
import type { FaultResult } from './scenarios.js';

const RECORDS_PER_BATCH = 10;
const SHIPPED = new URL('../../deploy/mosquitto.conf', import.meta.url);

/** Password and ACL files for devices lab/dev-a, lab/dev-b and collector c1 (two connections). */
function provisionFiles(dir: string) {
  const users = {
    a: { username: 'lab.dev-a', password: 'a-secret-password' },
    b: { username: 'lab.dev-b', password: 'b-secret-password' },
    c: { username: 'c1', password: 'c1-secret-password' },
  };
  const files = planProvisioning(
    { passwd: '', acl: ACL_TEMPLATE },
    [
      {
        marker: deviceMarker('lab', 'dev-a'),
        users: [users.a],
        block: aclBlock('lab', 'dev-a', users.a.username),
      },
      {
        marker: deviceMarker('lab', 'dev-b'),
        users: [users.b],
        block: aclBlock('lab', 'dev-b', users.b.username),
      },
      {
        marker: collectorMarker('c1'),
        users: ['c1-0', 'c1-1'].map((username) => ({ username, password: users.c.password })),
        block: collectorAclBlock('c1', ['c1-0', 'c1-1']),
      },
    ],
    { force: false, paths: { passwd: 'passwd', acl: 'acl' } },
  );
  mkdirSync(dir, { recursive: true });
  const passwd = join(dir, 'passwd');
  const acl = join(dir, 'acl');
  writeFileAtomicSync(passwd, files.passwd);
  writeFileAtomicSync(acl, files.acl);
  return { passwd, acl, users };
}

/**
 * A device (dev-b) connects with the collector's client ids `c1-0` and `c1-1` and a clean session
 * while the collector is away and dev-a's `batches` batches wait in its queue.
 * `shipped: false` runs the shipped config without `use_username_as_clientid`.
 */
export async function clientIdTakeover(dir: string, batches: number, shipped: boolean): Promise<FaultResult> {
  const { passwd, acl, users } = provisionFiles(dir);
  let conf = readFileSync(SHIPPED, 'utf8');
  if (!shipped) conf = conf.replace(/^use_username_as_clientid true$/gm, '');
  const broker = await startMosquitto({
    config: (port, mdir) =>
      [
        conf
          .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
          .replaceAll('/etc/mosquitto/edgewatt.passwd', passwd)
          .replaceAll('/etc/mosquitto/edgewatt.acl', acl),
        `user ${userInfo().username}`,
        'persistence true',
        `persistence_location ${mdir}/`,
      ].join('\n'),
  });
  const collectorConfig = {
    broker: broker.url,
    ...users.c,
    clientId: 'c1',
    sharedGroup: 'edgewatt',
    connections: 2,
    usernamePerConnection: true,
  };
  const storePath = join(dir, 'takeover.sqlite');
  let store = new SqliteStore(storePath);
  let collector = new Collector(store, collectorConfig);
  try {
    await collector.start();
    await collector.stop();
    const stateDir = join(dir, 'dev-a');
    const spool = new Outbox(stateDir, 'dev-a');
    const publisher = new Publisher(spool, {
      brokerUrl: broker.url,
      fleet: 'lab',
      device: 'dev-a',
      describe: {},
      stateDir,
      ...users.a,
    });
    for (let i = 0; i < batches; i++) {
      const sealed = spool.seal(spoolRecords(RECORDS_PER_BATCH, i * RECORDS_PER_BATCH));
      publisher.enqueue(sealed.firstSeq, sealed.count);
    }
    // Acknowledged by the broker: from here on, losing them is the broker's (and the config's) doing.
    if (!(await publisher.drain(60_000))) throw new Error('dev-a: spool not drained in 60 s');
    await publisher.close();
    for (const clientId of ['c1-0', 'c1-1']) {
      const thief = await mqtt.connectAsync(broker.url, {
        ...users.b,
        clientId,
        clean: true,
        reconnectPeriod: 0,
      });
      await thief.endAsync();
    }
    store = new SqliteStore(storePath);
    collector = new Collector(store, collectorConfig);
    await collector.start();
    const produced = batches * RECORDS_PER_BATCH;
    const storedNow = () => [...store.records()].filter((r) => r.device === 'dev-a');
    await waitFor('queue delivered', () => storedNow().length === produced, 30_000).catch(() => undefined);
    await collector.idle();
    const seqs = storedNow().map((r) => r.seq);
    const distinct = new Set(seqs).size;
    return {
      scenario: `client-id takeover of the collector (clean session while it is away), ${shipped ? 'deploy/mosquitto.conf as shipped' : 'the same without use_username_as_clientid (before)'}`,
      produced,
      stored: distinct,
      lost: produced - distinct,
      duplicated: seqs.length - distinct,
      redeliveriesIgnored: collector.stats.duplicates,
      recoverMs: 0,
      missing: [],
    };
  } finally {
    await collector.stop().catch(() => undefined);
    await broker.remove();
  }
}
