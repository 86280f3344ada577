import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient as Redis } from '../redis.js';
import type { Logger } from '../logger.js';
import { unavailability } from '../unavailable.js';
import { errorMessage, eventLogFields, pause, runHandler } from './bus.shared.js';
import type { FailedEvents } from './failed-events.js';
import { topicMatches, type DomainEvent, type EventHandler } from './types.js';

/** How long stop() lets the read loop end once no handler runs. */
const STOP_GRACE_MS = 250;

export interface GroupWorkerConfig {
  /** Dedicated connection: XREADGROUP BLOCK holds it. */
  conn: Redis;
  group: string;
  consumer: string;
  streams: string[];
  topics: readonly string[];
  handler: EventHandler;
  failed: FailedEvents;
  logger: Logger;
  claimIdleMs: number;
  maxDeliveries: number;
  blockMs: number;
  batchSize: number;
  maxLen: number;
}

export interface GroupWorker {
  stop(): Promise<void>;
}

/** A handler failed because a dependency (the database) is away: the group pauses, nothing is counted. */
class DependencyAwayError extends Error {
  constructor(readonly reason: string) {
    super(`a dependency is away: ${reason}`);
  }
}

/** Entry as Redis returns it; fields are null when the entry was trimmed while still pending. */
type Entry = [id: string, fields: string[] | null];

