import type { Ok } from '../../../client/index.js';
import { Csrf, Field, Layout, Pager, type PageContext } from './layout.js';
import { plural, price, when } from './format.js';

/** An event as the API shows it, on its page and in the lists. */
export type EventView = Ok<'getEvent'>;
export type Availability = Ok<'getAvailability'>;

export interface SearchQuery {
  q?: string | undefined;
  category?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  price_max?: string | undefined;
  has_seats?: string | undefined;
  page?: number | undefined;
  done?: string | undefined;
}

export function HomePage({ ctx, query, events, page, hasPrev, hasNext, total, error, notice }: {
  ctx: PageContext; query: SearchQuery; events: Ok<'listEvents'>['items']; page: number; hasPrev: boolean; hasNext: boolean; total: number; error?: string | undefined; notice?: string | undefined;
}) {
  const searching = Boolean(query.q || query.category || query.from || query.to || query.price_max || query.has_seats);
  return (
    <Layout ctx={ctx} title="Upcoming events" error={error} notice={notice} head={<meta name="description" content="Find and book upcoming events on Evently." />}>
      <h1>Upcoming events</h1>
      <form class="search" method="get" action="/" role="search" aria-label="Search events">
        <Field name="q" label="Search" type="search" value={query.q} placeholder="Title, venue or description" wide />
        <Field name="category" label="Category" value={query.category} placeholder="e.g. music" />
        <Field name="from" label="From" type="date" value={query.from} />
        <Field name="to" label="To" type="date" value={query.to} />
        <Field name="price_max" label="Max price" inputmode="decimal" value={query.price_max} />
        <p class="field check">
          <input id="has_seats" name="has_seats" type="checkbox" value="true" checked={query.has_seats === 'true'} />
          <label for="has_seats">Seats left</label>
        </p>
        <p class="actions"><button type="submit">Search</button></p>
      </form>
      <p class="muted" role="status">{searching ? `${plural(total, 'event')} found` : `${plural(total, 'upcoming event')}`}</p>
      {events.length === 0 ? <p>{searching ? 'No events match. Try fewer words or other dates.' : 'No upcoming events yet. Come back soon.'}</p> : (
        <ul class="cards">
          {events.map((e) => (
            <li class="card">
              <h2><a href={`/events/${e.id}`}>{e.title}</a></h2>
              <p class="when">{when(e.starts_at, e.timezone)}</p>
              <p class="where">{e.venue}</p>
              <p class="meta">
                <span class="tag">{e.category}</span>
                <span>{price(e.price, e.currency)}</span>
                <span>{e.available > 0 ? `${plural(e.available, 'seat')} left` : 'Sold out'}</span>
              </p>
            </li>
          ))}
        </ul>
      )}
      <Pager base="/" query={{ ...query, page: undefined, done: undefined }} page={page} hasPrev={hasPrev} hasNext={hasNext} />
    </Layout>
  );
}

/** Open Graph and schema.org `Event`, so a shared link shows the event and search engines read it. */
function EventHead({ e, url }: { e: EventView; url: string }) {
  const ld = {
    '@context': 'https://schema.org',
    '@type': 'Event',
    name: e.title,
    description: e.description,
    startDate: e.starts_at,
    ...(e.ends_at ? { endDate: e.ends_at } : {}),
    eventStatus: e.status === 'cancelled' ? 'https://schema.org/EventCancelled' : 'https://schema.org/EventScheduled',
    eventAttendanceMode: 'https://schema.org/OfflineEventAttendanceMode',
    location: { '@type': 'Place', name: e.venue, address: e.venue },
    url,
    offers: {
      '@type': 'Offer',
      price: e.price,
      priceCurrency: e.currency,
      availability: e.available > 0 ? 'https://schema.org/InStock' : 'https://schema.org/SoldOut',
      url,
    },
  };
  const summary = e.description.length > 200 ? `${e.description.slice(0, 197)}…` : e.description;
  return (
    <>
      <meta name="description" content={summary || `${e.title} at ${e.venue}`} />
      <link rel="canonical" href={url} />
      <meta property="og:type" content="website" />
      <meta property="og:title" content={e.title} />
      <meta property="og:description" content={summary || `${when(e.starts_at, e.timezone)} at ${e.venue}`} />
      <meta property="og:url" content={url} />
      <meta name="twitter:card" content="summary" />
      {/* `<` escaped: a title cannot close the script element. */}
      <script type="application/ld+json" dangerouslySetInnerHTML={{ __html: JSON.stringify(ld).replace(/</g, '\\u003c') }} />
    </>
  );
}

