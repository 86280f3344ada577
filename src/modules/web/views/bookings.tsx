import { Csrf, Layout, Pager, type PageContext } from './layout.js';
import type { Ok } from '../../../client/index.js';
import type { EventView } from './events.js';
import { bookingState, money, plural, titleOf, when, waitlistState } from './format.js';

export type BookingView = Ok<'getBooking'>;
type Events = ReadonlyMap<string, EventView>;

export function BookingsPage({ ctx, bookings, events, page, hasPrev, hasNext, notice }: {
  ctx: PageContext; bookings: BookingView[]; events: Events; page: number; hasPrev: boolean; hasNext: boolean; notice?: string | undefined;
}) {
  return (
    <Layout ctx={ctx} title="My bookings" notice={notice}>
      <h1>My bookings</h1>
      {bookings.length === 0 ? <p>No bookings yet. <a href="/">Find an event</a>.</p> : (
        <table class="list">
          <caption class="sr-only">Your bookings, newest first</caption>
          <thead><tr><th scope="col">Event</th><th scope="col">Seats</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Reference</th></tr></thead>
          <tbody>
            {bookings.map((b) => (
              <tr>
                <td><a href={`/bookings/${b.id}`}>{titleOf(events, b.event_id)}</a></td>
                <td>{b.quantity}</td>
                <td>{money(b.amount, b.currency)}</td>
                <td><span class={`status ${b.status}`}>{bookingState(b.status)}</span></td>
                <td><code>{b.reference}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager base="/bookings" query={{}} page={page} hasPrev={hasPrev} hasNext={hasNext} />
    </Layout>
  );
}

export function BookingPage({ ctx, b, event, notice, error }: { ctx: PageContext; b: BookingView; event: EventView | undefined; notice?: string | undefined; error?: string | undefined }) {
  const pending = b.status === 'pending' && b.expires_at !== null;
  const cancellable = b.status === 'pending' || b.status === 'confirmed';
  return (
    <Layout ctx={ctx} title={`Booking ${b.reference}`} notice={notice} error={error}>
      <h1>Booking <code>{b.reference}</code></h1>
      <dl class="facts">
        <dt>Event</dt>
        <dd><a href={`/events/${b.event_id}`}>{event?.title ?? 'The event'}</a>{event && <><br />{when(event.starts_at, event.timezone)} · {event.venue}</>}</dd>
        <dt>Seats</dt>
        <dd>{plural(b.quantity, 'seat')}</dd>
        <dt>Amount</dt>
        <dd>{money(b.amount, b.currency)}</dd>
        <dt>Status</dt>
        <dd><span class={`status ${b.status}`} data-booking-status>{bookingState(b.status)}</span>
          {b.status === 'refunded' && b.refunded_at && <> on {when(b.refunded_at)}</>}
          {b.cancel_reason && <><br /><small>{b.cancel_reason}</small></>}
        </dd>
      </dl>
      {pending && (
        <section class="hold" aria-labelledby="hold-h">
          <h2 id="hold-h">Your seats are held</h2>
          <p>
            Pay before <time datetime={b.expires_at!}>{when(b.expires_at!)}</time>:{' '}
            <strong class="countdown" data-countdown={b.expires_at!} role="timer" aria-live="off">held until then</strong>.
          </p>
          <p class="expired-note" data-expired-note hidden>The hold has run out and the seats went back on sale.</p>
          <form method="post" action={`/bookings/${b.id}/confirm`} class="inline">
            <Csrf ctx={ctx} />
            <button type="submit" data-hold-action>Pay {money(b.amount, b.currency)} and confirm</button>
          </form>
          <p class="muted">Payment is taken by the offline provider this server is set up with.</p>
        </section>
      )}
      {cancellable && (
        <form method="post" action={`/bookings/${b.id}/cancel`} class="cancel">
          <Csrf ctx={ctx} />
          <p class="field">
            <label for="reason">Reason (optional)</label>
            <input id="reason" name="reason" maxLength={500} />
          </p>
          <p class="actions">
            <button type="submit" class="secondary">{b.status === 'confirmed' ? 'Cancel and refund' : 'Cancel booking'}</button>
          </p>
        </form>
      )}
      <p><a href="/bookings">All my bookings</a></p>
    </Layout>
  );
}

export type WaitlistView = Ok<'listWaitlist'>['items'][number];

export function WaitlistPage({ ctx, entries, events, notice, error }: { ctx: PageContext; entries: WaitlistView[]; events: Events; notice?: string | undefined; error?: string | undefined }) {
  return (
    <Layout ctx={ctx} title="My waitlist" notice={notice} error={error}>
      <h1>My waitlist</h1>
      {entries.length === 0 ? <p>You are not waiting for any event.</p> : (
        <ul class="cards">
          {entries.map((w) => (
            <li class="card">
              <h2><a href={`/events/${w.event_id}`}>{titleOf(events, w.event_id)}</a></h2>
              <p>{plural(w.quantity, 'seat')} · <span class={`status ${w.status}`}>{waitlistState(w.status)}</span>
                {w.status === 'waiting' && w.position !== null && <> · number {w.position} in line</>}</p>
              {w.status === 'offered' && w.offer_expires_at && (
                <>
                  <p>Accept before <time datetime={w.offer_expires_at}>{when(w.offer_expires_at)}</time>: <strong class="countdown" data-countdown={w.offer_expires_at} role="timer">until then</strong></p>
                  <form method="post" action={`/waitlist/${w.id}/accept`} class="inline">
                    <Csrf ctx={ctx} />
                    <button type="submit" data-hold-action>Accept the seats</button>
                  </form>
                </>
              )}
              {w.status === 'converted' && w.booking_id && <p><a href={`/bookings/${w.booking_id}`}>See the booking</a></p>}
              {(w.status === 'waiting' || w.status === 'offered') && (
                <form method="post" action={`/waitlist/${w.id}/cancel`} class="inline">
                  <Csrf ctx={ctx} />
                  <button type="submit" class="secondary">{w.status === 'offered' ? 'Decline' : 'Leave the waitlist'}</button>
                </form>
              )}
            </li>
          ))}
        </ul>
      )}
    </Layout>
  );
}