function field(fields: string[] | null, name: string): string | undefined {
  if (!fields) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function decode(raw: string | undefined): DomainEvent | undefined {
  if (raw === undefined) return undefined;
  try {
    const event = JSON.parse(raw) as DomainEvent;
    return typeof event?.id === 'string' && typeof event.type === 'string' ? event : undefined;
  } catch {
    return undefined;
  }
}

/** XREADGROUP reply: null on timeout, else [[stream, [[id, fields], ...]], ...]. */
function readReply(reply: unknown): [string, Entry[]][] {
  return (reply as [string, Entry[]][] | null) ?? [];
}

/**
 * Creates the group's streams and groups, then runs one sequential read loop for this consumer:
 * own pending entries first (what it read but never acknowledged before a crash), then a periodic
 * XAUTOCLAIM sweep for entries idle too long (handler errors and dead consumers), then new entries.
 * Entries are acknowledged only after the handler resolves, so every failure path ends in redelivery.
 */
const STALE_CONSUMER_MS = 24 * 3600_000;

export async function startGroupWorker(cfg: GroupWorkerConfig): Promise<GroupWorker> {
  const { conn, group, consumer, streams, logger } = cfg;
  const ctl = new AbortController();
  // Claiming at half the idle threshold bounds how long a failed entry waits beyond claimIdleMs.
  const claimEveryMs = Math.min(Math.max(Math.floor(cfg.claimIdleMs / 2), 50), 10_000);
  // The blocking read must return often enough for the sweep to run on time.
  const blockFor = Math.max(1, Math.min(cfg.blockMs, claimEveryMs));
  let inHandler = false;

  async function ensureGroups(): Promise<void> {
    for (const key of streams) {
      try {
        // From '0': a new group, or one whose stream vanished, gets everything still retained.
        await conn.xgroup('CREATE', key, group, '0', 'MKSTREAM');
      } catch (err) {
        if (!errorMessage(err).includes('BUSYGROUP')) throw err;
      }
    }
  }

  async function deliveryCounts(key: string, ids: string[]): Promise<Map<string, number>> {
    const pipeline = conn.pipeline();
    for (const id of ids) pipeline.xpending(key, group, id, id, 1);
    const counts = new Map<string, number>();
    for (const [err, rows] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      for (const [id, , , count] of rows as [string, string, number, number][]) counts.set(id, Number(count));
    }
    return counts;
  }

  async function deadLetter(key: string, id: string, fields: string[] | null, deliveries: number, error: string, event?: DomainEvent): Promise<void> {
    // Stored before the XACK: if the store cannot take it, the entry stays pending and comes back.
    await cfg.failed.bury(group, { key: event?.id ?? `${key}/${id}`, event, raw: event ? undefined : (field(fields, 'event') ?? '') }, error, deliveries);
    await conn.xack(key, group, id);
    logger.error({ ...(event ? eventLogFields(group, event) : { group }), stream: key, entryId: id, deliveries, error }, 'event dead-lettered (evently events dead / replay)');
  }

  /** Handles one entry; returns true when it should be acknowledged with the batch (not for this group). */
  async function handle(key: string, [id, fields]: Entry, deliveries: number): Promise<boolean> {
    const event = decode(field(fields, 'event'));
    if (!event) {
      const why = fields ? 'entry holds no decodable event' : 'entry was trimmed from the stream before the group acknowledged it (raise maxLen)';
      await deadLetter(key, id, fields, deliveries, why);
      return false;
    }
    if (!topicMatches(cfg.topics, event.type)) return true;
    if (deliveries > cfg.maxDeliveries) {
      // Consumers died while handling it (never reached a handler error): stop the crash loop.
      await deadLetter(key, id, fields, deliveries, `not acknowledged after ${cfg.maxDeliveries} deliveries`, event);
      return false;
    }
    inHandler = true;
    try {
      await runHandler(cfg.handler, event);
    } catch (err) {
      const away = unavailability(err);
      if (away) {
        // The event was never really tried: its delivery is given back (Redis counts every read),
        // so an outage longer than maxDeliveries × BUS_CLAIM_IDLE_MS dead-letters nothing, and the
        // group pauses instead of running its whole backlog into the same wall.
        await conn.xclaim(key, group, consumer, 0, id, 'RETRYCOUNT', Math.max(0, deliveries - 1), 'JUSTID');
        throw new DependencyAwayError(`${away.dependency}: ${away.reason}`);
      }
      if (deliveries >= cfg.maxDeliveries) {
        await deadLetter(key, id, fields, deliveries, errorMessage(err), event);
      } else {
        logger.warn({ ...eventLogFields(group, event), deliveries, err }, 'event handler failed; entry left pending for redelivery');
      }
      return false;
    } finally {
      inHandler = false;
      // stop() spared the connection for this handler; if Redis is unreachable the ack below would
      // wait for a reconnect forever, so give up on it (the entry is simply delivered again).
      if (ctl.signal.aborted && conn.status !== 'ready') conn.disconnect();
    }
    await conn.xack(key, group, id);
    return false;
  }

  /** `redelivered`: the entry came from the pending list, so its delivery count must be looked up. */
  async function processEntries(key: string, entries: Entry[], redelivered: boolean): Promise<void> {
    if (entries.length === 0) return;
    const counts = redelivered ? await deliveryCounts(key, entries.map(([id]) => id)) : undefined;
    const skipped: string[] = [];
    let i = 0;
    try {
      for (; i < entries.length; i++) {
        if (ctl.signal.aborted) break; // the rest stays pending: re-read on restart or claimed by a replica
        if (await handle(key, entries[i]!, counts?.get(entries[i]![0]) ?? 1)) skipped.push(entries[i]![0]);
      }
    } catch (err) {
      if (err instanceof DependencyAwayError) {
        // The entries after the one that met the outage were read (and counted) but never tried.
        for (const [id] of entries.slice(i + 1)) {
          await conn.xclaim(key, group, consumer, 0, id, 'RETRYCOUNT', Math.max(0, (counts?.get(id) ?? 1) - 1), 'JUSTID');
        }
      }
      throw err;
    } finally {
      if (skipped.length > 0) await conn.xack(key, group, ...skipped);
    }
  }

  async function drainOwnPending(): Promise<void> {
    for (const key of streams) {
      if (ctl.signal.aborted) return;
      // Reading from an explicit id returns this consumer's pending entries after it; advancing the
      // cursor skips entries whose handler failed again (the claim sweep retries those later).
      let cursor = '0';
      while (!ctl.signal.aborted) {
        const reply = await conn.xreadgroup('GROUP', group, consumer, 'COUNT', cfg.batchSize, 'STREAMS', key, cursor);
        const entries = readReply(reply)[0]?.[1] ?? [];
        if (entries.length === 0) break;
        await processEntries(key, entries, true);
        cursor = entries[entries.length - 1]![0];
      }
    }
  }

  async function claimIdle(): Promise<void> {
    for (const key of streams) {
      // A stopping consumer must not take entries it will never handle (they would wait out
      // claimIdleMs in its pending list, their delivery count raised for nothing).
      if (ctl.signal.aborted) return;
      let cursor = '0-0';
      do {
        const reply = await conn.xautoclaim(key, group, consumer, cfg.claimIdleMs, cursor, 'COUNT', cfg.batchSize);
        const [next, entries, trimmed] = reply as [string, (Entry | null)[], string[] | undefined];
        if (trimmed?.length) {
          logger.error({ group, stream: key, entryIds: trimmed }, 'pending entries were trimmed before the group acknowledged them (raise maxLen)');
        }
        await processEntries(key, entries.filter((e): e is Entry => e !== null), true);
        cursor = next;
      } while (cursor !== '0-0' && !ctl.signal.aborted);
    }
  }

  async function readNew(): Promise<void> {
    if (ctl.signal.aborted) return;
    const reply = await conn.xreadgroup('GROUP', group, consumer, 'COUNT', cfg.batchSize, 'BLOCK', blockFor,
      'STREAMS', ...streams, ...streams.map(() => '>'));
    for (const [key, entries] of readReply(reply)) await processEntries(key, entries, false);
  }

  async function run(): Promise<void> {
    let failures = 0;
    let needGroups = false;
    let needPending = true;
    let lastClaim = 0;
    while (!ctl.signal.aborted) {
      try {
        if (needGroups) await ensureGroups();
        needGroups = false;
        if (needPending) await drainOwnPending();
        needPending = false;
        if (ctl.signal.aborted) break;
        if (Date.now() - lastClaim >= claimEveryMs) {
          await claimIdle();
          lastClaim = Date.now();
        }
        await readNew();
        failures = 0;
      } catch (err) {
        if (ctl.signal.aborted) break;
        failures++;
        if (err instanceof DependencyAwayError) {
          // Back off, then start again with this consumer's pending entries (the one that failed first).
          needPending = true;
          const retryInMs = Math.min(250 * 2 ** (failures - 1), 10_000);
          logger.warn({ group, consumer, reason: err.reason, retryInMs }, 'event handling paused: a dependency is away');
          await pause(retryInMs, ctl.signal);
          continue;
        }
        // NOGROUP: the stream vanished (Redis restarted without persistence, or it was deleted).
        if (errorMessage(err).includes('NOGROUP')) needGroups = true;
        // A reply lost with the connection leaves entries in this consumer's pending list.
        needPending = true;
        const retryInMs = Math.min(100 * 2 ** (failures - 1), 5_000);
        logger.warn({ group, consumer, err, retryInMs }, 'event bus consumer failed; retrying');
        await pause(retryInMs, ctl.signal);
      }
    }
  }

  /**
   * Consumers of earlier processes stay in the group forever unless removed. Only those idle for a
   * day with nothing pending are removed: deleting a consumer with pending entries would lose them.
   */
  async function pruneIdleConsumers(): Promise<void> {
    for (const key of streams) {
      const consumers = (await conn.xinfo('CONSUMERS', key, group)) as unknown[][];
      for (const raw of consumers) {
        const info = Object.fromEntries(Array.from({ length: raw.length / 2 }, (_, i) => [String(raw[2 * i]), raw[2 * i + 1]]));
        if (info.name !== consumer && Number(info.pending) === 0 && Number(info.idle) > STALE_CONSUMER_MS) {
          await conn.xgroup('DELCONSUMER', key, group, String(info.name));
        }
      }
    }
  }

  await ensureGroups();
  await pruneIdleConsumers().catch((err: unknown) => logger.warn({ group, err: errorMessage(err) }, 'could not prune idle consumers'));
  const loop = run();

  return {
    async stop() {
      ctl.abort();
      // Interrupt Redis I/O (a blocking read, a command waiting for a reconnect) but never a handler.
      // An interrupted XACK only means one more delivery, which consumers deduplicate.
      if (!inHandler) conn.disconnect();
      // Wait for a handler in flight, never for Redis alone: disconnect() does not fail a command
      // queued while the connection was reconnecting (seen after an outage), and the loop would
      // wait on it forever. Once no handler runs, the loop gets a moment to end, then is left behind.
      while (inHandler) await sleep(20);
      await Promise.race([loop, sleep(STOP_GRACE_MS)]);
      // QUIT only on a live connection: on one that is closing or reconnecting it would wait in the
      // offline queue for a reconnect that never comes, and stop() would hang.
      if (conn.status === 'ready') await conn.quit().catch(() => conn.disconnect());
      else conn.disconnect();
    },
  };
}