/** `bookingKey`: the Idempotency-Key of this page's booking form, so a form sent twice books once. */
export function EventPage({ ctx, e, seats, url, bookingKey, notice, error }: {
  ctx: PageContext; e: EventView; seats: Availability | undefined; url: string; bookingKey: string; notice?: string | undefined; error?: string | undefined;
}) {
  const available = seats?.available ?? e.available;
  const onSale = e.status === 'published' && new Date(e.starts_at) > new Date();
  const quantities = Array.from({ length: Math.max(1, Math.min(e.max_per_booking, 10)) }, (_, i) => i + 1);
  return (
    <Layout ctx={ctx} title={e.title} head={<EventHead e={e} url={url} />} notice={notice} error={error}>
      <article class="event">
        <h1>{e.title}</h1>
        {e.status === 'cancelled' && <p class="error" role="alert">This event is cancelled{e.cancel_reason ? `: ${e.cancel_reason}` : '.'}</p>}
        <dl class="facts">
          <dt>When</dt>
          <dd><time datetime={e.starts_at}>{when(e.starts_at, e.timezone)}</time>{e.ends_at && <> – <time datetime={e.ends_at}>{when(e.ends_at, e.timezone)}</time></>}<br /><small>{e.timezone}</small></dd>
          <dt>Where</dt>
          <dd>{e.venue}</dd>
          <dt>Price</dt>
          <dd>{price(e.price, e.currency)} per seat</dd>
          <dt>Category</dt>
          <dd>{e.category}</dd>
        </dl>
        <section class="seats" aria-labelledby="seats-h" data-live-event={e.id} data-version={seats?.version ?? 0}>
          <h2 id="seats-h">Seats</h2>
          <p class="count" aria-live="polite">
            <strong data-available>{available}</strong> of <span data-total>{seats?.total ?? e.capacity}</span> seats available
            <span data-sold-out hidden={available > 0}> — sold out</span>
          </p>
          {seats && seats.waiting > 0 && <p class="muted"><span data-waiting>{seats.waiting}</span> waiting in line</p>}
        </section>
        {onSale && (
          ctx.user ? (
            available > 0 ? (
              <form method="post" action={`/events/${e.id}/book`} class="book">
                <Csrf ctx={ctx} />
                <input type="hidden" name="idempotency_key" value={bookingKey} />
                <p class="field">
                  <label for="quantity">Number of seats</label>
                  <select id="quantity" name="quantity">{quantities.map((q) => <option value={q}>{q}</option>)}</select>
                </p>
                <p class="actions"><button type="submit">Book</button></p>
                <p class="muted">Seats are held for you while you pay.</p>
              </form>
            ) : (
              <form method="post" action={`/events/${e.id}/waitlist`} class="book">
                <Csrf ctx={ctx} />
                <p>Sold out. Join the waitlist and we offer you seats as soon as some come free.</p>
                <p class="field">
                  <label for="wl-quantity">Number of seats</label>
                  <select id="wl-quantity" name="quantity">{quantities.map((q) => <option value={q}>{q}</option>)}</select>
                </p>
                <p class="actions"><button type="submit">Join the waitlist</button></p>
              </form>
            )
          ) : (
            <p><a class="button" href={`/login?next=${encodeURIComponent(`/events/${e.id}`)}`}>Sign in to book</a> or <a href="/signup">create an account</a>.</p>
          )
        )}
        <section aria-labelledby="about-h">
          <h2 id="about-h">About</h2>
          <p class="description">{e.description || 'No description yet.'}</p>
        </section>
      </article>
    </Layout>
  );
}
