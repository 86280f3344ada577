import { DateTime } from 'luxon';
import { plural, price, when } from './format.js';
import { Csrf, Field, Pager, type PageContext } from './layout.js';
import type { Ok } from '../../../client/index.js';
import { AdminLayout, BookingTable, Choice, type AdminBooking, type Filters, type Paging } from './admin.js';

export type AdminEvent = Ok<'getEvent'>;
type ListedEvent = Ok<'listEvents'>['items'][number];

/** The event form as typed: text, so a value the API refuses comes back to the form unchanged. */
export interface EventFormValues {
  title: string; venue: string; category: string; capacity: string; price: string; currency: string;
  /** `YYYY-MM-DDTHH:mm` on the clock of `timezone`, as a datetime-local input holds it. */
  starts_at: string; ends_at: string; timezone: string; max_per_booking: string; max_per_user: string; description: string;
}

export const NEW_EVENT: EventFormValues = {
  title: '', venue: '', category: '', capacity: '100', price: '0.00', currency: 'GBP',
  starts_at: '', ends_at: '', timezone: 'Europe/London', max_per_booking: '10', max_per_user: '', description: '',
};

const STATES: Record<string, string> = { draft: 'Draft', published: 'Published', completed: 'Completed', cancelled: 'Cancelled' };
const STATUS_CHOICES = [['', 'Any status'], ...Object.entries(STATES)] as const;
// The runtime's list lacks the plain "UTC" alias, which the API accepts and many events use.
const ZONES = ['UTC', ...Intl.supportedValuesOf('timeZone')];

/** An instant as a datetime-local value on the venue's clock (the input has no zone of its own). */
function localInput(iso: string | null, zone: string): string {
  if (!iso) return '';
  const t = DateTime.fromISO(iso, { zone });
  return t.isValid ? t.toFormat("yyyy-LL-dd'T'HH:mm") : '';
}

export function formValuesOf(e: AdminEvent): EventFormValues {
  return {
    title: e.title, venue: e.venue, category: e.category, capacity: String(e.capacity), price: e.price, currency: e.currency,
    starts_at: localInput(e.starts_at, e.timezone), ends_at: localInput(e.ends_at, e.timezone), timezone: e.timezone,
    max_per_booking: String(e.max_per_booking), max_per_user: String(e.max_per_user), description: e.description,
  };
}

