export { assertDatabaseReachable, createDatabase, ensureDatabase, withTimeout, DATABASE_DEFAULTS, type Database, type DatabaseOptions, type Db, type Tx, type Executor } from './database.js';
export { afterCommit, type Transact, type TransactionOptions, type IsolationLevel } from './transaction.js';
export { startEmbeddedPostgres, type EmbeddedHandle } from './embedded.js';
export { migrateSchema, migratePlatform } from './migrate.js';
export { quoteIdent } from './platform.sql.js';
export { prepared } from './prepared.js';
