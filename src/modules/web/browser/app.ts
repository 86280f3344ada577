/// <reference lib="dom" />
/**
 * The web app's only script, a progressive enhancement: every page works without it. It keeps an
 * event page's seat count live (Server-Sent Events from the bookings ledger; the browser resumes with
 * Last-Event-ID after a drop) and counts a hold down to its expiry. Reads go through the typed API
 * client, like any other client of the API.
 */
import { createEventlyClient } from '../../../client/index.js';

interface Seats { available: number; total: number; sold_out: boolean; waiting: number; version: number }

const api = createEventlyClient({ baseUrl: location.origin });

function liveSeats(section: HTMLElement): void {
  const eventId = section.dataset.liveEvent!;
  let version = Number(section.dataset.version ?? 0);
  const apply = (s: Seats) => {
    if (s.version < version) return; // an older answer than what is shown
    version = s.version;
    section.dataset.version = String(s.version);
    const set = (selector: string, text: string) => section.querySelectorAll<HTMLElement>(selector).forEach((el) => (el.textContent = text));
    set('[data-available]', String(s.available));
    set('[data-total]', String(s.total));
    set('[data-waiting]', String(s.waiting));
    section.querySelectorAll<HTMLElement>('[data-sold-out]').forEach((el) => (el.hidden = s.available > 0));
  };
  const stream = new EventSource(`/api/v1/availability/events/${encodeURIComponent(eventId)}/stream`);
  stream.addEventListener('availability', (m) => apply(JSON.parse((m as MessageEvent<string>).data) as Seats));
  // A tab brought back after a while reads the count once, in case the stream was asleep.
  document.addEventListener('visibilitychange', async () => {
    if (document.visibilityState !== 'visible') return;
    const { data } = await api.GET('/api/v1/availability/events/{event_id}', { params: { path: { event_id: eventId } } });
    if (data) apply(data);
  });
  addEventListener('pagehide', () => stream.close());
}

function countdown(el: HTMLElement): void {
  const until = Date.parse(el.dataset.countdown!);
  const scope = el.closest('section, li, main') ?? document.body;
  const tick = () => {
    const left = Math.max(0, Math.round((until - Date.now()) / 1000));
    const m = Math.floor(left / 60);
    const s = left % 60;
    el.textContent = left > 0 ? `${m}:${String(s).padStart(2, '0')} left` : 'time is up';
    el.setAttribute('aria-label', left > 0 ? `${m} minutes ${s} seconds left` : 'time is up');
    if (left > 0) return;
    clearInterval(timer);
    scope.querySelectorAll<HTMLButtonElement>('[data-hold-action]').forEach((b) => (b.disabled = true));
    scope.querySelectorAll<HTMLElement>('[data-expired-note]').forEach((n) => (n.hidden = false));
  };
  const timer = setInterval(tick, 1000);
  tick();
}

document.querySelectorAll<HTMLElement>('[data-live-event]').forEach(liveSeats);
document.querySelectorAll<HTMLElement>('[data-countdown]').forEach(countdown);