export function AdminEventsPage({ ctx, query, events, total, paging, error }: {
  ctx: PageContext; query: Filters; events: ListedEvent[]; total: number; paging: Paging; error?: string | undefined;
}) {
  return (
    <AdminLayout ctx={ctx} title="Events" error={error}>
      <h1>Events</h1>
      <p><a class="button" href="/admin/events/new">New event</a></p>
      <form class="search" method="get" action="/admin/events" role="search" aria-label="Search events">
        <Field name="q" label="Search" type="search" value={query.q} placeholder="Title, venue or description" wide />
        <Choice id="f-status" name="status" label="Status" value={query.status} options={STATUS_CHOICES} />
        <p class="actions"><button type="submit">Search</button></p>
      </form>
      <p class="muted" role="status">{plural(total, 'event')} found</p>
      {events.length > 0 && (
        <table class="list">
          <caption class="sr-only">Events, the latest created first</caption>
          <thead><tr><th scope="col">Event</th><th scope="col">Starts</th><th scope="col">Status</th><th scope="col">Seats taken</th><th scope="col">Price</th></tr></thead>
          <tbody>
            {events.map((e) => (
              <tr>
                <td><a href={`/admin/events/${e.id}`}>{e.title}</a><br /><small class="muted">{e.venue}</small></td>
                <td data-label="Starts"><time datetime={e.starts_at}>{when(e.starts_at, e.timezone)}</time></td>
                <td data-label="Status"><span class={`status ${e.status}`}>{STATES[e.status] ?? e.status}</span></td>
                <td data-label="Seats taken">{e.capacity - e.available} of {e.capacity}</td>
                <td data-label="Price">{price(e.price, e.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager base="/admin/events" query={query} page={paging.page} hasPrev={paging.hasPrev} hasNext={paging.hasNext} />
    </AdminLayout>
  );
}

export function NewEventPage({ ctx, values, error }: { ctx: PageContext; values: EventFormValues; error?: string | undefined }) {
  return (
    <AdminLayout ctx={ctx} title="New event" error={error}>
      <h1>New event</h1>
      <p>A new event is a draft: nobody sees it until you publish it.</p>
      <EventForm ctx={ctx} action="/admin/events/new" values={values} submit="Create the draft" />
    </AdminLayout>
  );
}

function EventForm({ ctx, action, values: v, submit }: { ctx: PageContext; action: string; values: EventFormValues; submit: string }) {
  return (
    <form method="post" action={action} class="event-form">
      <Csrf ctx={ctx} />
      <Field name="title" label="Title" value={v.title} required />
      <Field name="venue" label="Venue" value={v.venue} required />
      <Field name="category" label="Category" value={v.category} required hint="One word or a slug: music, comedy, tech-talks" pattern="[A-Za-z0-9\-]+" />
      <Field name="capacity" label="Capacity (seats)" type="number" value={v.capacity} min={1} max={10_000_000} required />
      <Field name="price" label="Price per seat" value={v.price} inputmode="decimal" pattern="[0-9]{1,8}(\.[0-9]{1,2})?" hint="0 for a free event; at most two decimals" required />
      <Field name="currency" label="Currency" value={v.currency} pattern="[A-Za-z]{3}" hint="ISO code: GBP, EUR, USD" required />
      <Field name="starts_at" label="Starts" type="datetime-local" value={v.starts_at} required hint="On the venue's clock (the time zone below)" />
      <Field name="ends_at" label="Ends (optional)" type="datetime-local" value={v.ends_at} />
      <Choice id="f-timezone" name="timezone" label="Time zone of the venue" value={v.timezone}
        options={(ZONES.includes(v.timezone) ? ZONES : [v.timezone, ...ZONES]).map((z) => [z, z.replace(/_/g, ' ')] as const)} />
      <Field name="max_per_booking" label="Most seats in one booking" type="number" value={v.max_per_booking} min={1} max={1000} required />
      <Field name="max_per_user" label="Most seats per attendee" type="number" value={v.max_per_user} min={1} max={1000} hint="Across all of one attendee's bookings. Empty: as many as one booking." />
      <p class="field wide">
        <label for="f-description">Description</label>
        <textarea id="f-description" name="description" maxLength={20_000} rows={6}>{v.description}</textarea>
      </p>
      <p class="actions wide"><button type="submit">{submit}</button></p>
    </form>
  );
}

export function EventAdminPage({ ctx, e, values, bookings, people, bookingsTotal, paging, notice, error }: {
  ctx: PageContext; e: AdminEvent; values: EventFormValues; bookings: AdminBooking[]; people: Map<string, string>; bookingsTotal: number; paging: Paging;
  notice?: string | undefined; error?: string | undefined;
}) {
  const editable = e.status === 'draft' || e.status === 'published';
  return (
    <AdminLayout ctx={ctx} title={e.title} notice={notice} error={error}>
      <h1>{e.title}</h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd><span class={`status ${e.status}`}>{STATES[e.status] ?? e.status}</span>{e.cancel_reason && <> — {e.cancel_reason}</>}</dd>
        <dt>When</dt>
        <dd><time datetime={e.starts_at}>{when(e.starts_at, e.timezone)}</time>{e.ends_at && <> – <time datetime={e.ends_at}>{when(e.ends_at, e.timezone)}</time></>}</dd>
        <dt>Where</dt>
        <dd>{e.venue}</dd>
        <dt>Seats</dt>
        <dd>{e.capacity - e.available} of {e.capacity} taken, {plural(e.available, 'seat')} left</dd>
        <dt>Price</dt>
        <dd>{price(e.price, e.currency)}</dd>
      </dl>
      <p class="links">
        <a href={`/events/${e.id}`}>The public page</a>
        <a href={`/admin/waitlist?event_id=${e.id}`}>Its waitlist</a>
        <a href={`/admin/audit?event_id=${e.id}`}>Its audit log</a>
      </p>
      {e.status === 'draft' && (
        <form method="post" action={`/admin/events/${e.id}/publish`} class="inline">
          <Csrf ctx={ctx} />
          <button type="submit">Publish: put it on sale</button>
        </form>
      )}
      {editable && (
        <section aria-labelledby="edit-h">
          <h2 id="edit-h">Edit</h2>
          {e.status === 'published' && <p class="muted">It is on sale: attendees who booked are not told of changes here. Capacity cannot go below the seats already taken.</p>}
          <EventForm ctx={ctx} action={`/admin/events/${e.id}`} values={values} submit="Save the changes" />
        </section>
      )}
      {e.status === 'published' && (
        <section aria-labelledby="cancel-h" class="danger">
          <h2 id="cancel-h">Cancel the event</h2>
          <p>Every booking is cancelled and refunded, and each attendee gets an email with your reason. This cannot be undone.</p>
          <form method="post" action={`/admin/events/${e.id}/cancel`}>
            <Csrf ctx={ctx} />
            <p class="field">
              <label for="cancel-reason">Reason, told to the attendees</label>
              <textarea id="cancel-reason" name="reason" required maxLength={500} rows={3} />
            </p>
            <p class="actions"><button type="submit" class="secondary">Cancel the event</button></p>
          </form>
        </section>
      )}
      <section aria-labelledby="bookings-h">
        <h2 id="bookings-h">Bookings</h2>
        <p class="muted">{plural(bookingsTotal, 'booking')}</p>
        {bookings.length > 0 && <BookingTable bookings={bookings} people={people} caption={`Bookings of ${e.title}, newest first`} />}
        <Pager base={`/admin/events/${e.id}`} query={{}} page={paging.page} hasPrev={paging.hasPrev} hasNext={paging.hasNext} />
      </section>
    </AdminLayout>
  );
}
