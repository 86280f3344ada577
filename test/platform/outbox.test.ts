import { describe, it, before, after, afterEach } from '../support/suite.js';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import {
  createLogger,
  createMemoryBus,
  createOutbox,
  createFailedEvents,
  createOutboxRelay,
  createOutboxSignal,
  createRedisBus,
  subscribeConsumers,
  type Database,
  type DomainEvent,
  type EventBus,
  type FailedEvents,
  type OutboxRelay,
} from '../../src/kernel/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { dropPrefix, newRedis, skipWithoutRedis, uniquePrefix } from '../support/redis.js';
import { countingBus, effectConsumer, effectCount, setupProbe, waitFor } from '../support/outbox-probe.js';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', service: 'test' });
// The signal wakes the relay after each commit, as in the app (the poll stays as the safety net).
const signal = createOutboxSignal();
const outbox = createOutbox('probe', signal);

interface BusFactory {
  make(failed: FailedEvents): EventBus;
  cleanup(): Promise<void>;
}

function outboxContract(name: string, factory: () => BusFactory, skip: string | false = false) {
  describe(`outbox → ${name} bus → inbox`, { skip }, () => {
    let tdb: TestDatabase;
    let database: Database;
    let running: { relay: OutboxRelay; bus: EventBus }[] = [];
    let f: BusFactory;

    before(async () => {
      tdb = await createTestDatabase();
      database = await setupProbe(tdb.url);
    });
    after(async () => {
      await database?.close();
      await tdb?.drop();
    });
    afterEach(async () => {
      for (const r of running) {
        await r.relay.stop();
        await r.bus.stop();
      }
      running = [];
      await f?.cleanup();
    });

    async function start(bus: EventBus, seen: DomainEvent[], beforeCommit?: (e: DomainEvent) => Promise<void>) {
      subscribeConsumers({ bus, transaction: database.transaction, schema: 'probe', group: 'probe-group', consumers: [effectConsumer(seen, beforeCommit)], logger });
      await bus.start();
      const relay = createOutboxRelay({ db: database.db, schemas: ['probe'], bus, logger, pollMs: 100, signal });
      await relay.start();
      running.push({ relay, bus });
      return relay;
    }

    it('delivers an event written in a committed transaction, once', async () => {
      f = factory();
      const seen: DomainEvent[] = [];
      await start(f.make(createFailedEvents(database.db)), seen);
      const [event] = await database.transaction((trx) => outbox.add(trx, { type: 'probe.thing.created', payload: { n: 1 } }));
      // The consumer records the event inside its transaction: wait for the commit, not the call.
      await waitFor(async () => (await effectCount(database, event!.id)) === 1, 10_000, 'delivery');
      assert.equal(seen[0]!.id, event!.id);
      assert.deepEqual(seen[0]!.payload, { n: 1 });
      assert.equal(await effectCount(database, event!.id), 1);
    });

    it('wakes the relay when the writing transaction commits: no poll needed', async () => {
      f = factory();
      const seen: DomainEvent[] = [];
      const bus = f.make(createFailedEvents(database.db));
      subscribeConsumers({ bus, transaction: database.transaction, schema: 'probe', group: 'probe-group', consumers: [effectConsumer(seen)], logger });
      await bus.start();
      // Its only poll is at start: an hour passes before the next, so a delivery comes from the wake-up.
      const relay = createOutboxRelay({ db: database.db, schemas: ['probe'], bus, logger, pollMs: 3_600_000, signal });
      await relay.start();
      running.push({ relay, bus });
      const [event] = await database.transaction((trx) => outbox.add(trx, { type: 'probe.thing.created', payload: { woken: true } }));
      await waitFor(async () => (await effectCount(database, event!.id)) === 1, 10_000, 'delivery after commit');
    });

    it('refuses events written outside the transaction helper', async () => {
      f = factory();
      await assert.rejects(
        database.db.transaction().execute((trx) => outbox.add(trx, { type: 'probe.thing.created', payload: {} })),
        /transaction helper/,
      );
    });

    it('never delivers an event written in a rolled-back transaction', async () => {
      f = factory();
      const seen: DomainEvent[] = [];
      await start(f.make(createFailedEvents(database.db)), seen);
      let doomed: DomainEvent | undefined;
      await assert.rejects(
        database.transaction(async (trx) => {
          [doomed] = await outbox.add(trx, { type: 'probe.thing.created', payload: { doomed: true } });
          throw new Error('business rule failed');
        }),
        /business rule failed/,
      );
      // A later committed event is delivered, proving the relay ran past the rolled-back write.
      const [marker] = await database.transaction((trx) => outbox.add(trx, { type: 'probe.thing.created', payload: { marker: true } }));
      await waitFor(() => seen.some((e) => e.id === marker!.id), 10_000, 'marker delivery');
      assert.ok(doomed);
      assert.equal(seen.filter((e) => e.id === doomed!.id).length, 0);
      const { rows } = await sql`select 1 from probe.outbox where id = ${doomed.id}`.execute(database.db);
      assert.equal(rows.length, 0);
    });

    it('republishes when the relay fails after the bus took the events, and the inbox keeps one effect', async () => {
      f = factory();
      const seen: DomainEvent[] = [];
      const delivered: DomainEvent[] = [];
      const real = countingBus(f.make(createFailedEvents(database.db)), delivered);
      let failOnce = true;
      // The bus accepts the batch, then the relay "dies" before marking it published.
      const flaky: EventBus = {
        kind: real.kind,
        subscribe: (s) => real.subscribe(s),
        start: () => real.start(),
        stop: () => real.stop(),
        pending: () => real.pending(),
        async publish(events) {
          await real.publish(events);
          if (failOnce) {
            failOnce = false;
            throw new Error('relay crashed after publish');
          }
        },
      };
      await start(flaky, seen);
      const [event] = await database.transaction((trx) => outbox.add(trx, { type: 'probe.thing.updated', payload: {} }));
      await waitFor(() => delivered.filter((e) => e.id === event!.id).length >= 2, 15_000, 'redelivery');
      assert.equal(await effectCount(database, event!.id), 1);
      assert.equal(seen.filter((e) => e.id === event!.id).length, 1);
    });

    it('redelivers to a consumer whose transaction failed, and applies the effect once', async () => {
      f = factory();
      const seen: DomainEvent[] = [];
      let crashes = 1;
      await start(f.make(createFailedEvents(database.db)), seen, async () => {
        if (crashes-- > 0) throw new Error('consumer crashed mid-way');
      });
      const [event] = await database.transaction((trx) => outbox.add(trx, { type: 'probe.thing.updated', payload: {} }));
      await waitFor(async () => (await effectCount(database, event!.id)) === 1, 15_000, 'effect after retry');
      assert.ok(seen.filter((e) => e.id === event!.id).length >= 2);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await effectCount(database, event!.id), 1);
    });

    it('keeps an event whose consumer fails for a while, and applies it once the consumer recovers', async () => {
      f = factory();
      const seen: DomainEvent[] = [];
      let failures = 3; // fewer than the bus's attempts
      await start(f.make(createFailedEvents(database.db)), seen, async () => {
        if (failures-- > 0) throw new Error('downstream unavailable');
      });
      const [event] = await database.transaction((trx) => outbox.add(trx, { type: 'probe.thing.updated', payload: {} }));
      await waitFor(async () => (await effectCount(database, event!.id)) === 1, 30_000, 'effect after recovery');
      await waitFor(async () => {
        const { rows } = await sql<{ p: Date | null }>`select published_at as p from probe.outbox where id = ${event!.id}`.execute(database.db);
        return rows[0]?.p != null;
      }, 10_000, 'row marked published');
      assert.equal(await effectCount(database, event!.id), 1);
    });
  });
}

const fastRetry = { retry: { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 5 }, retryPollMs: 20 };
outboxContract('in-process', () => ({ make: (failed) => createMemoryBus({ logger, failed, ...fastRetry }), cleanup: async () => {} }));

const redisSkip = skipWithoutRedis();
outboxContract(
  'Redis Streams',
  () => {
    const prefix = uniquePrefix('outbox');
    const conns: ReturnType<typeof newRedis>[] = [];
    const connect = () => {
      const r = newRedis();
      conns.push(r);
      return r;
    };
    return {
      make: (failed) => createRedisBus({ redis: connect(), connect, prefix, consumerName: `c-${conns.length}`, logger, claimIdleMs: 300, failed, ...fastRetry }),
      async cleanup() {
        await dropPrefix(prefix);
        await Promise.all(conns.map((c) => c.quit().catch(() => c.disconnect())));
      },
    };
  },
  redisSkip,
);
