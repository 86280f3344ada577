import type { ComponentChildren } from 'preact';
import type { Ok } from '../../../client/index.js';
import { bookingState, money, plural, titleOf, when, waitlistState, type Titled } from './format.js';
import { Csrf, Field, Layout, Pager, type PageContext } from './layout.js';

export type AdminBooking = Ok<'adminListBookings'>['items'][number];
export type AuditEntry = Ok<'adminAuditLogs'>['items'][number];
export type AdminWaitlistEntry = Ok<'adminListWaitlist'>['items'][number];
export type AdminUser = Ok<'listAdminUsers'>['items'][number];
export type EventChoice = { id: string; title: string; starts_at: string; timezone: string };

export interface Paging { page: number; hasPrev: boolean; hasNext: boolean }
/** A query as the Pager keeps it: the page itself and one-off notices are not carried to the next page. */
export type Filters = Record<string, string | undefined>;

const SECTIONS = [
  ['/admin', 'Dashboard'],
  ['/admin/events', 'Events'],
  ['/admin/bookings', 'Bookings'],
  ['/admin/waitlist', 'Waitlist'],
  ['/admin/users', 'Users'],
] as const;

/** The audit log is part of bookings: its pages light up that section. */
function sectionOf(path: string): string {
  const p = path.split('?')[0]!;
  if (p.startsWith('/admin/audit')) return '/admin/bookings';
  return [...SECTIONS].reverse().find(([href]) => p === href || (href !== '/admin' && p.startsWith(`${href}/`)))?.[0] ?? '';
}

/** Every organiser page: the site's layout with the organiser's own navigation above the content. */
export function AdminLayout({ ctx, title, notice, error, children }: { ctx: PageContext; title: string; notice?: string | undefined; error?: string | undefined; children: ComponentChildren }) {
  const here = ctx.path.split('?')[0];
  const section = sectionOf(ctx.path);
  return (
    <Layout ctx={ctx} title={`${title} · Organiser`} notice={notice} error={error}>
      <nav class="subnav" aria-label="Organiser">
        <ul>
          {SECTIONS.map(([href, label]) => (
            <li><a href={href} aria-current={here === href ? 'page' : section === href ? 'true' : undefined}>{label}</a></li>
          ))}
        </ul>
      </nav>
      {children}
    </Layout>
  );
}

/** A labelled drop-down; `id` is given because two forms of one page may share a field name. */
export function Choice({ id, name, label, value, options, hint }: { id: string; name: string; label: string; value: string | undefined; options: readonly (readonly [string, string])[]; hint?: string }) {
  return (
    <p class="field">
      <label for={id}>{label}</label>
      <select id={id} name={name} aria-describedby={hint ? `${id}-hint` : undefined}>
        {options.map(([v, text]) => <option value={v} selected={v === (value ?? '')}>{text}</option>)}
      </select>
      {hint && <small id={`${id}-hint`}>{hint}</small>}
    </p>
  );
}

const BOOKING_STATUSES = [['', 'Any status'], ...['pending', 'confirmed', 'cancelled', 'expired', 'refunded'].map((s) => [s, bookingState(s)] as const)] as const;
const AUDIT_ACTIONS = [['', 'Any action'], ['held', 'Held'], ['confirmed', 'Confirmed'], ['cancelled', 'Cancelled'], ['expired', 'Expired'], ['refunded', 'Refunded']] as const;
const WAITLIST_STATUSES = [['', 'Any status'], ...['waiting', 'offered', 'converted', 'cancelled', 'expired'].map((s) => [s, waitlistState(s)] as const)] as const;
const ROLES = [['', 'Any role'], ['user', 'Attendees'], ['admin', 'Organisers']] as const;

// Ids are UUIDv7: they begin with the time, so their tail is what tells two apart.
const short = (id: string) => id.slice(-8);
const nameOf = (people: Map<string, string>, id: string) => people.get(id) ?? short(id);

export function AdminBookingsPage({ ctx, query, bookings, events, people, total, paging, error }: {
  ctx: PageContext; query: Filters; bookings: AdminBooking[]; events: Titled; people: Map<string, string>; total: number; paging: Paging; error?: string | undefined;
}) {
  return (
    <AdminLayout ctx={ctx} title="Bookings" error={error}>
      <h1>Bookings</h1>
      <p>Every booking of every event. What happened to each one, and who did it, is in the <a href="/admin/audit">audit log</a>.</p>
      <form class="search" method="get" action="/admin/bookings" role="search" aria-label="Search bookings">
        <Field name="reference" label="Reference" value={query.reference} hint="BK-YYYYMMDD-XXXXXXXX" />
        <Choice id="f-status" name="status" label="Status" value={query.status} options={BOOKING_STATUSES} />
        <Field name="event_id" label="Event id" value={query.event_id} />
        <Field name="user_id" label="User id" value={query.user_id} />
        <p class="actions"><button type="submit">Search</button></p>
      </form>
      <p class="muted" role="status">{plural(total, 'booking')} found</p>
      {bookings.length > 0 && <BookingTable bookings={bookings} events={events} people={people} caption="Bookings, newest first" />}
      <Pager base="/admin/bookings" query={query} page={paging.page} hasPrev={paging.hasPrev} hasNext={paging.hasNext} />
    </AdminLayout>
  );
}

