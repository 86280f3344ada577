import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Logger } from '../logger.js';
import type { Db } from './database.js';
import { platformMigrations } from './platform.sql.js';

/**
 * Plain-SQL migrations, one folder per module, applied in file-name order (`001_init.sql`, ...).
 * Kysely's Migrator keeps the record in `<schema>.migrations` and takes a PostgreSQL advisory lock,
 * so replicas starting together apply each migration once.
 */
export async function migrateSchema(options: { db: Db; schema: string; dir: string | null; logger: Logger; outbox?: boolean }): Promise<string[]> {
  const migrator = new Migrator({
    db: options.db,
    provider: new SqlFolderProvider(options.schema, options.dir, options.outbox ?? true),
    migrationTableSchema: options.schema,
    migrationTableName: 'migrations',
    migrationLockTableName: 'migrations_lock',
    // Platform steps added later (000_platform_v2_…) sort before module migrations that a database
    // may have applied already; they touch only the platform's tables, so their order relative to
    // the module's own migrations does not matter.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (applied.length) options.logger.info({ schema: options.schema, applied }, 'migrations applied');
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? '?'} of schema ${options.schema} failed: ${(error as Error).message}`, { cause: error });
  }
  return applied;
}

class SqlFolderProvider implements MigrationProvider {
  constructor(
    private readonly schema: string,
    private readonly dir: string | null,
    /** A module schema gets the platform's outbox and inbox; the platform's own schema does not. */
    private readonly outbox: boolean,
  ) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = this.outbox
      ? Object.fromEntries(platformMigrations(this.schema).map(([name, text]) => [name, sqlMigration(text)]))
      : {};
    if (!this.dir) return migrations;
    const files = (await readdir(this.dir)).filter((f) => f.endsWith('.sql')).sort();
    for (const file of files) {
      const text = await readFile(path.join(this.dir, file), 'utf8');
      migrations[file.replace(/\.sql$/, '')] = sqlMigration(text);
    }
    return migrations;
  }
}

function sqlMigration(text: string): Migration {
  // The Migrator runs each migration inside its transaction; sql.raw sends the file as one
  // multi-statement query (simple protocol), which PostgreSQL accepts.
  return { up: async (db) => void (await sql.raw(text).execute(db)) };
}

/** The kernel's own tables (failed events, …), shared by the modules of a database. */
export const PLATFORM_SCHEMA = 'platform';

export function migratePlatform(db: Db, logger: Logger): Promise<string[]> {
  return migrateSchema({ db, schema: PLATFORM_SCHEMA, dir: fileURLToPath(new URL('./migrations', import.meta.url)), logger, outbox: false });
}
