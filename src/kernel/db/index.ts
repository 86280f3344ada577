export { createDatabase, ensureDatabase, withTimeout, type Database, type Db, type Tx, type Executor } from './database.js';
export { startEmbeddedPostgres, type EmbeddedHandle } from './embedded.js';
export { migrateSchema } from './migrate.js';
export { quoteIdent } from './platform.sql.js';