/** Bookings as a table; `events` (event titles) is left out where every row is of the one event. */
export function BookingTable({ bookings, events, people, caption }: { bookings: AdminBooking[]; events?: Titled; people: Map<string, string>; caption: string }) {
  return (
    <table class="list">
      <caption class="sr-only">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Reference</th>
          {events && <th scope="col">Event</th>}
          <th scope="col">User</th><th scope="col">Seats</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Made</th>
        </tr>
      </thead>
      <tbody>
        {bookings.map((b) => (
          <tr>
            <td><a href={`/admin/audit?booking_id=${b.id}`} title="Its audit trail"><code>{b.reference}</code></a></td>
            {events && <td data-label="Event"><a href={`/admin/events/${b.event_id}`}>{titleOf(events, b.event_id)}</a></td>}
            <td data-label="User"><a href={`/admin/bookings?user_id=${b.user_id}`} title="This user's bookings">{nameOf(people, b.user_id)}</a></td>
            <td data-label="Seats">{b.quantity}</td>
            <td data-label="Amount">{money(b.amount, b.currency)}</td>
            <td data-label="Status"><span class={`status ${b.status}`}>{bookingState(b.status)}</span>{b.cancel_reason && <><br /><small>{b.cancel_reason}</small></>}</td>
            <td data-label="Made"><time datetime={b.created_at}>{when(b.created_at)}</time></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AuditPage({ ctx, query, entries, events, total, paging, error }: {
  ctx: PageContext; query: Filters; entries: AuditEntry[]; events: Titled; total: number; paging: Paging; error?: string | undefined;
}) {
  return (
    <AdminLayout ctx={ctx} title="Audit log" error={error}>
      <h1>Audit log</h1>
      <p>Every change of every booking: who made it, when, and why. Times are UTC.</p>
      <form class="search" method="get" action="/admin/audit" role="search" aria-label="Search the audit log">
        <Field name="booking_id" label="Booking id" value={query.booking_id} />
        <Field name="event_id" label="Event id" value={query.event_id} />
        <Choice id="f-action" name="action" label="Action" value={query.action} options={AUDIT_ACTIONS} />
        <Field name="from" label="From (UTC)" type="date" value={query.from} />
        <Field name="to" label="To (UTC, included)" type="date" value={query.to} />
        <p class="actions"><button type="submit">Search</button></p>
      </form>
      <p class="muted" role="status">{plural(total, 'entry', 'entries')} found</p>
      {entries.length > 0 && (
        <table class="list">
          <caption class="sr-only">Audit log entries, newest first</caption>
          <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Booking</th><th scope="col">Event</th><th scope="col">By</th><th scope="col">Reason</th></tr></thead>
          <tbody>
            {entries.map((a) => (
              <tr>
                <td><time datetime={a.at}>{when(a.at)}</time></td>
                <td data-label="Action"><span class={`status ${a.action}`}>{a.action}</span></td>
                <td data-label="Booking"><a href={`/admin/audit?booking_id=${a.booking_id}`} title="This booking's trail"><code>{short(a.booking_id)}</code></a></td>
                <td data-label="Event"><a href={`/admin/events/${a.event_id}`}>{titleOf(events, a.event_id)}</a></td>
                <td data-label="By">{a.actor_role}{a.actor_id && <> <code>{short(a.actor_id)}</code></>}</td>
                <td data-label="Reason">{a.reason ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager base="/admin/audit" query={query} page={paging.page} hasPrev={paging.hasPrev} hasNext={paging.hasNext} />
    </AdminLayout>
  );
}

export function AdminWaitlistPage({ ctx, query, choices, event, entries, people, total, paging, notice, error }: {
  ctx: PageContext; query: Filters; choices: EventChoice[]; event: EventChoice | undefined; entries: AdminWaitlistEntry[]; people: Map<string, string>; total: number; paging: Paging;
  notice?: string | undefined; error?: string | undefined;
}) {
  // The chosen event may be one the picker does not list (cancelled, completed): it stays chosen.
  const options = event && !choices.some((c) => c.id === event.id) ? [event, ...choices] : choices;
  return (
    <AdminLayout ctx={ctx} title={event ? `Waitlist: ${event.title}` : 'Waitlist'} notice={notice} error={error}>
      <h1>Waitlist{event && <>: <a href={`/admin/events/${event.id}`}>{event.title}</a></>}</h1>
      <form class="search" method="get" action="/admin/waitlist" aria-label="Choose the event">
        <Choice id="f-event_id" name="event_id" label="Event" value={query.event_id}
          options={[['', 'Choose an event'], ...options.map((c) => [c.id, `${c.title} (${when(c.starts_at, c.timezone)})`] as const)]} />
        <Choice id="f-status" name="status" label="Status" value={query.status} options={WAITLIST_STATUSES} />
        <p class="actions"><button type="submit">Show the line</button></p>
      </form>
      {!event ? <p>Choose an event to see who is waiting for seats, in the order they will be offered them.</p> : (
        <>
          <p class="muted" role="status">{plural(total, 'entry', 'entries')}. Higher priority goes first; equal priorities keep the order people joined in.</p>
          {entries.length > 0 && (
            <table class="list">
              <caption class="sr-only">The line for {event.title}, in the order seats are offered</caption>
              <thead><tr><th scope="col">Place</th><th scope="col">User</th><th scope="col">Seats</th><th scope="col">Status</th><th scope="col">Joined</th><th scope="col">Priority</th></tr></thead>
              <tbody>
                {entries.map((w) => (
                  <tr>
                    <td data-label="Place">{w.position ?? '—'}</td>
                    <td data-label="User"><a href={`/admin/bookings?user_id=${w.user_id}`} title="This user's bookings">{nameOf(people, w.user_id)}</a></td>
                    <td data-label="Seats">{w.quantity}</td>
                    <td data-label="Status"><span class={`status ${w.status}`}>{w.status}</span>{w.offer_expires_at && <><br /><small>offer ends {when(w.offer_expires_at)}</small></>}</td>
                    <td data-label="Joined"><time datetime={w.joined_at}>{when(w.joined_at)}</time></td>
                    <td data-label="Priority">{w.status === 'waiting' ? <PriorityForm ctx={ctx} w={w} /> : w.priority}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <Pager base="/admin/waitlist" query={query} page={paging.page} hasPrev={paging.hasPrev} hasNext={paging.hasNext} />
        </>
      )}
    </AdminLayout>
  );
}

function PriorityForm({ ctx, w }: { ctx: PageContext; w: AdminWaitlistEntry }) {
  const id = `priority-${w.id}`;
  return (
    <form method="post" action={`/admin/waitlist/${w.id}/priority`} class="row">
      <Csrf ctx={ctx} />
      <input type="hidden" name="event_id" value={w.event_id} />
      <label for={id} class="sr-only">Priority of place {w.position ?? ''} (−1000 to 1000)</label>
      <input id={id} name="priority" type="number" min={-1000} max={1000} step="1" value={w.priority} required class="short" />
      <button type="submit" class="small">Save</button>
    </form>
  );
}

export function AdminUsersPage({ ctx, query, users, total, paging, notice, error }: {
  ctx: PageContext; query: Filters; users: AdminUser[]; total: number; paging: Paging; notice?: string | undefined; error?: string | undefined;
}) {
  return (
    <AdminLayout ctx={ctx} title="Users" notice={notice} error={error}>
      <h1>Users</h1>
      <form class="search" method="get" action="/admin/users" role="search" aria-label="Search users">
        <Field name="search" label="Search" type="search" value={query.search} placeholder="Email, username or name" wide />
        <Choice id="f-role" name="role" label="Role" value={query.role} options={ROLES} />
        <p class="actions"><button type="submit">Search</button></p>
      </form>
      <p class="muted" role="status">{plural(total, 'user')} found</p>
      {users.length > 0 && (
        <table class="list">
          <caption class="sr-only">Users, newest first</caption>
          <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Email verified</th><th scope="col">Joined</th><th scope="col">Sign-in</th></tr></thead>
          <tbody>
            {users.map((u) => (
              <tr>
                <td><strong>{u.username}</strong>{u.full_name && <> · {u.full_name}</>}<br /><a href={`/admin/bookings?user_id=${u.id}`}>{u.email}</a></td>
                <td data-label="Role">{u.role === 'admin' ? 'Organiser' : 'Attendee'}</td>
                <td data-label="Email verified">{u.is_verified ? 'Yes' : 'Not yet'}</td>
                <td data-label="Joined"><time datetime={u.created_at}>{when(u.created_at)}</time></td>
                <td data-label="Sign-in">
                  <span class={`status ${u.is_active ? 'confirmed' : 'cancelled'}`}>{u.is_active ? 'Active' : 'Deactivated'}</span>{' '}
                  {u.id === ctx.user?.id ? <small>(you)</small> : (
                    <form method="post" action={`/admin/users/${u.id}/${u.is_active ? 'deactivate' : 'activate'}`} class="inline">
                      <Csrf ctx={ctx} />
                      {/* Where to come back to: this same list. */}
                      {(['search', 'role'] as const).map((k) => query[k] && <input type="hidden" name={k} value={query[k]} />)}
                      <input type="hidden" name="page" value={paging.page} />
                      <button type="submit" class={u.is_active ? 'secondary small' : 'small'} aria-label={`${u.is_active ? 'Deactivate' : 'Activate'} ${u.username}`}>
                        {u.is_active ? 'Deactivate' : 'Activate'}
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager base="/admin/users" query={query} page={paging.page} hasPrev={paging.hasPrev} hasNext={paging.hasNext} />
    </AdminLayout>
  );
}
