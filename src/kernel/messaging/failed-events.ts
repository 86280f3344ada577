import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { DomainEvent } from './types.js';

export type FailedStatus = 'retrying' | 'dead';

export interface FailedEvent {
  group: string;
  /** The event id, or for a bus entry without a decodable event a key naming the entry. */
  key: string;
  type: string | null;
  event: DomainEvent | null;
  raw: string | null;
  status: FailedStatus;
  attempts: number;
  lastError: string;
  firstFailedAt: Date;
  lastFailedAt: Date;
  nextAttemptAt: Date | null;
  replayedAt: Date | null;
}

/** What a bus could not deliver: `event` when it decoded, else the entry's raw text. */
export interface Undeliverable {
  key: string;
  event?: DomainEvent;
  raw?: string;
}

/**
 * Deliveries a consumer group could not complete, kept in PostgreSQL (`platform.failed_events`),
 * which outlives a Redis that keeps nothing: failures waiting for a retry ('retrying') and those
 * whose attempts are spent ('dead'), until someone replays them.
 */
export interface FailedEvents {
  /**
   * A first failure: try again after `delayMs`, while the group goes on with later events. Returns
   * the row's status: 'dead' when this event is already a dead letter of the group (it stays one).
   */
  retryLater(group: string, event: DomainEvent, error: string, delayMs: number): Promise<FailedStatus>;
  /** No more automatic attempts: keep it until it is replayed or discarded. */
  bury(group: string, entry: Undeliverable, error: string, attempts: number): Promise<void>;
  /**
   * Retries due now for these groups, claimed for `leaseMs` (replicas share them), each counted as
   * an attempt as it is claimed: a run that never finishes (the process died) still counts.
   */
  claimDue(groups: readonly string[], limit: number, leaseMs: number): Promise<FailedEvent[]>;
  /** A retry succeeded: forget the failure. */
  resolved(group: string, key: string): Promise<void>;
  /**
   * A retry failed: dead once `maxAttempts` are spent, else due again after `delayMs`. `counted:
   * false` (a dependency was away, the handler never got to its work) gives the attempt back.
   * Undefined when the row is gone (replayed or discarded meanwhile).
   */
  failedAgain(group: string, key: string, error: string, o: { maxAttempts: number; delayMs: number; counted?: boolean }): Promise<FailedStatus | undefined>;
  list(o?: { group?: string; status?: FailedStatus; limit?: number }): Promise<FailedEvent[]>;
  /** Dead letters of a group (all, or those keys) become due again with fresh attempts. */
  replay(group: string, keys?: readonly string[]): Promise<number>;
  /** Dead letters of a group (all, or those keys) are deleted: given up on for good. */
  discard(group: string, keys?: readonly string[]): Promise<number>;
  counts(): Promise<{ group: string; status: FailedStatus; count: number; oldest: Date }[]>;
}

interface Row {
  group_name: string;
  event_key: string;
  event_type: string | null;
  event: DomainEvent | null;
  raw: string | null;
  status: FailedStatus;
  attempts: number;
  last_error: string;
  first_failed_at: Date;
  last_failed_at: Date;
  next_attempt_at: Date | null;
  replayed_at: Date | null;
}

const toFailed = (r: Row): FailedEvent => ({
  group: r.group_name,
  key: r.event_key,
  type: r.event_type,
  event: r.event,
  raw: r.raw,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  firstFailedAt: r.first_failed_at,
  lastFailedAt: r.last_failed_at,
  nextAttemptAt: r.next_attempt_at,
  replayedAt: r.replayed_at,
});

/** Error texts are kept, not whole stacks: enough to tell one failure from another. */
const clip = (error: string) => (error.length > 2_000 ? `${error.slice(0, 2_000)}…` : error);
const ms = (n: number) => `${Math.max(0, Math.round(n))} milliseconds`;

