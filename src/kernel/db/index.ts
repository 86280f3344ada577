export { assertDatabaseReachable, createDatabase, ensureDatabase, withTimeout, DATABASE_DEFAULTS, type Database, type DatabaseOptions, type Db, type Tx, type Executor } from './database.js';
export { afterCommit, isRetryable, type Transact, type TransactionOptions, type IsolationLevel } from './transaction.js';
export { startEmbeddedPostgres, type EmbeddedHandle } from './embedded.js';
export { migrateSchema, migratePlatform, PLATFORM_SCHEMA } from './migrate.js';
export { quoteIdent } from './platform.sql.js';
