import { sql } from 'kysely';
import type { Executor } from '../../kernel/index.js';

/** An event as the mails show it. */
export interface EventDetails {
  event_id: string;
  title: string;
  venue: string;
  starts_at: Date;
  ends_at: Date | null;
  timezone: string;
  status: string;
}

/** Newer version wins: a late or repeated message changes nothing. */
export async function applyEvent(db: Executor, e: Omit<EventDetails, 'starts_at' | 'ends_at'> & { starts_at: string; ends_at: string | null; version: number }): Promise<void> {
  await sql`insert into notifications.events as e (event_id, title, venue, starts_at, ends_at, timezone, status, version)
    values (${e.event_id}, ${e.title}, ${e.venue}, ${e.starts_at}, ${e.ends_at}, ${e.timezone}, ${e.status}, ${e.version})
    on conflict (event_id) do update set title = excluded.title, venue = excluded.venue, starts_at = excluded.starts_at,
      ends_at = excluded.ends_at, timezone = excluded.timezone, status = excluded.status, version = excluded.version
    where e.version < excluded.version`.execute(db);
}

export async function markEventDeleted(db: Executor, eventId: string, version: number): Promise<void> {
  await sql`insert into notifications.events as e (event_id, status, version) values (${eventId}, 'deleted', ${version})
    on conflict (event_id) do update set status = 'deleted', version = excluded.version where e.version < excluded.version`.execute(db);
}

/** The event, once its details are known (a deleted event keeps the details it had). */
export async function findEvent(db: Executor, eventId: string): Promise<EventDetails | undefined> {
  const { rows } = await sql<EventDetails>`select event_id, title, venue, starts_at, ends_at, timezone, status
    from notifications.events where event_id = ${eventId} and title is not null`.execute(db);
  return rows[0];
}

export async function applyAttendee(db: Executor, a: { booking_id: string; event_id: string; user_id: string; status: string; version: number }): Promise<void> {
  await sql`insert into notifications.attendees as a (booking_id, event_id, user_id, status, version)
    values (${a.booking_id}, ${a.event_id}, ${a.user_id}, ${a.status}, ${a.version})
    on conflict (booking_id) do update set status = excluded.status, version = excluded.version where a.version < excluded.version`.execute(db);
}

/** A mail_log row for each user holding or owning seats for the event now (once each); the users whose row is new. */
export async function insertForLiveAttendees(db: Executor, m: { message_id: string; event_id: string; template: string; data: Record<string, unknown> }): Promise<string[]> {
  const { rows } = await sql<{ user_id: string }>`
    insert into notifications.mail_log (event_id, user_id, template, data)
    select distinct ${m.message_id}::uuid, user_id, ${m.template}, ${JSON.stringify(m.data)}::jsonb
    from notifications.attendees where event_id = ${m.event_id} and status in ('pending', 'confirmed')
    on conflict do nothing returning user_id`.execute(db);
  return rows.map((r) => r.user_id);
}

/** Whether the user holds or owns seats for the event now (an event_changed mail is sent only then). */
export async function isLiveAttendee(db: Executor, eventId: string, userId: string): Promise<boolean> {
  const { rows } = await sql`select 1 from notifications.attendees
    where event_id = ${eventId} and user_id = ${userId} and status in ('pending', 'confirmed') limit 1`.execute(db);
  return rows.length > 0;
}