export function createFailedEvents(db: Db): FailedEvents {
  return {
    async retryLater(group, event, error, delayMs) {
      // A redelivery of an event that is already waiting (or dead) changes nothing: one row per
      // (group, event), and its attempts keep counting from where they were.
      const { rows } = await sql<{ status: FailedStatus }>`
        with inserted as (
          insert into platform.failed_events (group_name, event_key, event_type, event, status, attempts, last_error, next_attempt_at)
          values (${group}, ${event.id}, ${event.type}, ${JSON.stringify(event)}::jsonb, 'retrying', 1, ${clip(error)}, now() + ${ms(delayMs)}::interval)
          on conflict (group_name, event_key) do nothing
          returning status)
        select status from inserted
        union all
        select status from platform.failed_events where group_name = ${group} and event_key = ${event.id}
        limit 1`.execute(db);
      return rows[0]?.status ?? 'retrying';
    },

    async bury(group, entry, error, attempts) {
      await sql`
        insert into platform.failed_events (group_name, event_key, event_type, event, raw, status, attempts, last_error)
        values (${group}, ${entry.key}, ${entry.event?.type ?? null}, ${entry.event ? JSON.stringify(entry.event) : null}::jsonb,
                ${entry.raw ?? null}, 'dead', ${attempts}, ${clip(error)})
        on conflict (group_name, event_key) do update set status = 'dead', attempts = greatest(failed_events.attempts, excluded.attempts),
          last_error = excluded.last_error, last_failed_at = now(), next_attempt_at = null, claimed_until = null`.execute(db);
    },

    async claimDue(groups, limit, leaseMs) {
      if (!groups.length) return [];
      const { rows } = await sql<Row>`
        update platform.failed_events set claimed_until = now() + ${ms(leaseMs)}::interval, attempts = attempts + 1
        where (group_name, event_key) in (
          select group_name, event_key from platform.failed_events
          where status = 'retrying' and next_attempt_at <= now() and group_name = any(${groups}::text[])
            and (claimed_until is null or claimed_until < now())
          order by next_attempt_at limit ${limit} for update skip locked)
        returning *`.execute(db);
      return rows.map(toFailed);
    },

    async resolved(group, key) {
      await sql`delete from platform.failed_events where group_name = ${group} and event_key = ${key}`.execute(db);
    },

    async failedAgain(group, key, error, o) {
      const attempts = o.counted === false ? sql`attempts - 1` : sql`attempts`;
      const { rows } = await sql<{ status: FailedStatus }>`
        update platform.failed_events set attempts = ${attempts}, last_error = ${clip(error)}, last_failed_at = now(), claimed_until = null,
          status = case when ${attempts} >= ${o.maxAttempts} then 'dead' else 'retrying' end,
          next_attempt_at = case when ${attempts} >= ${o.maxAttempts} then null else now() + ${ms(o.delayMs)}::interval end
        where group_name = ${group} and event_key = ${key}
        returning status`.execute(db);
      return rows[0]?.status;
    },

    async list(o = {}) {
      const { rows } = await sql<Row>`
        select * from platform.failed_events
        where (${o.group ?? null}::text is null or group_name = ${o.group ?? null})
          and (${o.status ?? null}::text is null or status = ${o.status ?? null})
        order by last_failed_at desc limit ${Math.min(Math.max(o.limit ?? 100, 1), 10_000)}`.execute(db);
      return rows.map(toFailed);
    },

    async replay(group, keys) {
      const r = await sql`
        update platform.failed_events set status = 'retrying', attempts = 0, next_attempt_at = now(), claimed_until = null, replayed_at = now()
        where group_name = ${group} and status = 'dead' and event is not null
          ${keys ? sql`and event_key = any(${[...keys]}::text[])` : sql``}`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    },

    async discard(group, keys) {
      const r = await sql`
        delete from platform.failed_events where group_name = ${group} and status = 'dead'
          ${keys ? sql`and event_key = any(${[...keys]}::text[])` : sql``}`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    },

    async counts() {
      const { rows } = await sql<{ group: string; status: FailedStatus; count: number; oldest: Date }>`
        select group_name as group, status, count(*)::int as count, min(first_failed_at) as oldest
        from platform.failed_events group by 1, 2`.execute(db);
      return rows;
    },
  };
}
