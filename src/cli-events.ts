import { createFailedEvents, migratePlatform, type Database, type FailedEvent, type Logger } from './kernel/index.js';

/** `evently events dead`: what the consumer groups could not handle (dead letters and pending retries). */
export async function listFailedEvents(database: Database, logger: Logger, o: { group?: string; limit: number }): Promise<number> {
  await migratePlatform(database.db, logger);
  const rows = await createFailedEvents(database.db).list({ group: o.group, limit: o.limit });
  if (!rows.length) {
    console.log(o.group ? `no failed events for group ${o.group}` : 'no failed events');
    return 0;
  }
  console.table(rows.map(view));
  const dead = rows.filter((r) => r.status === 'dead').length;
  console.log(`${dead} dead, ${rows.length - dead} waiting for a retry. Replay: evently events replay --group <group> (--event <id> … | --all); give up: evently events discard (same options)`);
  return 0;
}

/** `evently events replay`: dead letters of a group get fresh attempts, run by that group's workers. */
export async function replayFailedEvents(database: Database, logger: Logger, o: { group: string; events?: string[] }): Promise<number> {
  await migratePlatform(database.db, logger);
  const n = await createFailedEvents(database.db).replay(o.group, o.events);
  console.log(`${n} event${n === 1 ? '' : 's'} of group ${o.group} queued for replay; a process running that group's worker handles ${n === 1 ? 'it' : 'them'} within seconds`);
  if (o.events && n < o.events.length) {
    // Asked for particular events and not all were dead letters of that group: say so, and in the exit code.
    process.stderr.write(`evently: ${o.events.length - n} of the given events are not dead letters of group ${o.group} (see evently events dead)\n`);
    return 65;
  }
  return 0;
}

/** `evently events discard`: dead letters of a group given up on for good (deleted). */
export async function discardFailedEvents(database: Database, logger: Logger, o: { group: string; events?: string[] }): Promise<number> {
  await migratePlatform(database.db, logger);
  const n = await createFailedEvents(database.db).discard(o.group, o.events);
  console.log(`${n} dead letter${n === 1 ? '' : 's'} of group ${o.group} discarded`);
  if (o.events && n < o.events.length) {
    process.stderr.write(`evently: ${o.events.length - n} of the given events are not dead letters of group ${o.group} (see evently events dead)\n`);
    return 65;
  }
  return 0;
}

function view(f: FailedEvent) {
  return {
    group: f.group,
    event: f.key,
    type: f.type ?? '(undecodable)',
    status: f.status,
    attempts: f.attempts,
    last_failed: f.lastFailedAt.toISOString(),
    replayed: f.replayedAt?.toISOString() ?? '',
    error: f.lastError.length > 80 ? `${f.lastError.slice(0, 80)}…` : f.lastError,
  };
}
