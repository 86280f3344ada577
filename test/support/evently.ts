import { createLogger, newSealingKey, type Config, type ModuleDefinition } from '../../src/kernel/index.js';
import { buildEvently, loadEventlyConfig, type Evently } from '../../src/main.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { dropPrefix, redisUrl, uniquePrefix } from './redis.js';

export interface TestEvently {
  evently: Evently;
  config: Config;
  database: TestDatabase;
  redisPrefix: string;
  /** Stops Evently, drops its database and its Redis keys (unless they were given: their owner does). */
  close(): Promise<void>;
}

/**
 * The real app on a fresh database (and, with `redis: true`, on Redis under a unique key prefix).
 * `env` adds or overrides settings exactly as the environment would.
 */
export async function startTestEvently(options: {
  /** `when-available`: on Redis when REDIS_URL is set, else in-process (tests that hold either way). */
  redis?: boolean | 'when-available';
  env?: Record<string, string>;
  modules?: Partial<Record<string, ModuleDefinition>>;
  database?: TestDatabase;
  /** Another instance's Redis key prefix (TestEvently.redisPrefix): two instances of one deployment. */
  redisPrefix?: string;
  listen?: boolean;
} = {}): Promise<TestEvently> {
  const database = options.database ?? (await createTestDatabase());
  const redis = options.redis === 'when-available' ? redisUrl() !== undefined : Boolean(options.redis);
  const prefix = options.redisPrefix ?? uniquePrefix('app');
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    OUTBOX_POLL_MS: '200',
    // Its own key, so no test writes one into the data folder.
    EVENT_SEALING_KEY: newSealingKey(),
    ...(redis ? { REDIS_URL: redisUrl()!, REDIS_KEY_PREFIX: prefix } : {}),
    ...options.env,
  };
  const config = loadEventlyConfig({ env, envFile: false });
  const logger = createLogger({ level: config.log.level, service: 'evently-test' });
  const evently = await buildEvently(config, { logger, modules: options.modules }).catch(async (err: unknown) => {
    // A start that is refused (what some tests expect) may have written keys already: leave none.
    if (redis && !options.redisPrefix) await dropPrefix(prefix);
    if (!options.database) await database.drop();
    throw err;
  });
  if (options.listen) await evently.listen();
  return {
    evently,
    config,
    database,
    redisPrefix: prefix,
    async close() {
      // A shutdown that hangs is a bug to report, not a reason to hold the whole run.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        evently.stop(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('Evently did not stop within 30 s')), 30_000))),
      ]).finally(() => clearTimeout(timer));
      if (redis && !options.redisPrefix) await dropPrefix(prefix);
      if (!options.database) await database.drop();
    },
  };
}
