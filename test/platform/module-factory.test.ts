import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Type } from 'typebox';
import {
  createLogger,
  defineErrors,
  defineModule,
  errorCodeTable,
  ERROR_STATUS,
  int,
  loadConfig,
  newSealingKey,
  optional,
  str,
  type ModuleContext,
  type ModuleSettings,
} from '../../src/kernel/index.js';
import { buildEvently, type Evently } from '../../src/main.js';
import { ALL_MODULES, MODULE_SETTINGS } from '../../src/modules/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/** A module of this test's own, built by the factory like every module. */
interface ShopConfig {
  greeting: string;
  maxItems: number;
  issuer: string;
}
const shopSettings: ModuleSettings<ShopConfig> = {
  table: {
    SHOP_GREETING: str({ default: 'hello', doc: 'How the shop greets.' }),
    SHOP_MAX_ITEMS: int({ min: 1, default: 3, doc: 'Items per order.' }),
    SHOP_API_KEY: optional(str({ secret: true, doc: 'A secret of the shop alone.' })),
  },
  slice: (s, platform) => ({ greeting: s.SHOP_GREETING as string, maxItems: s.SHOP_MAX_ITEMS as number, issuer: platform.tokens.issuer }),
};
const shopError = defineErrors({ TOO_MANY_ITEMS: 422, SHOP_CLOSED: 409 });

describe('a module built by the factory', () => {
  let tdb: TestDatabase;
  let evently: Evently;
  let seen: ModuleContext<ShopConfig> | undefined;
  const ticks: number[] = [];

  const shop = defineModule<ShopConfig, unknown>({
    name: 'analytics', // the slot it takes in this test
    description: 'A test module',
    schema: 'analytics',
    migrationsDir: null,
    settings: shopSettings,
    errors: shopError.table,
    create(ctx) {
      seen = ctx;
      return {
        routes(app) {
          app.post('/api/v1/shop/orders', {
            schema: { body: Type.Object({ items: Type.Integer() }), response: { 201: Type.Object({ greeting: Type.String() }) } },
          }, async (request, reply) => {
            if (request.body.items > ctx.config.maxItems) throw shopError('TOO_MANY_ITEMS', `at most ${ctx.config.maxItems} items`);
            return reply.status(201).send({ greeting: ctx.config.greeting });
          });
        },
        tasks: [{ name: 'shop.tick', everyMs: 10, runAtStart: true, run: async () => void ticks.push(Date.now()) }],
      };
    },
  });

  before(async () => {
    tdb = await createTestDatabase();
    const config = loadConfig({
      env: { NODE_ENV: 'test', DATABASE_URL: tdb.url, LOG_LEVEL: 'silent', PORT: '0', EVENT_SEALING_KEY: newSealingKey(), SHOP_GREETING: 'welcome', SHOP_API_KEY: 'shop-secret-1' },
      envFile: false,
      modules: { ...MODULE_SETTINGS, analytics: shopSettings },
    });
    evently = await buildEvently(config, { logger: createLogger({ level: 'silent', service: 'test' }), modules: { analytics: shop } });
  });
  after(async () => {
    await evently?.stop();
    await tdb?.drop();
  });

  it('gets its own config slice and nothing of the other modules\' settings or secrets', () => {
    assert.deepEqual(seen!.config, { greeting: 'welcome', maxItems: 3, issuer: 'evently' });
    assert.equal(seen!.name, 'analytics');
    assert.deepEqual(Object.keys(seen!.platform).sort(), ['allInOne', 'env', 'modules', 'roles', 'tokens']);
    const everything = JSON.stringify({ config: seen!.config, platform: seen!.platform });
    for (const secret of ['shop-secret-1', 'EVENT_SEALING_KEY', 'AUTH_', 'SMTP', tdb.url]) assert.ok(!everything.includes(secret), `no ${secret} in the context`);
    assert.ok(!('locks' in seen!), 'no locks in the context');
  });

  it('serves its routes and answers its own error codes with their statuses', async () => {
    const ok = await evently.app.inject({ method: 'POST', url: '/api/v1/shop/orders', payload: { items: 2 } });
    assert.deepEqual([ok.statusCode, ok.json()], [201, { greeting: 'welcome' }]);
    const tooMany = await evently.app.inject({ method: 'POST', url: '/api/v1/shop/orders', payload: { items: 9 } });
    assert.equal(tooMany.statusCode, 422);
    assert.equal(tooMany.json().error.code, 'TOO_MANY_ITEMS');
  });

  it('runs its periodic tasks in the scheduler role', async () => {
    for (const end = Date.now() + 5_000; ticks.length < 2 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    assert.ok(ticks.length >= 2);
  });

  it('its codes join the one code table; a code declared twice stops the start', async () => {
    const table = errorCodeTable(Object.values(ALL_MODULES).map((m) => m.errors ?? {}).concat(shopError.table));
    assert.equal(table.TOO_MANY_ITEMS, 422);
    assert.equal(table.EMAIL_TAKEN, 409, 'auth\'s codes are there too');
    assert.equal(table.NOT_FOUND, ERROR_STATUS.NOT_FOUND);
    assert.throws(() => errorCodeTable([{ NOT_FOUND: 410 }]), /NOT_FOUND is declared twice/);
    const clash = defineModule({ ...shop, errors: { EMAIL_TAKEN: 409 } });
    const config = loadConfig({ env: { DATABASE_URL: tdb.url, LOG_LEVEL: 'silent' }, envFile: false, modules: MODULE_SETTINGS });
    await assert.rejects(buildEvently(config, { modules: { analytics: clash } }), /EMAIL_TAKEN is declared twice/);
  });
});
