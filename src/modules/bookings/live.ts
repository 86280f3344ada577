import { afterCommit, type Consumer, type Logger, type Signals, type Tx } from '../../kernel/index.js';
import type { Kysely } from 'kysely';
import type { DB as BookingsTables } from './bookings.tables.js';
import { findLedger, type Ledger } from './ledger.repository.js';

const CHANNEL = 'bookings.availability';

/** One open stream: the ledger version it has (its Last-Event-ID), and how to send it more. */
export interface LiveClient {
  last: number;
  send(ledger: Ledger): void;
  end(): void;
}

/**
 * The live availability of this process's streams (GET …/stream). The module's consumer of its own
 * `bookings.availability.changed` (each message reaches one replica of the group) signals every
 * process; each re-reads the ledger of an event its clients watch, once per change however many
 * watch it, and sends it to each client that has an older version. Changes that land during one
 * read arrive as one, the newest. After a lost signal connection every watched ledger is re-read.
 */
export function createLiveHub(deps: { db: Kysely<BookingsTables>; signals: Signals; logger: Logger }, maxClients: number) {
  const watched = new Map<string, Set<LiveClient>>();
  const reading = new Map<string, Promise<void>>();
  const dirty = new Set<string>();
  let clients = 0;

  function refresh(eventId: string): void {
    if (reading.has(eventId)) {
      dirty.add(eventId);
      return;
    }
    const read = (async () => {
      do {
        dirty.delete(eventId);
        const ledger = await findLedger(deps.db, eventId);
        for (const c of watched.get(eventId) ?? []) {
          if (ledger && ledger.version > c.last) {
            c.last = ledger.version;
            c.send(ledger);
          }
        }
      } while (dirty.has(eventId) && watched.has(eventId));
    })()
      .catch((err: unknown) => deps.logger.warn({ err, event_id: eventId }, 'live availability read failed: sent with the next change'))
      .finally(() => reading.delete(eventId));
    reading.set(eventId, read);
  }

  const unsubscribe = deps.signals.subscribe(CHANNEL, {
    message(m) {
      const eventId = (JSON.parse(m) as { event_id?: string }).event_id;
      if (eventId && watched.has(eventId)) refresh(eventId);
    },
    resync() {
      for (const eventId of watched.keys()) refresh(eventId);
    },
  });

  return {
    /** Whether one more stream would pass BOOKINGS_STREAM_MAX_CLIENTS. */
    full: () => clients >= maxClients,
    /** Adds the client; returns how it leaves. */
    join(eventId: string, client: LiveClient): () => void {
      const set = watched.get(eventId) ?? new Set();
      set.add(client);
      watched.set(eventId, set);
      clients++;
      return () => {
        if (!set.delete(client)) return;
        clients--;
        if (!set.size) watched.delete(eventId);
      };
    },
    /** Ends every stream (at shutdown: the server waits for open responses). */
    close(): void {
      unsubscribe();
      for (const set of watched.values()) for (const c of set) c.end();
      watched.clear();
    },
  };
}

export type LiveHub = ReturnType<typeof createLiveHub>;

/** Every ledger change, as the bus delivers it, signalled to every process after the inbox commit. */
export function liveConsumer(deps: { signals: Signals; logger: Logger }): Consumer {
  return {
    name: 'bookings.live',
    topics: ['bookings.availability.changed'],
    async handle(event, trx: Tx) {
      const eventId = (event.payload as { event_id?: unknown } | null)?.event_id;
      if (typeof eventId !== 'string') return;
      afterCommit(trx, () => deps.signals.publish(CHANNEL, JSON.stringify({ event_id: eventId }))
        .catch((err: unknown) => deps.logger.warn({ err, event_id: eventId }, 'live availability signal not sent: streams catch up with the next change')));
    },
  };
}
