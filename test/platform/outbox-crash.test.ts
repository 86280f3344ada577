import { describe, it, before, after } from '../support/suite.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { RedisClient as Redis } from '../../src/kernel/index.js';
import {
  createLogger,
  createFailedEvents,
  createOutbox,
  createOutboxRelay,
  createRedisBus,
  subscribeConsumers,
  type Database,
  type DomainEvent,
} from '../../src/kernel/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { dropPrefix, newRedis, redisUrl, skipWithoutRedis, uniquePrefix } from '../support/redis.js';
import { countingBus, effectConsumer, effectCount, setupProbe, waitFor } from '../support/outbox-probe.js';
import { ROOT } from '../support/process.js';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', service: 'test' });
const outbox = createOutbox('probe');

/** Starts the fixture process and resolves once it reached its kill point with that event id. */
function childUntilReached(mode: 'relay' | 'consumer', env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/outbox-child.ts'), mode], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY')) resolve();
    });
    child.on('exit', () => reject(new Error(`child exited early: ${out}`)));
  });
  const reached = (id: string) => waitFor(() => out.includes(`REACHED ${id}`), 20_000, `child to reach ${id}`);
  return { child, ready, reached, exited };
}

describe('outbox delivery survives SIGKILL of the relay or the consumer', { skip: skipWithoutRedis() }, () => {
  let tdb: TestDatabase;
  let database: Database;
  const prefix = uniquePrefix('crash');
  const conns: Redis[] = [];
  const connect = () => {
    const r = newRedis();
    conns.push(r);
    return r;
  };

  before(async () => {
    tdb = await createTestDatabase();
    database = await setupProbe(tdb.url);
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.quit().catch(() => c.disconnect())));
    await dropPrefix(prefix);
    await database?.close();
    await tdb?.drop();
  });

  const childEnv = () => ({ ...process.env, DATABASE_URL: tdb.url, REDIS_URL: redisUrl(), BUS_PREFIX: prefix });

  it('a relay killed after publishing but before marking: the event is published again and applied once', async () => {
    const child = childUntilReached('relay', childEnv());
    await child.ready;
    const [event] = await database.transaction((trx) => outbox.add(trx, { type: 'probe.thing.created', payload: { crash: 'relay' } }));
    await child.reached(event!.id);
    child.child.kill('SIGKILL');
    await child.exited;

    // The row is still unpublished: the relay's transaction died with it.
    const seen: DomainEvent[] = [];
    const delivered: DomainEvent[] = [];
    const bus = countingBus(createRedisBus({ redis: connect(), connect, prefix, consumerName: 'survivor-1', logger, failed: createFailedEvents(database.db), claimIdleMs: 300 }), delivered);
    subscribeConsumers({ bus, transaction: database.transaction, schema: 'probe', group: 'probe-group', consumers: [effectConsumer(seen)], logger });
    await bus.start();
    const relay = createOutboxRelay({ db: database.db, schemas: ['probe'], bus, logger, pollMs: 100 });
    await relay.start();
    try {
      await waitFor(() => delivered.filter((e) => e.id === event!.id).length >= 2, 20_000, 'both copies delivered');
      assert.equal(await effectCount(database, event!.id), 1);
      assert.equal(seen.filter((e) => e.id === event!.id).length, 1);
    } finally {
      await relay.stop();
      await bus.stop();
    }
  });

  it('a consumer killed inside its transaction: another replica gets the event and applies it once', async () => {
    const child = childUntilReached('consumer', childEnv());
    await child.ready;
    // Publish with an in-test relay; only the child's consumer is in the group at this point.
    const pubBus = createRedisBus({ redis: connect(), connect, prefix, consumerName: 'publisher', logger, failed: createFailedEvents(database.db) });
    const relay = createOutboxRelay({ db: database.db, schemas: ['probe'], bus: pubBus, logger, pollMs: 100 });
    await relay.start();
    const [event] = await database.transaction((trx) => outbox.add(trx, { type: 'probe.thing.updated', payload: { crash: 'consumer' } }));
    await child.reached(event!.id);
    child.child.kill('SIGKILL');
    await child.exited;
    await relay.stop();

    const seen: DomainEvent[] = [];
    const bus = createRedisBus({ redis: connect(), connect, prefix, consumerName: 'survivor-2', logger, failed: createFailedEvents(database.db), claimIdleMs: 300 });
    subscribeConsumers({ bus, transaction: database.transaction, schema: 'probe', group: 'probe-group', consumers: [effectConsumer(seen)], logger });
    await bus.start();
    try {
      await waitFor(async () => (await effectCount(database, event!.id)) === 1, 20_000, 'redelivery to the surviving replica');
      assert.ok(seen.some((e) => e.id === event!.id));
    } finally {
      await bus.stop();
    }
  });
});
